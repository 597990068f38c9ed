// The simulated nodes of the cluster profile. kwok keeps them Ready and runs their pods (on paper:
// no container ever starts). Their capacity is what the scheduler bin-packs GPUs against.
import type { V1Node } from '@kubernetes/client-node';

/** Annotation kwok is told to select the nodes it manages by. */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
export const GPU_PRODUCT = 'NVIDIA-H100-80GB-HBM3';
export const GPUS_PER_NODE = 4;

function fakeNode(name: string, gpus: number): V1Node {
  const capacity: Record<string, string> = { cpu: '32', memory: '256Gi', pods: '110' };
  const labels: Record<string, string> = { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', type: 'kwok' };
  if (gpus > 0) {
    capacity['nvidia.com/gpu'] = String(gpus);
    labels['nvidia.com/gpu.product'] = GPU_PRODUCT;
    labels['nvidia.com/gpu.count'] = String(gpus);
  }
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels, annotations: { [KWOK_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' } },
    status: { capacity, allocatable: capacity },
  };
}

/** Two GPU nodes with four H100s each, and one CPU-only node. */
export function fakeNodes(): V1Node[] {
  return [fakeNode('gpu-node-0', GPUS_PER_NODE), fakeNode('gpu-node-1', GPUS_PER_NODE), fakeNode('cpu-node-0', 0)];
}
