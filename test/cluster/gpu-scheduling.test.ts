// The cluster profile schedules on GPU capacity like a real cluster: Deployments roll out onto
// kwok's fake GPU nodes, and pods that want more GPUs than exist stay Pending for that reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { GPUS_PER_NODE } from '../harness/fake-nodes.ts';
import { waitFor } from '../harness/processes.ts';
import { testCluster } from '../support/kube.ts';

const cluster = testCluster();
let ns = '';
beforeAll(async () => {
  ns = await cluster.createNamespace('gpu');
});
// Give the GPUs back: other files in this tier schedule on the same nodes.
afterAll(async () => {
  await cluster.kubectlOk(['delete', 'namespace', ns, '--wait=true', '--timeout=60s']);
});

function gpuDeployment(name: string, gpus: number, replicas = 1): string {
  const labels = { app: name };
  return stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          // kwok never runs containers, so the image is never pulled.
          containers: [{ name: 'vllm', image: 'vllm/vllm-openai:v0.11.0', resources: { limits: { 'nvidia.com/gpu': String(gpus) } } }],
        },
      },
    },
  });
}

interface PodSummary {
  name: string;
  node: string | undefined;
  phase: string;
  unschedulableMessage: string | undefined;
}

async function pods(app: string): Promise<PodSummary[]> {
  const list = JSON.parse(await cluster.kubectlOk(['get', 'pods', '-n', ns, '-l', `app=${app}`, '-o', 'json'])) as {
    items: {
      metadata: { name: string };
      spec: { nodeName?: string };
      status: { phase: string; conditions?: { type: string; reason?: string; message?: string }[] };
    }[];
  };
  return list.items.map((pod) => ({
    name: pod.metadata.name,
    node: pod.spec.nodeName,
    phase: pod.status.phase,
    unschedulableMessage: pod.status.conditions?.find((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable')?.message,
  }));
}

describe('GPU scheduling on the kwok cluster', () => {
  it('places a GPU Deployment on a GPU node and it becomes Available', async () => {
    await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], gpuDeployment('fits', 2));
    await cluster.kubectlOk(['wait', '-n', ns, '--for=condition=Available', 'deployment/fits', '--timeout=60s']);
    const [pod] = await pods('fits');
    expect(pod?.node).toMatch(/^gpu-node-/);
    expect(pod?.phase).toBe('Running');
  });

  it('leaves a pod that wants more GPUs than any node has Pending with Insufficient nvidia.com/gpu', async () => {
    await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], gpuDeployment('too-big', GPUS_PER_NODE * 2));
    await waitFor('unschedulable pod', async () => (await pods('too-big'))[0]?.unschedulableMessage !== undefined, { timeoutMs: 30_000 });
    const [pod] = await pods('too-big');
    expect(pod?.phase).toBe('Pending');
    expect(pod?.node).toBeUndefined();
    expect(pod?.unschedulableMessage).toContain('Insufficient nvidia.com/gpu');
  });

  it('runs out of GPUs across nodes: one replica per full node, the rest Pending', async () => {
    // Each replica takes a whole node's GPUs; two GPU nodes exist, and "fits" above holds 2 GPUs on one of them.
    await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], gpuDeployment('whole-node', GPUS_PER_NODE, 3));
    await waitFor(
      'replicas placed or refused',
      async () => {
        const current = await pods('whole-node');
        return current.length === 3 && current.every((p) => p.node !== undefined || p.unschedulableMessage !== undefined);
      },
      { timeoutMs: 30_000 },
    );
    const current = await pods('whole-node');
    const placed = current.filter((p) => p.node !== undefined);
    expect(placed).toHaveLength(1);
    expect(current.filter((p) => p.unschedulableMessage?.includes('Insufficient nvidia.com/gpu'))).toHaveLength(2);
  });
});
