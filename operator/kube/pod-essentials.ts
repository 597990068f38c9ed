// What the cache keeps of a Pod: the fields the operator reads, nothing else. A vLLM or gateway
// pod is several KB of JSON (volumes, env, probes, resources, statuses of every container), the
// operator watches all of its own, and it reads only:
//   - labels, owner references and deletionTimestamp (which workload, and whether it is going away);
//   - spec.nodeName and the PodScheduled condition (InsufficientGPU, model-server/observe.ts; an
//     unbound volume claim, controllers/pod-failure.ts), and the names of the claims its volumes
//     use (so that status names the claim to describe);
//   - the Ready condition, status.podIP and the container port named http (the autoscaler);
//   - of each container that is not ready: the waiting reason and message, the reason and exit
//     code of its current or last termination and its restart count (controllers/pod-failure.ts).
//     Never a termination message: the application writes it and it may hold anything.
//   - when the pod was scheduled and became ready (those conditions' lastTransitionTime) and when
//     each container started running (a ModelServer's cold-start breakdown, model-server/cold-start.ts).
// Reading another field of a cached Pod means keeping it here first (pod-essentials.test.ts runs
// every reader on a full pod and on what is kept).
import type { V1ContainerStateTerminated, V1ContainerStatus, V1Pod, V1PodCondition, V1Volume } from '@kubernetes/client-node';

/** The most of a kubelet message kept, and so shown in status: a registry's error can run long. */
export const KUBELET_MESSAGE_MAX = 256;

/** `message` cut to KUBELET_MESSAGE_MAX characters (ASCII, as the operator's bundle must stay). */
export function clipKubeletMessage(message: string): string {
  return message.length <= KUBELET_MESSAGE_MAX ? message : `${message.slice(0, KUBELET_MESSAGE_MAX - 3)}...`;
}

/** The conditions something reads; the others are dropped. */
const READ_CONDITIONS: ReadonlySet<string> = new Set(['Ready', 'PodScheduled']);

function keptCondition(c: V1PodCondition): V1PodCondition {
  return { type: c.type, status: c.status, reason: c.reason, message: c.message, lastTransitionTime: c.lastTransitionTime };
}

function keptTermination(t: V1ContainerStateTerminated | undefined): V1ContainerStateTerminated | undefined {
  return t && { exitCode: t.exitCode, reason: t.reason };
}

function keptContainerStatus(s: V1ContainerStatus): V1ContainerStatus {
  const waiting = s.state?.waiting;
  const terminated = keptTermination(s.state?.terminated);
  const last = keptTermination(s.lastState?.terminated);
  return {
    name: s.name,
    // Required by the type, read by nothing: an ErrImagePull message names the image anyway.
    image: '',
    imageID: '',
    ready: s.ready,
    restartCount: s.restartCount,
    state:
      waiting || terminated
        ? { waiting: waiting && { reason: waiting.reason, message: waiting.message && clipKubeletMessage(waiting.message) }, terminated }
        : undefined,
    lastState: last ? { terminated: last } : undefined,
  };
}

/** Of a ready container, only when it started running (the end of its image pull). */
function keptReadyContainerStatus(s: V1ContainerStatus): V1ContainerStatus {
  const startedAt = s.state?.running?.startedAt;
  return {
    name: s.name,
    image: '',
    imageID: '',
    ready: true,
    restartCount: s.restartCount,
    state: startedAt ? { running: { startedAt } } : undefined,
  };
}

/**
 * Only containers that are not ready can explain a failure, and a pod that succeeded (a finished
 * migration) has none to explain; of a ready container only its start time is kept.
 */
function keptContainerStatuses(status: V1Pod['status']): V1ContainerStatus[] | undefined {
  if (status?.phase === 'Succeeded') return undefined;
  const kept = status?.containerStatuses?.map((s) => (s.ready ? keptReadyContainerStatus(s) : keptContainerStatus(s)));
  return kept?.length ? kept : undefined;
}

/** Of the pod's volumes, only those that use a PersistentVolumeClaim, and of each only the claim's name. */
function keptClaimVolumes(spec: V1Pod['spec']): V1Volume[] | undefined {
  const claims = spec?.volumes?.flatMap((v) =>
    v.persistentVolumeClaim ? [{ name: v.name, persistentVolumeClaim: { claimName: v.persistentVolumeClaim.claimName } }] : [],
  );
  return claims?.length ? claims : undefined;
}

/** Reduces `pod`, in place, to what the operator reads. */
export function keepPodEssentials(pod: V1Pod): void {
  const { spec, status } = pod;
  pod.spec = {
    nodeName: spec?.nodeName,
    containers: (spec?.containers ?? []).map((c) => ({
      name: c.name,
      ports: c.ports?.filter((p) => p.name).map((p) => ({ name: p.name, containerPort: p.containerPort })),
    })),
    volumes: keptClaimVolumes(spec),
  };
  pod.status = {
    phase: status?.phase,
    podIP: status?.podIP,
    conditions: status?.conditions?.filter((c) => READ_CONDITIONS.has(c.type)).map(keptCondition),
    containerStatuses: keptContainerStatuses(status),
  };
}

/** Ready and not going away: what the autoscaler counts and what stops waking a PerpetualDeployment. */
export function isPodReady(pod: V1Pod): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}
