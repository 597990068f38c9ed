import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { podAddressResolver } from '../autoscaler/endpoints.ts';
import { isPodReady } from './pod-essentials.ts';
import { insufficientGpuMessage } from '../controllers/model-server/observe.ts';
import { podFailure } from '../controllers/pod-failure.ts';
import { podColdStart } from '../controllers/model-server/cold-start.ts';
import { KUBELET_MESSAGE_MAX, keepPodEssentials } from './pod-essentials.ts';

type ContainerTrouble = Pick<V1ContainerStatus, 'state' | 'lastState' | 'restartCount'>;

/** What the kubelet reports for each failure the status names (as seen on a real node). */
const troubles = {
  imagePullBackOff: {
    restartCount: 0,
    state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "vllm/vllm-openai:v0.99.0"' } },
  },
  crashLoopBackOff: {
    restartCount: 4,
    state: {
      waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=vllm pod=llama-vllm-7d9f-x2x4q_prod(u-1)' },
    },
    lastState: {
      terminated: {
        exitCode: 1,
        reason: 'Error',
        message: 'Traceback: HF_TOKEN=hf_secret rejected',
        startedAt: new Date('2026-11-24T11:59:00Z'),
        finishedAt: new Date('2026-11-24T11:59:30Z'),
        containerID: 'containerd://abc',
      },
    },
  },
  createContainerConfigError: {
    restartCount: 0,
    state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "hf" not found' } },
  },
  oomKilled: {
    restartCount: 2,
    state: { running: { startedAt: new Date('2026-11-24T12:00:00Z') } },
    lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
  },
  longMessage: {
    restartCount: 0,
    state: { waiting: { reason: 'ErrImagePull', message: `failed to pull and unpack image: ${'x'.repeat(2000)}` } },
  },
} satisfies Record<string, ContainerTrouble>;

function fullPod(
  overrides: {
    nodeName?: string;
    ready?: boolean;
    unschedulable?: boolean;
    unboundClaim?: boolean;
    deleting?: boolean;
    trouble?: ContainerTrouble;
  } = {},
): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'llama-vllm-7d9f-x2x4q',
      namespace: 'prod',
      uid: 'u-1',
      resourceVersion: '42',
      creationTimestamp: new Date('2026-11-24T10:59:58Z'),
      labels: { 'app.kubernetes.io/component': 'vllm', 'perpetual.ai/modelserver': 'llama' },
      ...(overrides.deleting ? { deletionTimestamp: new Date('2026-11-24T12:00:00Z') } : {}),
    },
    spec: {
      nodeName: overrides.nodeName,
      containers: [
        {
          name: 'vllm',
          image: 'vllm/vllm-openai:v0.11.0',
          args: ['--model', 'x'],
          ports: [{ name: 'http', containerPort: 8000, protocol: 'TCP' }, { containerPort: 9999 }],
          env: [{ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hf', key: 'token' } } }],
          resources: { limits: { 'nvidia.com/gpu': '1' } },
        },
      ],
      volumes: [
        { name: 'shm', emptyDir: { medium: 'Memory' } },
        ...(overrides.unboundClaim ? [{ name: 'weights', persistentVolumeClaim: { claimName: 'llama-weights', readOnly: true } }] : []),
      ],
    },
    status: {
      phase: overrides.nodeName ? 'Running' : 'Pending',
      podIP: overrides.nodeName ? '10.244.1.7' : undefined,
      conditions: [
        {
          type: 'PodReadyToStartContainers',
          status: overrides.nodeName ? 'True' : 'False',
          lastTransitionTime: new Date('2026-11-24T11:00:00Z'),
        },
        overrides.unschedulable || overrides.unboundClaim
          ? {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: overrides.unboundClaim
                ? '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found'
                : '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.',
            }
          : { type: 'PodScheduled', status: 'True', lastTransitionTime: new Date('2026-11-24T11:00:00Z') },
        { type: 'Ready', status: overrides.ready ? 'True' : 'False', lastTransitionTime: new Date('2026-11-24T11:01:30Z') },
        { type: 'ContainersReady', status: overrides.ready ? 'True' : 'False' },
      ],
      containerStatuses: [
        {
          name: 'vllm',
          image: 'docker.io/vllm/vllm-openai:v0.11.0',
          imageID: 'sha256:0123',
          containerID: 'containerd://abc',
          ready: overrides.ready ?? false,
          started: overrides.ready ?? false,
          restartCount: 0,
          ...(overrides.ready ? { state: { running: { startedAt: new Date('2026-11-24T11:00:20Z') } } } : {}),
          ...overrides.trouble,
        },
      ],
    },
  };
}

const readers = {
  ready: (pod: V1Pod) => isPodReady(pod),
  insufficientGpu: (pod: V1Pod) => insufficientGpuMessage(pod, 'nvidia.com/gpu'),
  address: (pod: V1Pod) => podAddressResolver().resolve(pod, 'replica'),
  labels: (pod: V1Pod) => pod.metadata?.labels,
  failure: (pod: V1Pod) => podFailure(pod),
  coldStart: (pod: V1Pod) => podColdStart(pod),
};

describe('keepPodEssentials', () => {
  it.each([
    { name: 'running and ready', pod: { nodeName: 'gpu-1', ready: true } },
    { name: 'running, not ready', pod: { nodeName: 'gpu-1' } },
    { name: 'pending for GPUs', pod: { unschedulable: true } },
    { name: 'pending for a claim that will not bind', pod: { unboundClaim: true } },
    { name: 'terminating', pod: { nodeName: 'gpu-1', ready: true, deleting: true } },
    { name: 'ImagePullBackOff', pod: { nodeName: 'gpu-1', trouble: troubles.imagePullBackOff } },
    { name: 'CrashLoopBackOff', pod: { nodeName: 'gpu-1', trouble: troubles.crashLoopBackOff } },
    { name: 'CreateContainerConfigError', pod: { nodeName: 'gpu-1', trouble: troubles.createContainerConfigError } },
    { name: 'OOMKilled, restarted', pod: { nodeName: 'gpu-1', trouble: troubles.oomKilled } },
    { name: 'ErrImagePull with a long message', pod: { nodeName: 'gpu-1', trouble: troubles.longMessage } },
  ])("changes no reader's answer: $name", ({ pod }) => {
    const kept = fullPod(pod);
    keepPodEssentials(kept);
    for (const read of Object.values(readers)) expect(read(kept)).toEqual(read(fullPod(pod)));
  });

  it('drops what nothing reads', () => {
    const pod = fullPod({ nodeName: 'gpu-1', ready: true });
    keepPodEssentials(pod);
    expect(JSON.stringify(pod)).not.toMatch(/HF_TOKEN|volumes|vllm-openai|sha256|containerd|ContainersReady|PodReadyToStartContainers/);
    expect(pod.spec?.containers).toEqual([{ name: 'vllm', ports: [{ name: 'http', containerPort: 8000 }] }]);
    // Of a ready container, only when it started (the cold-start breakdown).
    expect(pod.status?.containerStatuses).toEqual([
      {
        name: 'vllm',
        image: '',
        imageID: '',
        ready: true,
        restartCount: 0,
        state: { running: { startedAt: new Date('2026-11-24T11:00:20Z') } },
      },
    ]);
  });

  it('keeps of the volumes only the names of the claims they use', () => {
    const pod = fullPod({ unboundClaim: true });
    keepPodEssentials(pod);
    expect(pod.spec?.volumes).toEqual([{ name: 'weights', persistentVolumeClaim: { claimName: 'llama-weights' } }]);
  });

  it('keeps of a failing container only its reasons, exit codes and restarts, never a termination message', () => {
    const pod = fullPod({ nodeName: 'gpu-1', trouble: troubles.crashLoopBackOff });
    keepPodEssentials(pod);
    expect(pod.status?.containerStatuses).toEqual([
      {
        name: 'vllm',
        image: '',
        imageID: '',
        ready: false,
        restartCount: 4,
        state: { waiting: troubles.crashLoopBackOff.state.waiting },
        lastState: { terminated: { exitCode: 1, reason: 'Error' } },
      },
    ]);
    expect(JSON.stringify(pod)).not.toMatch(/hf_secret|Traceback|containerd|docker\.io|startedAt/);
  });

  it('keeps at most KUBELET_MESSAGE_MAX characters of a kubelet message', () => {
    const pod = fullPod({ nodeName: 'gpu-1', trouble: troubles.longMessage });
    keepPodEssentials(pod);
    const message = pod.status?.containerStatuses?.[0]?.state?.waiting?.message ?? '';
    expect(message).toHaveLength(KUBELET_MESSAGE_MAX);
    expect(message).toMatch(/^failed to pull and unpack image: x+\.\.\.$/);
  });

  it('keeps no container statuses of a pod that succeeded (a finished migration)', () => {
    const pod = fullPod({ nodeName: 'gpu-1', trouble: { restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } } });
    pod.status = { ...pod.status, phase: 'Succeeded' };
    keepPodEssentials(pod);
    expect(pod.status.containerStatuses).toBeUndefined();
  });
});
