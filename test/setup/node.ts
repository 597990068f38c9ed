// Starts the node profile once for the e2e tier: the control plane, a real node with the images
// built from this repository, and PostgreSQL listening on the node's bridge for the stack's pods.
import type { TestProject } from 'vitest/node';
import { startNode } from '../harness/node.ts';
import { POD_SUBNET } from '../harness/node-network.ts';
import { startPostgres } from '../harness/postgres.ts';
import './provided.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const node = await startNode();
  console.log(`[harness] node profile up in ${String(node.nodeStartupMs)} ms (${node.server}; images: ${[...node.images.values()].map((i) => `${i.name} ${(i.bytes / 1e6).toFixed(0)} MB`).join(', ')})`);
  try {
    const postgres = await startPostgres({ host: node.server.replace(/^https:\/\/|:\d+$/g, ''), clients: POD_SUBNET });
    project.provide('controlPlane', { profile: 'node', kubeconfigPath: node.kubeconfigPath, dir: node.dir });
    project.provide('images', Object.fromEntries([...node.images.values()].map((i) => [i.name, i.reference])));
    project.provide('postgresUrl', postgres.url);
    return async () => {
      await postgres.stop();
      await node.stop();
    };
  } catch (error) {
    await node.stop();
    throw error;
  }
}
