// Why a workload's pod is not coming up, in the kubelet's words: a container that cannot start
// (image, configuration, runtime) or keeps failing (a crash loop, the OOM killer). Both controllers'
// status names the first such pod, so `kubectl get` says "ImagePullBackOff", not just "not ready".
// Reads only what kube/pod-essentials.ts keeps; pure.
import type { V1ContainerStateTerminated, V1ContainerStatus, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { PodFailureReasons as R, type PodFailureReason } from '../api/v1alpha1/conditions.ts';
import { plural } from '../utils.ts';
import { clipKubeletMessage } from '../kube/pod-essentials.ts';
import { condition, type ConditionInput } from './conditions.ts';

export interface PodFailure {
  reason: PodFailureReason;
  /** One sentence naming the pod, the container and what the kubelet says. */
  message: string;
}

/** The first failing pod (by name, so the status does not flap) and how many fail. */
export interface PodFailures {
  first: PodFailure;
  count: number;
}

/** Waiting reasons that mean the container cannot start or keeps crashing, not that it is on its way. */
const FAILED_WAITING: ReadonlySet<string> = new Set<PodFailureReason>([
  R.ImagePullBackOff,
  R.ErrImagePull,
  R.ErrImageNeverPull,
  R.InvalidImageName,
  R.CreateContainerConfigError,
  R.CreateContainerError,
  R.RunContainerError,
  R.CrashLoopBackOff,
]);

function failedWaiting(reason: string | undefined): reason is PodFailureReason {
  return reason !== undefined && FAILED_WAITING.has(reason);
}

function describeExit(t: V1ContainerStateTerminated): string {
  return t.reason === R.OOMKilled ? R.OOMKilled : `code ${t.exitCode} (${t.reason ?? 'Error'})`;
}

function describeTermination(t: V1ContainerStateTerminated): string {
  return t.reason === R.OOMKilled ? R.OOMKilled : `exited with ${describeExit(t)}`;
}

/**
 * A container's failure, or undefined while it is ready or merely on its way. The order:
 *   1. a waiting reason that blocks the start (image, configuration, runtime), as the kubelet says;
 *   2. OOMKilled when the current or last run was killed for memory, even in CrashLoopBackOff:
 *      the cause rather than the symptom, and one reason through the loop's back-off, restart and crash;
 *   3. CrashLoopBackOff while backing off, and between two crashes too: restarted, not ready, and
 *      its last run failed. A run that failed without a restart (a Job's pod) is the Job's to judge.
 */
function containerFailure(s: V1ContainerStatus): PodFailureReason | undefined {
  if (s.ready) return undefined;
  const waiting = s.state?.waiting?.reason;
  if (failedWaiting(waiting) && waiting !== R.CrashLoopBackOff) return waiting;
  if ((s.state?.terminated ?? s.lastState?.terminated)?.reason === R.OOMKilled) return R.OOMKilled;
  return waiting === R.CrashLoopBackOff || restartedAfterFailure(s) ? R.CrashLoopBackOff : undefined;
}

function restartedAfterFailure(s: V1ContainerStatus): boolean {
  return s.restartCount > 0 && !s.state?.terminated && (s.lastState?.terminated?.exitCode ?? 0) !== 0;
}

function describeContainer(pod: string, s: V1ContainerStatus): string {
  const waiting = s.state?.waiting;
  const parts: string[] = [];
  if (waiting && failedWaiting(waiting.reason))
    parts.push(waiting.message ? `${waiting.reason} (${clipKubeletMessage(waiting.message)})` : waiting.reason);
  else if (s.restartCount > 0) parts.push(`restarted ${plural(s.restartCount, 'time')}`);
  if (s.state?.terminated) parts.push(describeTermination(s.state.terminated));
  else if (s.lastState?.terminated) parts.push(`last exit ${describeExit(s.lastState.terminated)}`);
  return `Pod ${pod} container ${s.name}: ${parts.join('; ')}.`;
}

/** Why `pod` is failing, or undefined when it is not (or is going away: a replaced pod is not news). */
export function podFailure(pod: V1Pod): PodFailure | undefined {
  if (pod.metadata?.deletionTimestamp) return undefined;
  for (const s of pod.status?.containerStatuses ?? []) {
    const reason = containerFailure(s);
    if (reason) return { reason, message: describeContainer(pod.metadata?.name ?? '', s) };
  }
  return unboundClaim(pod);
}

/**
 * What the scheduler's volume binding says of a claim it cannot use: "pod has unbound immediate
 * PersistentVolumeClaims", `storageclass.storage.k8s.io "fast" not found`, `persistentvolumeclaim "x" not found`.
 */
const VOLUME_PROBLEM = /persistentvolumeclaim|storageclass/i;

/**
 * A pod the scheduler cannot place because its PersistentVolumeClaim is not bound (a StorageClass
 * that does not exist, or cannot provision). Other unschedulable pods (GPUs, taints) are waiting,
 * not broken: the ModelServer says InsufficientGPU for those.
 */
function unboundClaim(pod: V1Pod): PodFailure | undefined {
  if (pod.spec?.nodeName) return undefined;
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status !== 'False' || scheduled.reason !== 'Unschedulable' || !VOLUME_PROBLEM.test(scheduled.message ?? ''))
    return undefined;
  // The scheduler names neither the claim nor its StorageClass: name the pod's claims, whose events do.
  const claims = (pod.spec?.volumes ?? []).flatMap((v) => v.persistentVolumeClaim?.claimName ?? []);
  return {
    reason: R.UnboundPersistentVolumeClaim,
    message: `Pod ${pod.metadata?.name ?? ''} cannot be scheduled: ${asSentence(clipKubeletMessage(scheduled.message ?? ''))} The claim's events say why (${['kubectl describe pvc', ...claims].join(' ')}), often a StorageClass that does not exist.`,
  };
}

/**
 * `text` ending as a sentence does, so that the condition's own sentence can follow it: the API
 * server's refusals and the scheduler's messages often end without a full stop.
 */
function asSentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/**
 * Why a Deployment cannot create its pods at all, from the ReplicaFailure condition the Deployment
 * controller copies from its ReplicaSet (FailedCreate: a missing PriorityClass or ServiceAccount,
 * a quota). Read from the Deployment, which the operator caches anyway: no ReplicaSet watch needed.
 */
export function workloadFailure(deployment: V1Deployment | undefined): PodFailures | undefined {
  const failure = deployment?.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  if (!failure) return undefined;
  const name = deployment?.metadata?.name ?? '';
  return {
    first: {
      reason: R.FailedCreate,
      message: `Deployment ${name} cannot create pods: ${asSentence(clipKubeletMessage(failure.message ?? failure.reason ?? 'FailedCreate'))}`,
    },
    count: 1,
  };
}

export function podFailures(pods: readonly V1Pod[]): PodFailures | undefined {
  const failing = [...pods]
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))
    .flatMap((p) => podFailure(p) ?? []);
  const first = failing[0];
  return first && { first, count: failing.length };
}

/** The first failure's sentence, and how many more pods fail. */
export function describePodFailures(f: PodFailures): string {
  return f.count > 1 ? `${f.first.message} ${plural(f.count - 1, 'more pod')} failing.` : f.first.message;
}

/**
 * `notReady` told with the kubelet's reason when the pods fail: the reason becomes the condition's,
 * and the failing pod's sentence comes before what `notReady` said (e.g. how many are ready).
 */
export function withPodFailures(notReady: ConditionInput, failures: PodFailures | undefined): ConditionInput {
  if (notReady.status === 'True' || !failures) return notReady;
  return condition(notReady.type, false, failures.first.reason, `${describePodFailures(failures)} ${notReady.message}`);
}
