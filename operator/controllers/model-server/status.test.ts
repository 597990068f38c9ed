import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { defaultedModelServer } from '../../api/v1alpha1/defaults.ts';
import { computeModelServerStatus } from './status.ts';

const NOW = new Date('2026-11-24T12:00:00Z');
const ms = defaultedModelServer({ name: 'm', generation: 4 }, { model: { id: 'a/b' }, replicas: 2 });

function deployment(replicas: number, status: { replicas?: number; readyReplicas?: number; updatedReplicas?: number }): V1Deployment {
  return { spec: { replicas, selector: {}, template: {} }, status };
}

const unschedulable: V1Pod = {
  metadata: { labels: { 'perpetual.ai/modelserver': 'm' } },
  status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.' }] },
};

const table = [
  { name: 'no Deployment yet', deployment: undefined, pods: [], phase: 'Progressing', ready: 'False', limited: 'False' },
  { name: 'all replicas ready', deployment: deployment(2, { replicas: 2, readyReplicas: 2, updatedReplicas: 2 }), pods: [], phase: 'Ready', ready: 'True', limited: 'False' },
  { name: 'scaled to zero', deployment: deployment(0, {}), pods: [], phase: 'Ready', ready: 'True', limited: 'False' },
  { name: 'starting', deployment: deployment(2, { replicas: 2, readyReplicas: 1, updatedReplicas: 2 }), pods: [], phase: 'Progressing', ready: 'False', limited: 'False' },
  { name: 'no GPU for any replica', deployment: deployment(2, { replicas: 2, updatedReplicas: 2 }), pods: [unschedulable, unschedulable], phase: 'Pending', ready: 'False', limited: 'True' },
  { name: 'no GPU for the second replica', deployment: deployment(2, { replicas: 2, readyReplicas: 1, updatedReplicas: 2 }), pods: [unschedulable], phase: 'Degraded', ready: 'False', limited: 'True' },
];

describe('computeModelServerStatus', () => {
  it.each(table)('$name → $phase', ({ deployment: d, pods, phase, ready, limited }) => {
    const status = computeModelServerStatus(ms, { deployment: d, pods }, NOW);
    expect(status.phase).toBe(phase);
    expect(status.conditions?.find((c) => c.type === 'Ready')?.status).toBe(ready);
    expect(status.conditions?.find((c) => c.type === 'ScalingLimited')?.status).toBe(limited);
    expect(status.observedGeneration).toBe(4);
    expect(status.phaseReason).toMatch(/\.$/);
  });

  it('names the scheduler\'s reason when GPUs run out', () => {
    const status = computeModelServerStatus(ms, { deployment: deployment(2, { replicas: 2 }), pods: [unschedulable] }, NOW);
    expect(status.conditions?.find((c) => c.type === 'ScalingLimited')).toMatchObject({ reason: 'InsufficientGPU' });
    expect(status.phaseReason).toContain('Insufficient nvidia.com/gpu');
  });

  it('fills the kubectl columns and the scale selector', () => {
    const status = computeModelServerStatus(ms, { deployment: deployment(2, { replicas: 2, readyReplicas: 1 }), pods: [] }, NOW);
    expect(status).toMatchObject({ replicasSummary: '1/2', scaleRange: 'fixed', desiredReplicas: 2, readyReplicas: 1 });
    expect(status.selector?.split(',').sort()).toEqual(['app.kubernetes.io/component=vllm', 'app.kubernetes.io/instance=m', 'perpetual.ai/modelserver=m']);
  });
});
