import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { podAddressResolver } from '../autoscaler/endpoints.ts';
import { isPodReady } from '../autoscaler/targets.ts';
import { insufficientGpuMessage } from '../controllers/model-server/observe.ts';
import { keepPodEssentials } from './pod-essentials.ts';

function fullPod(overrides: { nodeName?: string; ready?: boolean; unschedulable?: boolean; deleting?: boolean } = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'llama-vllm-7d9f-x2x4q', namespace: 'prod', uid: 'u-1', resourceVersion: '42',
      labels: { 'app.kubernetes.io/component': 'vllm', 'perpetual.ai/modelserver': 'llama' },
      ...(overrides.deleting ? { deletionTimestamp: new Date('2026-11-24T12:00:00Z') } : {}),
    },
    spec: {
      nodeName: overrides.nodeName,
      containers: [{
        name: 'vllm', image: 'vllm/vllm-openai:v0.11.0', args: ['--model', 'x'],
        ports: [{ name: 'http', containerPort: 8000, protocol: 'TCP' }, { containerPort: 9999 }],
        env: [{ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hf', key: 'token' } } }],
        resources: { limits: { 'nvidia.com/gpu': '1' } },
      }],
      volumes: [{ name: 'shm', emptyDir: { medium: 'Memory' } }],
    },
    status: {
      phase: overrides.nodeName ? 'Running' : 'Pending',
      podIP: overrides.nodeName ? '10.244.1.7' : undefined,
      conditions: [
        overrides.unschedulable
          ? { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.' }
          : { type: 'PodScheduled', status: 'True' },
        { type: 'Ready', status: overrides.ready ? 'True' : 'False' },
      ],
      containerStatuses: [{ name: 'vllm', image: 'vllm/vllm-openai:v0.11.0', imageID: '', ready: false, restartCount: 3 }],
    },
  };
}

const readers = {
  ready: (pod: V1Pod) => isPodReady(pod),
  insufficientGpu: (pod: V1Pod) => insufficientGpuMessage(pod, 'nvidia.com/gpu'),
  address: (pod: V1Pod) => podAddressResolver().resolve(pod, 'replica'),
  labels: (pod: V1Pod) => pod.metadata?.labels,
};

describe('keepPodEssentials', () => {
  it.each([
    { name: 'running and ready', pod: { nodeName: 'gpu-1', ready: true } },
    { name: 'running, not ready', pod: { nodeName: 'gpu-1' } },
    { name: 'pending for GPUs', pod: { unschedulable: true } },
    { name: 'terminating', pod: { nodeName: 'gpu-1', ready: true, deleting: true } },
  ])('changes no reader\'s answer: $name', ({ pod }) => {
    const kept = fullPod(pod);
    keepPodEssentials(kept);
    for (const read of Object.values(readers)) expect(read(kept)).toEqual(read(fullPod(pod)));
  });

  it('drops what nothing reads', () => {
    const pod = fullPod({ nodeName: 'gpu-1', ready: true });
    keepPodEssentials(pod);
    expect(JSON.stringify(pod)).not.toMatch(/HF_TOKEN|volumes|containerStatuses|image/);
    expect(pod.spec?.containers).toEqual([{ name: 'vllm', ports: [{ name: 'http', containerPort: 8000 }] }]);
  });
});
