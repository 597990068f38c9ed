import type { V1ContainerStatus, V1Deployment, V1Pod } from '@kubernetes/client-node';
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
  status: {
    phase: 'Pending',
    conditions: [
      {
        type: 'PodScheduled',
        status: 'False',
        reason: 'Unschedulable',
        message: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.',
      },
    ],
  },
};

/** A vLLM replica whose container the kubelet reports as `trouble` (the fields pod-essentials.ts keeps). */
function failing(name: string, trouble: Partial<V1ContainerStatus>): V1Pod {
  return {
    metadata: { name, labels: { 'perpetual.ai/modelserver': 'm' } },
    spec: { nodeName: 'gpu-1', containers: [{ name: 'vllm' }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: [{ name: 'vllm', image: '', imageID: '', ready: false, restartCount: 0, ...trouble }],
    },
  };
}

const imagePullBackOff = failing('m-vllm-abc', {
  state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "vllm/vllm-openai:v0.99.0"' } },
});
const crashLoopBackOff = failing('m-vllm-abc', {
  restartCount: 5,
  state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container=vllm pod=m-vllm-abc_prod(u-1)' } },
  lastState: { terminated: { exitCode: 1, reason: 'Error' } },
});
const oomKilled = failing('m-vllm-abc', {
  restartCount: 3,
  state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=vllm pod=m-vllm-abc_prod(u-1)' } },
  lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
});
const createContainerConfigError = failing('m-vllm-abc', {
  state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "hf" not found' } },
});

const table = [
  { name: 'no Deployment yet', deployment: undefined, pods: [], phase: 'Progressing', ready: 'False', limited: 'False' },
  {
    name: 'all replicas ready',
    deployment: deployment(2, { replicas: 2, readyReplicas: 2, updatedReplicas: 2 }),
    pods: [],
    phase: 'Ready',
    ready: 'True',
    limited: 'False',
  },
  { name: 'scaled to zero', deployment: deployment(0, {}), pods: [], phase: 'Ready', ready: 'True', limited: 'False' },
  {
    name: 'starting',
    deployment: deployment(2, { replicas: 2, readyReplicas: 1, updatedReplicas: 2 }),
    pods: [],
    phase: 'Progressing',
    ready: 'False',
    limited: 'False',
  },
  {
    name: 'no GPU for any replica',
    deployment: deployment(2, { replicas: 2, updatedReplicas: 2 }),
    pods: [unschedulable, unschedulable],
    phase: 'Pending',
    ready: 'False',
    limited: 'True',
  },
  {
    name: 'no GPU for the second replica',
    deployment: deployment(2, { replicas: 2, readyReplicas: 1, updatedReplicas: 2 }),
    pods: [unschedulable],
    phase: 'Degraded',
    ready: 'False',
    limited: 'True',
  },
  {
    name: 'image not pulled, never served',
    deployment: deployment(2, { replicas: 2, updatedReplicas: 2 }),
    pods: [imagePullBackOff],
    phase: 'Progressing',
    ready: 'False',
    limited: 'False',
  },
  {
    name: 'second replica crash-looping',
    deployment: deployment(2, { replicas: 2, readyReplicas: 1, updatedReplicas: 2 }),
    pods: [crashLoopBackOff],
    phase: 'Degraded',
    ready: 'False',
    limited: 'False',
  },
  {
    name: 'crash-looping and out of GPUs',
    deployment: deployment(2, { replicas: 2, updatedReplicas: 2 }),
    pods: [oomKilled, unschedulable],
    phase: 'Progressing',
    ready: 'False',
    limited: 'True',
  },
];

describe('computeModelServerStatus', () => {
  it('names a Deployment that cannot create pods (no such PriorityClass) with FailedCreate, not "0 of 2 ready"', () => {
    const refused = 'pods "m-vllm-7d9f-" is forbidden: no PriorityClass with name gpu-high was found';
    const d: V1Deployment = { ...deployment(2, { replicas: 0, updatedReplicas: 0 }), metadata: { name: 'm-vllm' } };
    d.status = { ...d.status, conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: refused }] };
    const status = computeModelServerStatus(ms, { deployment: d, pods: [] }, NOW);
    expect(status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'FailedCreate',
      message: `Deployment m-vllm cannot create pods: ${refused}. 0 of 2 replicas ready.`,
    });
    expect(status.phase).toBe('Progressing');
  });

  it.each(table)('$name → $phase', ({ deployment: d, pods, phase, ready, limited }) => {
    const status = computeModelServerStatus(ms, { deployment: d, pods }, NOW);
    expect(status.phase).toBe(phase);
    expect(status.conditions?.find((c) => c.type === 'Ready')?.status).toBe(ready);
    expect(status.conditions?.find((c) => c.type === 'ScalingLimited')?.status).toBe(limited);
    expect(status.observedGeneration).toBe(4);
    expect(status.phaseReason).toMatch(/\.$/);
  });

  it("names the scheduler's reason when GPUs run out", () => {
    const status = computeModelServerStatus(ms, { deployment: deployment(2, { replicas: 2 }), pods: [unschedulable] }, NOW);
    expect(status.conditions?.find((c) => c.type === 'ScalingLimited')).toMatchObject({ reason: 'InsufficientGPU' });
    expect(status.phaseReason).toContain('Insufficient nvidia.com/gpu');
  });

  const condition = (status: ReturnType<typeof computeModelServerStatus>, type: string) => status.conditions?.find((c) => c.type === type);

  it.each([
    {
      name: 'ImagePullBackOff',
      pod: imagePullBackOff,
      reason: 'ImagePullBackOff',
      sentence: 'Pod m-vllm-abc container vllm: ImagePullBackOff (Back-off pulling image "vllm/vllm-openai:v0.99.0").',
    },
    {
      name: 'CrashLoopBackOff',
      pod: crashLoopBackOff,
      reason: 'CrashLoopBackOff',
      sentence:
        'Pod m-vllm-abc container vllm: CrashLoopBackOff (back-off 2m40s restarting failed container=vllm pod=m-vllm-abc_prod(u-1)); last exit code 1 (Error).',
    },
    {
      name: 'CreateContainerConfigError',
      pod: createContainerConfigError,
      reason: 'CreateContainerConfigError',
      sentence: 'Pod m-vllm-abc container vllm: CreateContainerConfigError (secret "hf" not found).',
    },
    {
      name: 'OOMKilled',
      pod: oomKilled,
      reason: 'OOMKilled',
      sentence:
        'Pod m-vllm-abc container vllm: CrashLoopBackOff (back-off 40s restarting failed container=vllm pod=m-vllm-abc_prod(u-1)); last exit OOMKilled.',
    },
  ])("says $name with the kubelet's reason on Ready and Available, and its words in phaseReason", ({ pod, reason, sentence }) => {
    const status = computeModelServerStatus(ms, { deployment: deployment(2, { replicas: 2, updatedReplicas: 2 }), pods: [pod] }, NOW);
    expect(condition(status, 'Ready')).toMatchObject({ status: 'False', reason, message: `${sentence} 0 of 2 replicas ready.` });
    expect(condition(status, 'Available')).toMatchObject({ status: 'False', reason, message: `${sentence} 0 replicas serving.` });
    expect(status.phaseReason).toBe(`${sentence} 0 of 2 replicas ready.`);
    expect(status.phaseReason?.length).toBeLessThanOrEqual(1024);
  });

  it('keeps Available True while other replicas serve, and names the failing one on Ready', () => {
    const status = computeModelServerStatus(
      ms,
      { deployment: deployment(2, { replicas: 2, readyReplicas: 1, updatedReplicas: 2 }), pods: [oomKilled] },
      NOW,
    );
    expect(condition(status, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    expect(condition(status, 'Ready')).toMatchObject({ status: 'False', reason: 'OOMKilled' });
    expect(status.phase).toBe('Degraded');
  });

  it('calls a server that was Ready and now cannot pull its new image Degraded, not Progressing', () => {
    const wasReady = {
      ...ms,
      status: computeModelServerStatus(
        ms,
        { deployment: deployment(2, { replicas: 2, readyReplicas: 2, updatedReplicas: 2 }), pods: [] },
        NOW,
      ),
    };
    const status = computeModelServerStatus(
      wasReady,
      { deployment: deployment(2, { replicas: 2, updatedReplicas: 1 }), pods: [imagePullBackOff] },
      NOW,
    );
    expect(status.phase).toBe('Degraded');
    expect(condition(status, 'Ready')?.reason).toBe('ImagePullBackOff');
  });

  it("calls a server that never served Failed once its Deployment's progress deadline has passed", () => {
    const stuck: V1Deployment = {
      ...deployment(2, { replicas: 2, updatedReplicas: 2 }),
      status: {
        replicas: 2,
        updatedReplicas: 2,
        conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
      },
    };
    const status = computeModelServerStatus(ms, { deployment: stuck, pods: [createContainerConfigError] }, NOW);
    expect(status.phase).toBe('Failed');
    expect(status.phaseReason).toContain('CreateContainerConfigError (secret "hf" not found)');
    expect(computeModelServerStatus(ms, { deployment: stuck, pods: [] }, NOW).phase).toBe('Progressing');
  });

  it('names the first failing pod by name and counts the others', () => {
    const second = failing('m-vllm-xyz', { state: { waiting: { reason: 'ErrImagePull', message: 'not found' } } });
    const status = computeModelServerStatus(
      ms,
      { deployment: deployment(2, { replicas: 2, updatedReplicas: 2 }), pods: [second, imagePullBackOff] },
      NOW,
    );
    expect(condition(status, 'Ready')?.reason).toBe('ImagePullBackOff');
    expect(status.phaseReason).toMatch(/^Pod m-vllm-abc container vllm: .* 1 more pod failing\. 0 of 2 replicas ready\.$/);
  });

  it('fills the kubectl columns and the scale selector', () => {
    const status = computeModelServerStatus(ms, { deployment: deployment(2, { replicas: 2, readyReplicas: 1 }), pods: [] }, NOW);
    expect(status).toMatchObject({ replicasSummary: '1/2', scaleRange: 'fixed', desiredReplicas: 2, readyReplicas: 1 });
    expect(status.selector?.split(',').sort()).toEqual([
      'app.kubernetes.io/component=vllm',
      'app.kubernetes.io/instance=m',
      'perpetual.ai/modelserver=m',
    ]);
  });
});

describe('computeModelServerStatus with autoscaling', () => {
  const autoscaled = (engine: string) =>
    defaultedModelServer(
      { name: 'm', generation: 2 },
      { model: { id: 'a/b' }, replicas: 3, autoscaling: { engine, minReplicas: 1, maxReplicas: 3, target: 2 } },
    );
  const builtin = autoscaled('builtin');
  const capped = {
    limit: {
      reason: 'MaxReplicas' as const,
      message: '12 requests in flight across 3 replicas, target 2 per replica: wants 6, capped at maxReplicas 3: keeping 3.',
    },
    scaled: [],
  };
  const scaled = {
    time: '2026-11-24T11:59:00Z',
    from: 1,
    to: 3,
    reason: '12 requests in flight across 1 replica, target 2 per replica: wants 6, capped at maxReplicas 3: scaling 1 → 3.',
  };
  const condition = (status: ReturnType<typeof computeModelServerStatus>, type: string) => status.conditions?.find((c) => c.type === type);

  it("reports the autoscaler's MaxReplicas limit without calling the server degraded", () => {
    const ready = computeModelServerStatus(
      builtin,
      { deployment: deployment(3, { replicas: 3, readyReplicas: 3, updatedReplicas: 3 }), pods: [], verdict: capped },
      NOW,
    );
    expect(condition(ready, 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'MaxReplicas', message: capped.limit.message });
    expect(ready.phase).toBe('Ready');
    const starting = computeModelServerStatus(
      builtin,
      { deployment: deployment(3, { replicas: 3, readyReplicas: 1, updatedReplicas: 3 }), pods: [], verdict: capped },
      NOW,
    );
    expect(starting.phase).toBe('Progressing');
  });

  it("names missing GPUs before the autoscaler's own limit", () => {
    const status = computeModelServerStatus(
      builtin,
      { deployment: deployment(3, { replicas: 3, readyReplicas: 2, updatedReplicas: 3 }), pods: [unschedulable], verdict: capped },
      NOW,
    );
    expect(condition(status, 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'InsufficientGPU' });
    expect(status.phase).toBe('Degraded');
  });

  it('records the scales made as lastScale and scalingHistory, newest first', () => {
    const before = {
      ...builtin,
      status: {
        lastScale: { ...scaled, time: '2026-11-24T11:00:00Z', from: 0, to: 1 },
        scalingHistory: [{ ...scaled, time: '2026-11-24T11:00:00Z', from: 0, to: 1 }],
      },
    };
    const status = computeModelServerStatus(
      before,
      { deployment: deployment(3, { replicas: 3 }), pods: [], verdict: { scaled: [scaled] } },
      NOW,
    );
    expect(status.lastScale).toEqual(scaled);
    expect(status.scalingHistory?.map((e) => `${String(e.from)}→${String(e.to)}`)).toEqual(['1→3', '0→1']);
  });

  it('says which engine scales, and that KEDA is missing when it is', () => {
    const observed = { deployment: deployment(3, { replicas: 3, readyReplicas: 3, updatedReplicas: 3 }), pods: [] };
    expect(condition(computeModelServerStatus(builtin, observed, NOW), 'ScalingActive')).toMatchObject({
      status: 'True',
      reason: 'BuiltinAutoscaler',
    });
    expect(condition(computeModelServerStatus(autoscaled('hpa'), observed, NOW), 'ScalingActive')).toMatchObject({
      status: 'True',
      reason: 'HorizontalPodAutoscaler',
      message: expect.stringContaining('vllm_num_requests_running') as unknown,
    });
    const keda = autoscaled('keda');
    expect(condition(computeModelServerStatus(keda, { ...observed, kedaInstalled: false }, NOW), 'ScalingActive')).toMatchObject({
      status: 'False',
      reason: 'KEDANotInstalled',
    });
    expect(condition(computeModelServerStatus(keda, { ...observed, kedaInstalled: true }, NOW), 'ScalingActive')).toMatchObject({
      status: 'True',
      reason: 'ScaledObject',
    });
    expect(condition(computeModelServerStatus(ms, observed, NOW), 'ScalingActive')).toBeUndefined();
  });

  it('ignores a verdict once another engine owns the replicas', () => {
    const status = computeModelServerStatus(
      autoscaled('hpa'),
      {
        deployment: deployment(3, { replicas: 3, readyReplicas: 3, updatedReplicas: 3 }),
        pods: [],
        verdict: { ...capped, scaled: [scaled] },
      },
      NOW,
    );
    expect(condition(status, 'ScalingLimited')?.status).toBe('False');
    expect(status.lastScale).toBeUndefined();
  });

  it('counts the replicas asleep with a standby, in the field and in the kubectl column, and keeps the count across a restart', () => {
    const standby = defaultedModelServer(
      { name: 'm', generation: 2 },
      { model: { id: 'a/b' }, gpu: { count: 1 }, replicas: 1, autoscaling: { minReplicas: 0, maxReplicas: 3, standby: {} } },
    );
    const observed = { deployment: deployment(1, { replicas: 1, readyReplicas: 1, updatedReplicas: 1 }), pods: [] };
    const status = computeModelServerStatus(standby, { ...observed, verdict: { scaled: [], sleeping: 1 } }, NOW);
    expect(status).toMatchObject({ sleepingReplicas: 1, replicasSummary: '1/1 (1 asleep)' });
    // A restarted operator has no reading yet: the last one stays until its first interval.
    expect(computeModelServerStatus({ ...standby, status }, observed, NOW).sleepingReplicas).toBe(1);
    const awake = computeModelServerStatus(standby, { ...observed, verdict: { scaled: [], sleeping: 0 } }, NOW);
    expect(awake).toMatchObject({ sleepingReplicas: 0, replicasSummary: '1/1' });
    expect(computeModelServerStatus(builtin, observed, NOW).sleepingReplicas).toBeUndefined();
  });
});
