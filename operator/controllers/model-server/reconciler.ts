// Reconciles one ModelServer: desired vLLM Deployment, Service and weights PVC; status from the
// Deployment and its pods (naming pods that wait for GPUs).
import { ModelServerConditions } from '../../api/v1alpha1/conditions.ts';
import { Kinds, type KindName } from '../../kube/resource-kinds.ts';
import {
  applyChildren,
  applyStatusIfChanged,
  childKey,
  pruneChildren,
  recordEvents,
  transitionEvents,
  tryWriteChildren,
  withApplyFailure,
  type ReconcileContext,
  type ReconcileResult,
} from '../context.ts';
import { desiredObjects } from './desired.ts';
import { observeModelServer } from './observe.ts';
import { computeModelServerStatus } from './status.ts';

export const MODEL_SERVER_CHILD_KINDS: readonly KindName[] = ['Deployment', 'Service', 'PersistentVolumeClaim'];

export async function reconcileModelServer(ctx: ReconcileContext, namespace: string, name: string): Promise<ReconcileResult> {
  const ms = ctx.caches.get('ModelServer', name, namespace);
  if (!ms || ms.metadata?.deletionTimestamp) return {};
  const desired = desiredObjects(ms);
  const failure = await tryWriteChildren(async () => {
    await applyChildren(ctx, desired);
    await pruneChildren(ctx, ms, MODEL_SERVER_CHILD_KINDS, new Set(desired.map((o) => childKey(o.kind ?? '', o.metadata?.name ?? ''))));
  });

  const observed = observeModelServer(ctx.caches, ms);
  const computed = computeModelServerStatus(ms, observed, ctx.now());
  const status = failure ? withApplyFailure(computed, failure, ModelServerConditions.Progressing) : computed;
  if (await applyStatusIfChanged(ctx, Kinds.ModelServer, ms, status)) {
    await recordEvents(ctx, { ...ms, apiVersion: Kinds.ModelServer.apiVersion, kind: 'ModelServer' }, transitionEvents(ms.status, status, [ModelServerConditions.ScalingLimited]));
  }
  if (failure) throw failure;
  return status.phase === 'Ready' ? {} : { requeueAfterMs: ctx.config.waitingRequeueMs };
}
