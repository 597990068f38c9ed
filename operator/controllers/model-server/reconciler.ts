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
import type { V1Pod } from '@kubernetes/client-node';
import type { AdapterReport } from '../../adapters/plan.ts';
import type { AdapterSyncer } from '../../adapters/syncer.ts';
import type { ModelServer } from '../../api/v1alpha1/model-server.ts';
import { withAdapterStatus } from './adapter-status.ts';
import { withAdaptersApplied } from './adapters.ts';
import { modelServerChildNames } from './names.ts';
import { imageVolumesSupported } from './image-volumes.ts';
import { wantsInferencePool } from './inference-pool.ts';
import { preloadJobName, preloadState } from './preload-job.ts';
import { weightsSource } from './weights.ts';
import { coldStartMessage } from './cold-start.ts';

export const MODEL_SERVER_CHILD_KINDS: readonly KindName[] = [
  'Deployment',
  'Service',
  'PersistentVolumeClaim',
  'HorizontalPodAutoscaler',
  'Job',
];
/** Children whose API may not be served (KEDA's, the Inference Extension's): applied and pruned only while it is. */
export const MODEL_SERVER_OPTIONAL_CHILD_KINDS: readonly KindName[] = ['ScaledObject', 'InferencePool'];

/** What the ModelServer reconciler needs from the autoscaling side of the manager. */
export interface ModelServerAutoscaling {
  verdict(namespace: string, name: string): ScalingVerdict | undefined;
  /** Whether `kind`'s API is served and watched; `recheck` asks discovery again (and starts watching) when it was not. */
  optionalKindServed(kind: KindName, recheck: boolean): Promise<boolean>;
  /** Loads and unloads spec.adapters on the ready replicas (absent: adapters are only loaded at start). */
  adapters?: AdapterSyncer;
}

/** A KEDA engine without KEDA, or an InferencePool without its API: nothing we watch changes when either is installed. */
function waitsForOptionalApi(ms: ModelServer, kedaInstalled: boolean, inferencePoolServed: boolean): boolean {
  return (ms.spec.autoscaling?.engine === 'keda' && !kedaInstalled) || (wantsInferencePool(ms) && !inferencePoolServed);
}

/** What the InferencePool, model.source and cache.preload depend on: the APIs and features served, and the preload Job. */
async function clusterInputs(ctx: ReconcileContext, ms: ModelServer, autoscaling: ModelServerAutoscaling) {
  const inferencePoolServed = await autoscaling.optionalKindServed('InferencePool', wantsInferencePool(ms));
  // The server's version is asked only for an oci:// source (image volumes); other sources do not need them.
  const imageVolumes = weightsSource(ms.spec.model).kind === 'oci' ? await imageVolumesSupported(ctx.kube, ctx.now().getTime()) : true;
  const preloadJob = ctx.caches.get('Job', preloadJobName(ms), ms.metadata?.namespace ?? '');
  const serving =
    (ctx.caches.get('Deployment', modelServerChildNames(ms.metadata?.name ?? '').workload, ms.metadata?.namespace ?? '')?.status
      ?.readyReplicas ?? 0) > 0;
  return { inferencePoolServed, imageVolumes, preloadJob, weights: { imageVolumes, preload: preloadState(ms, preloadJob), serving } };
}

export async function reconcileModelServer(
  ctx: ReconcileContext,
  namespace: string,
  name: string,
  autoscaling: ModelServerAutoscaling,
): Promise<ReconcileResult> {
  const ms = ctx.caches.get('ModelServer', name, namespace);
  if (!ms || ms.metadata?.deletionTimestamp) return forgetAdapters(autoscaling.adapters, namespace, name);
  const wantsKeda = ms.spec.autoscaling?.engine === 'keda';
  const kedaInstalled = await autoscaling.optionalKindServed('ScaledObject', wantsKeda);
  const { inferencePoolServed, imageVolumes, preloadJob, weights } = await clusterInputs(ctx, ms, autoscaling);
  // Only a ScaledObject queries the gateway by model name: no listing of PerpetualDeployments otherwise.
  let desired = desiredObjects(
    ms,
    { kedaInstalled, gatewayModelNames: wantsKeda && kedaInstalled ? gatewayModelNames(ctx.caches, ms) : [] },
    { inferencePoolServed, weights },
  );
  const served = { ScaledObject: kedaInstalled, InferencePool: inferencePoolServed } as Partial<Record<KindName, boolean>>;
  // A changed adapter list alone is applied through vLLM's dynamic API, not by rolling the pods (adapters.ts).
  const running = ctx.caches.get('Deployment', modelServerChildNames(name).workload, namespace);
  desired = withAdaptersApplied(desired, ms.spec, running);
  const prunable = [...MODEL_SERVER_CHILD_KINDS, ...MODEL_SERVER_OPTIONAL_CHILD_KINDS.filter((kind) => served[kind] === true)];
  const failure = await tryWriteChildren(async () => {
    await applyChildren(ctx, desired);
    await pruneChildren(ctx, ms, prunable, new Set(desired.map((o) => childKey(o.kind ?? '', o.metadata?.name ?? ''))));
  });

  const observed = observeModelServer(ctx.caches, ms, {
    verdict: autoscaling.verdict(namespace, name),
    kedaInstalled,
    inferencePoolServed,
    imageVolumes,
    preloadJob,
  });
  const status = withAdapterStatus(
    computeModelServerStatus(ms, observed, ctx.now()),
    ms,
    adapterReport(autoscaling, ms, observed.pods),
    ctx.now(),
  );
  const result = await finishReconcile(ctx, ms, status, {
    resource: Kinds.ModelServer,
    failure,
    failureCondition: ModelServerConditions.Progressing,
    warnWhenTrue: [ModelServerConditions.ScalingLimited],
  });
  // Once per new cold start, after its status is written (a failed write throws above and retries).
  const coldStart = status.lastColdStart;
  if (coldStart && coldStart.pod !== ms.status?.lastColdStart?.pod)
    await ctx.recordEvent({ ...ms, kind: 'ModelServer' }, { type: 'Normal', reason: 'ColdStart', message: coldStartMessage(coldStart) });
  // Nothing changes in the cluster when KEDA gets installed that we would see: look again later.
  if (waitsForOptionalApi(ms, kedaInstalled, inferencePoolServed))
    return { requeueAfterMs: Math.min(result.requeueAfterMs ?? Infinity, ctx.config.waitingRequeueMs) };
  return withAdapterRecheck(result, autoscaling.adapters, ms);
}

/** A ModelServer gone (or going) needs no more adapter syncs: the sync's memory of it goes too. */
function forgetAdapters(syncer: AdapterSyncer | undefined, namespace: string, name: string): ReconcileResult {
  syncer?.forget(`${namespace}/${name}`);
  return {};
}

function adapterReport(autoscaling: ModelServerAutoscaling, ms: ModelServer, pods: readonly V1Pod[]): AdapterReport | undefined {
  return autoscaling.adapters?.report(ms, pods);
}

/** Looks again while an adapter is not loaded everywhere, and now and then anyway (a restarted container forgets runtime loads). */
function withAdapterRecheck(result: ReconcileResult, syncer: AdapterSyncer | undefined, ms: ModelServer): ReconcileResult {
  const recheck = syncer?.recheckAfterMs(ms);
  if (recheck === undefined) return result;
  return { ...result, requeueAfterMs: Math.min(result.requeueAfterMs ?? Infinity, recheck) };
}
