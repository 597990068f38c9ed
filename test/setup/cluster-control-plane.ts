import type { TestProject } from 'vitest/node';
import { provideControlPlane } from './control-plane-setup.ts';

export default (project: TestProject): Promise<() => Promise<void>> => provideControlPlane(project, 'cluster');
