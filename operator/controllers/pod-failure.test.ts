import type { V1ContainerStatus, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { condition } from './conditions.ts';
import { podFailure, podFailures, withPodFailures, workloadFailure } from './pod-failure.ts';

function pod(name: string, status: Partial<V1ContainerStatus>, extra: { deleting?: boolean; container?: string } = {}): V1Pod {
  return {
    metadata: { name, ...(extra.deleting ? { deletionTimestamp: new Date('2026-11-24T12:00:00Z') } : {}) },
    status: {
      phase: 'Running',
      containerStatuses: [{ name: extra.container ?? 'vllm', image: '', imageID: '', ready: false, restartCount: 0, ...status }],
    },
  };
}

const crashLoop = (last: { exitCode: number; reason: string }) => ({
  restartCount: 3,
  state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=vllm pod=m-vllm-abc_prod(u-1)' } },
  lastState: { terminated: last },
});

describe('podFailure', () => {
  it.each([
    {
      name: 'ImagePullBackOff',
      status: { state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "vllm/vllm-openai:v0.99.0"' } } },
      reason: 'ImagePullBackOff',
      message: 'Pod m-vllm-abc container vllm: ImagePullBackOff (Back-off pulling image "vllm/vllm-openai:v0.99.0").',
    },
    {
      name: 'ErrImagePull',
      status: {
        state: { waiting: { reason: 'ErrImagePull', message: 'failed to pull and unpack image "registry.example/vllm:nope": not found' } },
      },
      reason: 'ErrImagePull',
      message: 'Pod m-vllm-abc container vllm: ErrImagePull (failed to pull and unpack image "registry.example/vllm:nope": not found).',
    },
    {
      name: 'CrashLoopBackOff after an error exit',
      status: crashLoop({ exitCode: 1, reason: 'Error' }),
      reason: 'CrashLoopBackOff',
      message:
        'Pod m-vllm-abc container vllm: CrashLoopBackOff (back-off 40s restarting failed container=vllm pod=m-vllm-abc_prod(u-1)); last exit code 1 (Error).',
    },
    {
      name: 'CrashLoopBackOff after the OOM killer: OOMKilled, the cause',
      status: crashLoop({ exitCode: 137, reason: 'OOMKilled' }),
      reason: 'OOMKilled',
      message:
        'Pod m-vllm-abc container vllm: CrashLoopBackOff (back-off 40s restarting failed container=vllm pod=m-vllm-abc_prod(u-1)); last exit OOMKilled.',
    },
    {
      name: 'OOMKilled, restarted and not ready yet',
      status: { restartCount: 2, state: { running: {} }, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } },
      reason: 'OOMKilled',
      message: 'Pod m-vllm-abc container vllm: restarted 2 times; last exit OOMKilled.',
    },
    {
      name: 'restarted after an error exit, between two back-offs',
      status: { restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 2, reason: 'Error' } } },
      reason: 'CrashLoopBackOff',
      message: 'Pod m-vllm-abc container vllm: restarted 1 time; last exit code 2 (Error).',
    },
    {
      name: 'CreateContainerConfigError names the Secret, never a value',
      status: { state: { waiting: { reason: 'CreateContainerConfigError', message: "couldn't find key token in Secret prod/hf" } } },
      reason: 'CreateContainerConfigError',
      message: "Pod m-vllm-abc container vllm: CreateContainerConfigError (couldn't find key token in Secret prod/hf).",
    },
    {
      name: "OOMKilled for good (a Job's pod never restarts)",
      status: { state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } },
      reason: 'OOMKilled',
      message: 'Pod m-vllm-abc container vllm: OOMKilled.',
    },
  ])('$name', ({ status, reason, message }) => {
    expect(podFailure(pod('m-vllm-abc', status))).toEqual({ reason, message });
  });

  it.each([
    { name: 'creating its container', status: { state: { waiting: { reason: 'ContainerCreating' } } } },
    { name: 'running, not ready yet', status: { state: { running: {} } } },
    {
      name: 'ready, though OOMKilled once',
      status: { ready: true, restartCount: 1, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } },
    },
    {
      name: 'restarted after a clean exit',
      status: { restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 0, reason: 'Completed' } } },
    },
    {
      name: "a Job's pod that exited with an error (the Job retries and judges)",
      status: { state: { terminated: { exitCode: 1, reason: 'Error' } } },
    },
  ])('is not a failure: $name', ({ status }) => {
    expect(podFailure(pod('m-vllm-abc', status))).toBeUndefined();
  });

  it('ignores a pod that is going away', () => {
    expect(podFailure(pod('m-vllm-abc', crashLoop({ exitCode: 1, reason: 'Error' }), { deleting: true }))).toBeUndefined();
  });
});

describe('podFailures', () => {
  const pull = { state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x"' } } };

  it("names the first failing pod by name, whatever the cache's order, and counts the others", () => {
    const pods = [pod('m-vllm-c', pull), pod('m-vllm-a', { state: { running: {} } }), pod('m-vllm-b', pull)];
    expect(podFailures(pods)).toEqual({
      count: 2,
      first: { reason: 'ImagePullBackOff', message: 'Pod m-vllm-b container vllm: ImagePullBackOff (Back-off pulling image "x").' },
    });
    expect(podFailures([...pods].reverse())).toEqual(podFailures(pods));
  });

  it("puts the kubelet's reason on a condition that is not True, and the sentence before its message", () => {
    const notReady = condition('Ready', false, 'ReplicasNotReady', '0 of 3 replicas ready.');
    const failures = podFailures([pod('m-vllm-a', pull), pod('m-vllm-b', pull), pod('m-vllm-c', pull)]);
    expect(withPodFailures(notReady, failures)).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'ImagePullBackOff',
      message: 'Pod m-vllm-a container vllm: ImagePullBackOff (Back-off pulling image "x"). 2 more pods failing. 0 of 3 replicas ready.',
    });
    const ready = condition('Ready', true, 'ReplicasReady', 'All 3 replicas ready.');
    expect(withPodFailures(ready, failures)).toBe(ready);
    expect(withPodFailures(notReady, undefined)).toBe(notReady);
  });
});

describe('pods that cannot be placed or created', () => {
  const pending = (name: string, message: string): V1Pod => ({
    metadata: { name },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }] },
  });

  it.each([
    '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    '0/3 nodes are available: storageclass.storage.k8s.io "fast-ssd" not found.',
  ])('names a pod waiting for a volume claim that will not bind: %s', (message) => {
    expect(podFailure(pending('app-qdrant-0', message))).toEqual({
      reason: 'UnboundPersistentVolumeClaim',
      message: `Pod app-qdrant-0 cannot be scheduled: ${message} The claim's events say why (kubectl describe pvc), often a StorageClass that does not exist.`,
    });
  });

  it('names the claims to describe, and ends the scheduler\'s message as a sentence (kube-scheduler 1.3x adds "not found" without a full stop)', () => {
    // As test/cluster/failure-reasons.test.ts sees it for a StatefulSet whose claim names a StorageClass that does not exist.
    const message = '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found';
    const pod = pending('app-qdrant-0', message);
    pod.spec = {
      containers: [],
      volumes: [
        { name: 'storage', persistentVolumeClaim: { claimName: 'storage-app-qdrant-0' } },
        { name: 'tmp', emptyDir: {} },
      ],
    };
    expect(podFailure(pod)).toEqual({
      reason: 'UnboundPersistentVolumeClaim',
      message: `Pod app-qdrant-0 cannot be scheduled: ${message}. The claim's events say why (kubectl describe pvc storage-app-qdrant-0), often a StorageClass that does not exist.`,
    });
  });

  it('leaves a pod waiting for GPUs to InsufficientGPU (more GPUs would fix it)', () => {
    expect(podFailure(pending('m-vllm-a', '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.'))).toBeUndefined();
  });

  it('reads a Deployment that cannot create pods from its ReplicaFailure condition (a missing PriorityClass or ServiceAccount)', () => {
    const refused = 'pods "m-vllm-7d9f-" is forbidden: no PriorityClass with name gpu-high was found';
    const deployment: V1Deployment = {
      metadata: { name: 'm-vllm' },
      status: {
        conditions: [
          { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated' },
          { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: refused },
        ],
      },
    };
    // The API server's refusal has no full stop: the condition's next sentence must not run into it.
    expect(workloadFailure(deployment)).toEqual({
      count: 1,
      first: { reason: 'FailedCreate', message: `Deployment m-vllm cannot create pods: ${refused}.` },
    });
    expect(
      workloadFailure({ ...deployment, status: { conditions: [{ type: 'ReplicaFailure', status: 'False', reason: 'FailedCreate' }] } }),
    ).toBeUndefined();
    expect(workloadFailure(undefined)).toBeUndefined();
  });
});
