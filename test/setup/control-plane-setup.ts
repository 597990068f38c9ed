// Starts one control plane for a whole test project and stops it afterwards.
import type { TestProject } from 'vitest/node';
import { startControlPlane, type Profile } from '../harness/control-plane.ts';
import './provided.ts';

export async function provideControlPlane(project: TestProject, profile: Profile): Promise<() => Promise<void>> {
  const controlPlane = await startControlPlane({ profile });
  console.log(`[harness] ${profile} control plane up in ${controlPlane.startupMs} ms (${controlPlane.server})`);
  project.provide('controlPlane', { profile, kubeconfigPath: controlPlane.kubeconfigPath, dir: controlPlane.dir });
  return () => controlPlane.stop();
}
