// The cold-start breakdown from a pod's stamps, the latest one kept across scale to zero, and the
// Event text.
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { defaultedModelServer } from '../../api/v1alpha1/defaults.ts';
import { keepPodEssentials } from '../../kube/pod-essentials.ts';
import { coldStartMessage, lastColdStart, podColdStart } from './cold-start.ts';
import { computeModelServerStatus } from './status.ts';

/** A vLLM pod as the API server returns it: created at `t0`, scheduled, started and ready `s`, `st`, `r` seconds later. */
function pod(name: string, t0: string, at: { scheduled: number; started?: number; ready?: number }): V1Pod {
  const after = (s: number) => new Date(new Date(t0).getTime() + s * 1000);
  return {
    metadata: { name, creationTimestamp: new Date(t0), labels: { 'perpetual.ai/modelserver': 'm' } },
    spec: { nodeName: 'gpu-1', containers: [{ name: 'vllm' }] },
    status: {
      phase: 'Running',
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: after(at.scheduled) },
        { type: 'Ready', status: at.ready === undefined ? 'False' : 'True', lastTransitionTime: after(at.ready ?? at.scheduled) },
      ],
      containerStatuses: [
        {
          name: 'vllm',
          image: 'vllm/vllm-openai:v0.11.0',
          imageID: 'sha256:1',
          ready: at.ready !== undefined,
          restartCount: 0,
          state: at.started === undefined ? { waiting: { reason: 'ContainerCreating' } } : { running: { startedAt: after(at.started) } },
        },
      ],
    },
  };
}

describe('podColdStart', () => {
  it('splits created → scheduled → started → ready into seconds', () => {
    expect(podColdStart(pod('m-vllm-a', '2026-12-01T10:00:00Z', { scheduled: 3, started: 48, ready: 140 }))).toEqual({
      pod: 'm-vllm-a',
      createdAt: '2026-12-01T10:00:00Z',
      scheduledSeconds: 3,
      startedSeconds: 45,
      loadedSeconds: 92,
      totalSeconds: 140,
    });
  });

  it('is the same from what the informer cache keeps of the pod', () => {
    const full = pod('m-vllm-a', '2026-12-01T10:00:00Z', { scheduled: 3, started: 48, ready: 140 });
    const kept = structuredClone(full);
    keepPodEssentials(kept);
    expect(podColdStart(kept)).toEqual(podColdStart(full));
    expect(podColdStart(kept)?.loadedSeconds).toBe(92);
  });

  it('is undefined until the pod is ready, and leaves out the container phases when its start came after readiness (a restart)', () => {
    expect(podColdStart(pod('m-vllm-a', '2026-12-01T10:00:00Z', { scheduled: 3, started: 48 }))).toBeUndefined();
    const restarted = podColdStart(pod('m-vllm-a', '2026-12-01T10:00:00Z', { scheduled: 3, started: 900, ready: 140 }));
    expect(restarted).toEqual({ pod: 'm-vllm-a', createdAt: '2026-12-01T10:00:00Z', scheduledSeconds: 3, totalSeconds: 140 });
  });
});

describe('lastColdStart', () => {
  const early = pod('m-vllm-a', '2026-12-01T10:00:00Z', { scheduled: 1, started: 10, ready: 60 });
  const late = pod('m-vllm-b', '2026-12-01T10:05:00Z', { scheduled: 2, started: 12, ready: 30 });

  it('is the pod that became ready last, and stays after the pods are gone', () => {
    const latest = lastColdStart([early, late], undefined);
    expect(latest?.pod).toBe('m-vllm-b');
    expect(lastColdStart([], latest)).toEqual(latest);
    // An older pod does not replace a newer record.
    expect(lastColdStart([early], latest)?.pod).toBe('m-vllm-b');
  });

  it('lands in status and reads as one sentence for the Event', () => {
    const ms = defaultedModelServer({ name: 'm' }, { model: { id: 'a/b' }, replicas: 1 });
    const status = computeModelServerStatus(ms, { deployment: undefined, pods: [late] }, new Date('2026-12-01T11:00:00Z'));
    expect(status.lastColdStart).toMatchObject({ pod: 'm-vllm-b', totalSeconds: 30 });
    expect(status.lastColdStart && coldStartMessage(status.lastColdStart)).toBe(
      'Replica m-vllm-b ready 30s after creation: scheduled 2s, image pulled and started 10s, weights loaded 18s.',
    );
  });
});
