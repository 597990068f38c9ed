// Reconciles one ModelServer: desired vLLM Deployment, Service, weights PVC and the HPA or KEDA
// ScaledObject of its autoscaling engine; status from the Deployment and its pods (naming pods that
// wait for GPUs or that the kubelet cannot start) and from the built-in autoscaler's verdict
// (limits, scales made).
import { ModelServerConditions } from '../../api/v1alpha1/conditions.ts';
import type { ScalingVerdict } from '../../scaling-verdicts.ts';
import { Kinds, type KindName } from '../../kube/resource-kinds.ts';
import {
  applyChildren,
  childKey,
  finishReconcile,
  pruneChildren,
  tryWriteChildren,
  type ReconcileContext,
  type ReconcileResult,
} from '../context.ts';
import { desiredObjects } from './desired.ts';
import { gatewayModelNames, observeModelServer } from './observe.ts';
import { computeModelServerStatus } from './status.ts';

export const MODEL_SERVER_CHILD_KINDS: readonly KindName[] = ['Deployment', 'Service', 'PersistentVolumeClaim', 'HorizontalPodAutoscaler'];
/** Children whose API may not be served (KEDA's): applied and pruned only while it is. */
export const MODEL_SERVER_OPTIONAL_CHILD_KINDS: readonly KindName[] = ['ScaledObject'];

/** What the ModelServer reconciler needs from the autoscaling side of the manager. */
export interface ModelServerAutoscaling {
  verdict(namespace: string, name: string): ScalingVerdict | undefined;
  /** Whether `kind`'s API is served and watched; `recheck` asks discovery again (and starts watching) when it was not. */
  optionalKindServed(kind: KindName, recheck: boolean): Promise<boolean>;
}

export async function reconcileModelServer(
  ctx: ReconcileContext,
  namespace: string,
  name: string,
  autoscaling: ModelServerAutoscaling,
): Promise<ReconcileResult> {
  const ms = ctx.caches.get('ModelServer', name, namespace);
  if (!ms || ms.metadata?.deletionTimestamp) return {};
  const wantsKeda = ms.spec.autoscaling?.engine === 'keda';
  const kedaInstalled = await autoscaling.optionalKindServed('ScaledObject', wantsKeda);
  // Only a ScaledObject queries the gateway by model name: no listing of PerpetualDeployments otherwise.
  const desired = desiredObjects(ms, {
    kedaInstalled,
    gatewayModelNames: wantsKeda && kedaInstalled ? gatewayModelNames(ctx.caches, ms) : [],
  });
  const prunable = kedaInstalled ? [...MODEL_SERVER_CHILD_KINDS, ...MODEL_SERVER_OPTIONAL_CHILD_KINDS] : MODEL_SERVER_CHILD_KINDS;
  const failure = await tryWriteChildren(async () => {
    await applyChildren(ctx, desired);
    await pruneChildren(ctx, ms, prunable, new Set(desired.map((o) => childKey(o.kind ?? '', o.metadata?.name ?? ''))));
  });

  const observed = observeModelServer(ctx.caches, ms, { verdict: autoscaling.verdict(namespace, name), kedaInstalled });
  const result = await finishReconcile(ctx, ms, computeModelServerStatus(ms, observed, ctx.now()), {
    resource: Kinds.ModelServer,
    failure,
    failureCondition: ModelServerConditions.Progressing,
    warnWhenTrue: [ModelServerConditions.ScalingLimited],
  });
  // Nothing changes in the cluster when KEDA gets installed that we would see: look again later.
  if (wantsKeda && !kedaInstalled) return { requeueAfterMs: Math.min(result.requeueAfterMs ?? Infinity, ctx.config.waitingRequeueMs) };
  return result;
}
