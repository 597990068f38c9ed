// What a reconcile needs, and the steps every controller shares: apply what drifted, prune what is
// no longer desired, write status only when it changed, and record events on transitions.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Condition } from './conditions.ts';
import type { Phase } from '../api/v1alpha1/common.ts';
import type { OperatorConfig } from '../config.ts';
import type { Caches } from '../kube/caches.ts';
import type { Kube } from '../kube/client.ts';
import { isUpToDate, withAppliedHash } from '../kube/drift.ts';
import type { EventRecorder, EventToRecord } from '../kube/events.ts';
import { Kinds, type KindName, type ResourceKind } from '../kube/resource-kinds.ts';
import type { SecretReader } from '../kube/secret-reader.ts';
import type { Writer } from '../kube/writer.ts';
import { stableJson } from '../utils.ts';

export interface ReconcileContext {
  kube: Kube;
  caches: Caches;
  writer: Writer;
  /** The user's Secrets that specs refer to (read, never cached beyond a few seconds). */
  secrets: SecretReader;
  recordEvent: EventRecorder;
  config: OperatorConfig;
  log: Logger;
  now(): Date;
}

export interface ReconcileResult {
  /** Reconcile again after this long even without events (e.g. while waiting for children). */
  requeueAfterMs?: number;
}

function kindName(obj: KubernetesObject): KindName {
  const name = obj.kind as KindName;
  if (!(name in Kinds)) throw new Error(`unknown kind ${obj.kind ?? ''}`);
  return name;
}

/** Applies each desired child that is missing or has drifted; returns how many it wrote. */
export async function applyChildren(ctx: ReconcileContext, desired: readonly KubernetesObject[]): Promise<number> {
  let writes = 0;
  for (const obj of desired) {
    const live = ctx.caches.get(kindName(obj), obj.metadata?.name ?? '', obj.metadata?.namespace ?? '');
    if (isUpToDate(obj, live)) continue;
    await ctx.writer.apply(withAppliedHash(obj));
    ctx.log.info({ kind: obj.kind, name: obj.metadata?.name }, live ? 'Updated child' : 'Created child');
    writes++;
  }
  return writes;
}

/** Deletes children this owner controls that are no longer desired (e.g. the HPA after autoscaling is turned off). */
export async function pruneChildren(
  ctx: ReconcileContext,
  owner: KubernetesObject,
  kinds: readonly KindName[],
  keep: ReadonlySet<string>,
): Promise<void> {
  const uid = owner.metadata?.uid ?? '';
  for (const kind of kinds) {
    for (const child of ctx.caches.controlledBy(kind, uid)) {
      if (keep.has(childKey(kind, child.metadata?.name ?? ''))) continue;
      await ctx.writer.delete({ ...child, apiVersion: Kinds[kind].apiVersion, kind });
      ctx.log.info({ kind, name: child.metadata?.name }, 'Deleted child that is no longer desired');
    }
  }
}

export function childKey(kind: string, name: string): string {
  return `${kind}/${name}`;
}

const APPLY_FAILED = 'ApplyFailed';

/**
 * Runs the apply-and-prune steps, returning (not throwing) what went wrong, so the reconcile can
 * still report status; the caller rethrows afterwards and the queue backs off.
 */
export async function tryWriteChildren(steps: () => Promise<void>): Promise<Error | undefined> {
  try {
    await steps();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/**
 * The status after the cluster refused a child (an admission policy, a quota, a webhook): the
 * phase reason and `conditionType` say so, with the API server's message.
 */
export function withApplyFailure<S extends StatusLike>(status: S, failure: Error, conditionType: string): S {
  const message = `Applying children failed; retrying with backoff: ${failure.message}`;
  const conditions = status.conditions?.map((c) =>
    c.type === conditionType ? { ...c, status: 'True' as const, reason: APPLY_FAILED, message } : c,
  );
  return { ...status, phaseReason: message, ...(conditions ? { conditions } : {}) };
}

interface StatusLike {
  phase?: Phase;
  phaseReason?: string;
  conditions?: Condition[];
}

/** Writes `next` to the status subresource unless it equals the current status. */
export async function applyStatusIfChanged(
  ctx: ReconcileContext,
  resource: ResourceKind,
  obj: KubernetesObject & { status?: object },
  next: object,
): Promise<boolean> {
  if (stableJson(obj.status ?? {}) === stableJson(next)) return false;
  await ctx.writer.applyStatus(resource, obj.metadata?.namespace ?? '', obj.metadata?.name ?? '', next);
  return true;
}

/**
 * Events worth telling a human: a phase change, a watched condition turning True (e.g.
 * ScalingLimited, Stalled), and any condition turning ApplyFailed. Pure, so the "only on
 * transitions" rule is testable.
 */
export function transitionEvents(previous: StatusLike | undefined, next: StatusLike, warnWhenTrue: readonly string[]): EventToRecord[] {
  const events: EventToRecord[] = [];
  if (next.phase && next.phase !== previous?.phase) {
    const warning = next.phase === 'Failed' || next.phase === 'Degraded';
    events.push({ type: warning ? 'Warning' : 'Normal', reason: next.phase, message: next.phaseReason ?? '' });
  }
  for (const condition of next.conditions ?? []) {
    if (!warnWhenTrue.includes(condition.type) && condition.reason !== APPLY_FAILED) continue;
    const turnedTrue = conditionTurnedTrue(previous?.conditions, next.conditions, condition.type);
    if (turnedTrue) events.push({ type: 'Warning', reason: turnedTrue.reason, message: turnedTrue.message });
  }
  return events;
}

/** The condition of `type` if it is True now and was not (or was True for another reason). */
function conditionTurnedTrue(before: Condition[] | undefined, after: Condition[] | undefined, type: string): Condition | undefined {
  const now = after?.find((c) => c.type === type);
  const then = before?.find((c) => c.type === type);
  if (now?.status !== 'True') return undefined;
  return then?.status === 'True' && then.reason === now.reason ? undefined : now;
}

/**
 * The end of every reconcile: record a failure to write children in the status, write the status
 * if it changed (with events for its transitions), then rethrow the failure so the queue backs
 * off, or ask to be requeued while not Ready.
 */
export async function finishReconcile<S extends StatusLike>(
  ctx: ReconcileContext,
  obj: KubernetesObject & { status?: S },
  computed: S,
  options: { resource: ResourceKind; failure: Error | undefined; failureCondition: string; warnWhenTrue: readonly string[] },
): Promise<ReconcileResult> {
  const { resource } = options;
  const status = options.failure ? withApplyFailure(computed, options.failure, options.failureCondition) : computed;
  if (await applyStatusIfChanged(ctx, resource, obj, status)) {
    const regarding = { ...obj, apiVersion: resource.apiVersion, kind: resource.kind };
    for (const event of transitionEvents(obj.status, status, options.warnWhenTrue)) await ctx.recordEvent(regarding, event);
  }
  if (options.failure) throw options.failure;
  return status.phase === 'Ready' ? {} : { requeueAfterMs: ctx.config.waitingRequeueMs };
}
