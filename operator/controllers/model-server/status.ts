// A ModelServer's status, computed purely from the spec and what was observed.
import {
  AvailableReasons,
  ModelServerConditions as C,
  ModelServerReadyReasons as ReadyR,
  ProgressingReasons,
  RolloutBlockedReasons,
  ScalingLimitedReasons,
  WeightsReasons,
  WithinLimitsReason,
} from '../../api/v1alpha1/conditions.ts';
import { plural } from '../../utils.ts';
import { mergeScalingHistory } from '../../scaling-verdicts.ts';
import type { ModelServer, ModelServerStatus } from '../../api/v1alpha1/model-server.ts';
import type { Phase } from '../../api/v1alpha1/common.ts';
import { ownerOf, selectorLabels } from '../../resources/meta.ts';
import { clipSentence, condition, withTransitionTimes, type ConditionInput } from '../conditions.ts';
import { podFailures, withPodFailures, workloadFailure, type PodFailures } from '../pod-failure.ts';
import { scalingActiveCondition } from './autoscaling.ts';
import { desiredReplicas } from '../../api/v1alpha1/model-server-funcs.ts';
import { modelServerEndpoint } from './names.ts';
import { insufficientGpuMessage, type ModelServerObserved } from './observe.ts';
import { inferencePoolCondition } from './inference-pool.ts';
import { preloadState } from './preload-job.ts';
import { holdsReplicas, weightsCondition, type WeightsInputs } from './weights.ts';
import { lastColdStart } from './cold-start.ts';

/** The Deployment controller's own reason on its Progressing condition (apps/v1), not one of ours. */
const DEPLOYMENT_PROGRESS_DEADLINE_EXCEEDED = 'ProgressDeadlineExceeded';

interface Counts {
  desired: number;
  current: number;
  ready: number;
  updated: number;
  unschedulable: string[];
  /** Replicas the kubelet cannot start or that keep failing (ImagePullBackOff, CrashLoopBackOff, ...). */
  failures: PodFailures | undefined;
  deadlineExceeded: boolean;
}

function counts(ms: ModelServer, observed: ModelServerObserved): Counts {
  const status = observed.deployment?.status;
  return {
    desired: observed.deployment?.spec?.replicas ?? desiredReplicas(ms.spec),
    current: status?.replicas ?? 0,
    ready: status?.readyReplicas ?? 0,
    updated: status?.updatedReplicas ?? 0,
    unschedulable: observed.pods
      .map((p) => insufficientGpuMessage(p, ms.spec.gpu.resourceName))
      .filter((m): m is string => m !== undefined),
    failures: podFailures(observed.pods) ?? workloadFailure(observed.deployment),
    deadlineExceeded:
      status?.conditions?.some((c) => c.type === 'Progressing' && c.reason === DEPLOYMENT_PROGRESS_DEADLINE_EXCEEDED) ?? false,
  };
}

/** A replica that cannot start or keeps failing is named before missing GPUs: more GPUs would not fix it. */
function readyCondition(c: Counts, hasDeployment: boolean): ConditionInput {
  if (c.desired === 0) return condition(C.Ready, hasDeployment, ReadyR.ScaledToZero, 'Scaled to zero; a request starts a replica.');
  if (c.ready >= c.desired && c.updated >= c.desired)
    return condition(C.Ready, hasDeployment, ReadyR.ReplicasReady, `All ${plural(c.desired, 'replica')} ready.`);
  const notReady = condition(C.Ready, false, ReadyR.ReplicasNotReady, `${String(c.ready)} of ${String(c.desired)} replicas ready.`);
  if (c.failures) return withPodFailures(notReady, c.failures);
  if (c.unschedulable.length > 0) {
    return condition(
      C.Ready,
      false,
      ScalingLimitedReasons.InsufficientGPU,
      `${plural(c.unschedulable.length, 'pod')} cannot be scheduled: ${c.unschedulable[0] ?? ''}`,
    );
  }
  return notReady;
}

function availableCondition(c: Counts): ConditionInput {
  const available = c.ready > 0;
  return withPodFailures(
    condition(
      C.Available,
      available,
      available ? AvailableReasons.MinimumReplicasAvailable : AvailableReasons.NoReplicasAvailable,
      `${plural(c.ready, 'replica')} serving.`,
    ),
    c.failures,
  );
}

function rolledOut(c: Counts): boolean {
  return c.desired === 0 || (c.ready >= c.desired && c.updated >= c.desired);
}

function progressingCondition(c: Counts): ConditionInput {
  if (rolledOut(c)) return condition(C.Progressing, false, ProgressingReasons.Complete, 'The latest version is rolled out.');
  return condition(
    C.Progressing,
    true,
    c.updated < c.desired ? ProgressingReasons.RollingOut : ProgressingReasons.WaitingForReplicas,
    `${String(c.updated)} of ${String(c.desired)} replicas updated, ${String(c.ready)} ready.`,
  );
}

/** GPUs that ran out come first (the most actionable); then the built-in autoscaler's own limit. */
function scalingLimitedCondition(ms: ModelServer, c: Counts, observed: ModelServerObserved): ConditionInput {
  if (c.unschedulable.length > 0) {
    return condition(
      C.ScalingLimited,
      true,
      ScalingLimitedReasons.InsufficientGPU,
      `Not enough ${ms.spec.gpu.resourceName} for ${plural(c.unschedulable.length, 'replica')}: ${c.unschedulable[0] ?? ''}`,
    );
  }
  const limit = isBuiltin(ms) ? observed.verdict?.limit : undefined;
  if (limit) return condition(C.ScalingLimited, true, limit.reason, limit.message);
  return condition(C.ScalingLimited, false, WithinLimitsReason, 'Scaling is not limited.');
}

function isBuiltin(ms: ModelServer): boolean {
  return ms.spec.autoscaling?.engine === 'builtin';
}

function rolloutBlockedCondition(c: Counts): ConditionInput {
  if (c.deadlineExceeded)
    return condition(C.RolloutBlocked, true, RolloutBlockedReasons.ProgressDeadlineExceeded, 'The rollout exceeded its progress deadline.');
  if (c.unschedulable.length > 0 && c.updated < c.desired) {
    return condition(C.RolloutBlocked, true, ScalingLimitedReasons.InsufficientGPU, 'New replicas cannot be scheduled for lack of GPUs.');
  }
  return condition(C.RolloutBlocked, false, RolloutBlockedReasons.NotBlocked, 'The rollout is not blocked.');
}

/** The weights' inputs as observed: image volume support, the preload Job's state, replicas serving. */
function weightsInputs(ms: ModelServer, observed: ModelServerObserved): WeightsInputs {
  return {
    imageVolumes: observed.imageVolumes ?? true,
    preload: preloadState(ms, observed.preloadJob),
    serving: (observed.deployment?.status?.readyReplicas ?? 0) > 0,
  };
}

/** While replicas are held for the weights (preloading, or never: no image volumes), Ready says why. */
function readyOrHeld(ready: ConditionInput, weights: ConditionInput | undefined, held: boolean): ConditionInput {
  return held && weights ? condition(C.Ready, false, weights.reason, weights.message) : ready;
}

function conditions(ms: ModelServer, c: Counts, observed: ModelServerObserved): ConditionInput[] {
  const active = scalingActiveCondition(ms, observed.kedaInstalled ?? false);
  const pool = inferencePoolCondition(ms, observed.inferencePoolServed ?? false);
  const inputs = weightsInputs(ms, observed);
  const weights = weightsCondition(ms, inputs);
  return [
    readyOrHeld(readyCondition(c, observed.deployment !== undefined), weights, holdsReplicas(ms, inputs)),
    availableCondition(c),
    progressingCondition(c),
    scalingLimitedCondition(ms, c, observed),
    rolloutBlockedCondition(c),
    ...(active ? [active] : []),
    ...(pool ? [pool] : []),
    ...(weights ? [weights] : []),
  ];
}

/** It served before: the phase is Ready, or Degraded since. */
function wasServing(ms: ModelServer): boolean {
  return ms.status?.phase === 'Ready' || ms.status?.phase === 'Degraded';
}

/**
 * A replica the kubelet cannot start or that keeps failing is a broken part, and Ready's message
 * (the phase reason) names it with the kubelet's words. Degraded means, as for a
 * PerpetualDeployment, "was serving, now partly broken": some replicas still serve, or the server
 * was Ready (or already Degraded) before, e.g. a new image that does not pull. A server that never
 * served stays Progressing, with the kubelet's reason, while Kubernetes still expects progress: the
 * image may appear, a crash may be a dependency still starting. Once its Deployment's progress
 * deadline has passed, Kubernetes itself has stopped expecting any, and so does the phase: Failed.
 */
function failurePhase(c: Counts, wasReady: boolean): Phase {
  if (c.ready > 0 || wasReady) return 'Degraded';
  return c.deadlineExceeded ? 'Failed' : 'Progressing';
}

/** Replicas held for the weights: Ready carries the weights' reason (a preload beside serving replicas leaves Ready alone). */
function heldPhase(conds: ConditionInput[]): { phase: Phase; reason: string } | undefined {
  const weights = conds.find((x) => x.type === C.WeightsReady);
  if (!weights || conds.find((x) => x.type === C.Ready)?.reason !== weights.reason) return undefined;
  return { phase: weights.reason === WeightsReasons.Preloading ? 'Progressing' : 'Failed', reason: weights.message };
}

function phaseOf(conds: ConditionInput[], c: Counts, wasReady: boolean): { phase: Phase; reason: string } {
  const ready = conds.find((x) => x.type === C.Ready);
  const limited = conds.find((x) => x.type === C.ScalingLimited);
  const held = heldPhase(conds);
  if (held) return held;
  if (ready?.status === 'True') return { phase: 'Ready', reason: ready.message };
  if (c.failures) return { phase: failurePhase(c, wasReady), reason: ready?.message ?? '' };
  // At maxReplicas or without metrics the replicas still serve: only missing GPUs make the phase worse.
  if (limited?.status === 'True' && limited.reason === ScalingLimitedReasons.InsufficientGPU)
    return { phase: c.ready > 0 ? 'Degraded' : 'Pending', reason: limited.message };
  return { phase: 'Progressing', reason: ready?.message ?? 'Waiting for the Deployment.' };
}

/** status.sleepingReplicas (autoscaling.standby): the autoscaler's last reading; the one in status until its first after a restart. */
function sleepingReplicas(ms: ModelServer, observed: ModelServerObserved): number | undefined {
  if (!ms.spec.autoscaling?.standby || !isBuiltin(ms)) return undefined;
  return observed.verdict?.sleeping ?? ms.status?.sleepingReplicas ?? 0;
}

function replicaCounts(c: Counts, sleeping: number | undefined): Partial<ModelServerStatus> {
  return {
    replicas: c.current,
    readyReplicas: c.ready,
    desiredReplicas: c.desired,
    replicasSummary: `${String(c.ready)}/${String(c.desired)}${sleeping ? ` (${String(sleeping)} asleep)` : ''}`,
    ...(sleeping === undefined ? {} : { sleepingReplicas: sleeping }),
  };
}

/** status.lastColdStart: the latest replica's start, kept when the replicas are gone. */
function coldStartField(ms: ModelServer, observed: ModelServerObserved): Pick<ModelServerStatus, 'lastColdStart'> {
  const coldStart = lastColdStart(observed.pods, ms.status?.lastColdStart);
  return coldStart ? { lastColdStart: coldStart } : {};
}

export function computeModelServerStatus(ms: ModelServer, observed: ModelServerObserved, now: Date): ModelServerStatus {
  const c = counts(ms, observed);
  const inputs = conditions(ms, c, observed);
  const { phase, reason } = phaseOf(inputs, c, wasServing(ms));
  const name = ms.metadata?.name ?? '';
  const autoscaling = ms.spec.autoscaling;
  return {
    ...coldStartField(ms, observed),
    ...mergeScalingHistory(ms.status, isBuiltin(ms) ? (observed.verdict?.scaled ?? []) : []),
    observedGeneration: ms.metadata?.generation ?? 0,
    phase,
    phaseReason: clipSentence(reason),
    conditions: withTransitionTimes(ms.status?.conditions, inputs, now, ms.metadata?.generation ?? 0),
    ...replicaCounts(c, sleepingReplicas(ms, observed)),
    scaleRange: autoscaling ? `${String(autoscaling.minReplicas)}-${String(autoscaling.maxReplicas)}` : 'fixed',
    selector: Object.entries(selectorLabels(ownerOf({ ...ms, kind: 'ModelServer' }), 'vllm'))
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    endpoint: modelServerEndpoint(name, ms.metadata?.namespace ?? ''),
  };
}
