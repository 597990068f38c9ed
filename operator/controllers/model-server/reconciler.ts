// Reconciles one ModelServer: desired vLLM Deployment, Service and weights PVC; status from the
// Deployment and its pods (naming pods that wait for GPUs).
import { ModelServerConditions } from '../../api/v1alpha1/conditions.ts';
import { Kinds, type KindName } from '../../kube/resource-kinds.ts';
import { applyChildren, childKey, finishReconcile, pruneChildren, tryWriteChildren, type ReconcileContext, type ReconcileResult } from '../context.ts';
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
  return finishReconcile(ctx, ms, computeModelServerStatus(ms, observed, ctx.now()), {
    resource: Kinds.ModelServer,
    failure,
    failureCondition: ModelServerConditions.Progressing,
    warnWhenTrue: [ModelServerConditions.ScalingLimited],
  });
}
