// Starts the node profile once for the e2e tier: the control plane, a real node with the images
// built from this repository, and PostgreSQL listening on the node's bridge for the stack's pods.
import type { TestProject } from 'vitest/node';
import { startNode } from '../harness/node.ts';
import { NODE_IP, POD_SUBNET } from '../harness/node-network.ts';
import { startPostgres } from '../harness/postgres.ts';
import { startQdrantEmulator } from '../stubs/qdrant-emulator.ts';
import { imageReferences } from '../support/node-stack.ts';
import './provided.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const node = await startNode();
  console.log(
    `[harness] node profile up in ${String(node.nodeStartupMs)} ms (${node.server}; images: ${[...node.images.values()].map((i) => `${i.name} ${(i.bytes / 1e6).toFixed(0)} MB`).join(', ')})`,
  );
  try {
    const postgres = await startPostgres({ host: NODE_IP, clients: POD_SUBNET });
    // No Qdrant server to pack into an image (../shared/qdrant absent): the emulator stands in, outside the cluster.
    const emulator = node.images.has('qdrant') ? undefined : await startQdrantEmulator({ host: NODE_IP });
    console.log(
      `[harness] vector store: ${emulator ? 'the in-repo Qdrant emulator on the node bridge (no Qdrant server binary beside the repository)' : 'the real Qdrant server from ../shared/qdrant, as an image'}`,
    );
    project.provide('externalQdrantUrl', emulator?.url);
    project.provide('controlPlane', { profile: 'node', kubeconfigPath: node.kubeconfigPath, dir: node.dir });
    project.provide('images', imageReferences(node.images));
    project.provide('postgresUrl', postgres.url);
    return async () => {
      await emulator?.close();
      await postgres.stop();
      await node.stop();
    };
  } catch (error) {
    await node.stop();
    throw error;
  }
}
