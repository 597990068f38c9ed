// Wires informers, work queues, reconcilers and the built-in autoscaler. Every event becomes the key
// of the owning custom resource on its controller's queue: level-triggered, never branching on the
// event type.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { FIELD_MANAGER, Labels } from './api/v1alpha1/labels.ts';
import { startAutoscaler } from './autoscaler/autoscaler.ts';
import type { EndpointResolver } from './autoscaler/endpoints.ts';
import { isPodReady, keyOf } from './autoscaler/targets.ts';
import { makeVerdictStore } from './scaling-verdicts.ts';
import type { OperatorConfig } from './config.ts';
import type { ReconcileContext, ReconcileResult } from './controllers/context.ts';
import {
  MODEL_SERVER_CHILD_KINDS,
  MODEL_SERVER_OPTIONAL_CHILD_KINDS,
  reconcileModelServer,
  type ModelServerAutoscaling,
} from './controllers/model-server/reconciler.ts';
import { referencedModelServers } from './controllers/perpetual-deployment/observe.ts';
import { PERPETUAL_DEPLOYMENT_CHILD_KINDS, reconcilePerpetualDeployment } from './controllers/perpetual-deployment/reconciler.ts';
import { cachesFrom, type KindTypes } from './kube/caches.ts';
import type { Kube } from './kube/client.ts';
import { makeEventRecorder } from './kube/events.ts';
import { ResourceInformer, type InformerOptions } from './kube/informer.ts';
import { optionalKinds } from './kube/optional-kinds.ts';
import { keepPodEssentials } from './kube/pod-essentials.ts';
import { Kinds, type KindName } from './kube/resource-kinds.ts';
import { fetchSecretFrom, sharedSecretReader } from './kube/secret-reader.ts';
import { WorkQueue } from './kube/work-queue.ts';
import { makeWriter } from './kube/writer.ts';
import type { OperatorMetrics } from './observability/metrics.ts';
import { errorMessage } from './utils.ts';

type Reconcile = (ctx: ReconcileContext, namespace: string, name: string) => Promise<ReconcileResult>;

interface Controller {
  name: string;
  kind: 'PerpetualDeployment' | 'ModelServer';
  queue: WorkQueue;
  reconcile: Reconcile;
}

/** Children are watched only if we labelled them, which keeps the caches small. */
const OWNED_SELECTOR = `${Labels.managedBy}=${FIELD_MANAGER}`;
/**
 * The pods the operator reads: vLLM replicas (scheduling problems, the autoscaler), gateway pods
 * (the autoscaler's demand) and the pods of every workload whose status names a pod the kubelet
 * cannot start (ImagePullBackOff, CrashLoopBackOff, ...): those two and Qdrant, Redis and the
 * migration Job's; and of those, only the fields kube/pod-essentials.ts keeps.
 */
const POD_SELECTOR = `${OWNED_SELECTOR},${Labels.component} in (gateway,migration,qdrant,redis,vllm)`;
/** Everything either controller owns, plus the pods of those workloads (scheduling problems, failing containers). */
export const CHILD_KINDS: readonly KindName[] = [...new Set<KindName>([...PERPETUAL_DEPLOYMENT_CHILD_KINDS, ...MODEL_SERVER_CHILD_KINDS, 'Pod'])];
/** Children from APIs a cluster may not serve (KEDA): watched once discovery shows them. */
export const OPTIONAL_CHILD_KINDS: readonly KindName[] = MODEL_SERVER_OPTIONAL_CHILD_KINDS;

export interface Manager {
  stop(): Promise<void>;
}

function key(obj: KubernetesObject): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

function splitKey(k: string): [string, string] {
  const [namespace = '', name = ''] = k.split('/');
  return [namespace, name];
}

export interface ManagerDeps {
  config: OperatorConfig;
  kube: Kube;
  log: Logger;
  metrics: OperatorMetrics;
  /** Where the autoscaler reads pods' metrics (pod IPs in production, a loopback map in tests). */
  resolver: EndpointResolver;
}

export async function startManager(deps: ManagerDeps): Promise<Manager> {
  const { config, kube, log, metrics } = deps;
  const newInformer = (kind: KindName, options: Pick<InformerOptions, 'labelSelector' | 'keep'> = {}): ResourceInformer =>
    new ResourceInformer(kube.kc, kube.objects, Kinds[kind], { log, ...options, onList: () => { metrics.informerLists.inc({ kind }); } });
  const informers = new Map<KindName, ResourceInformer>();
  informers.set('PerpetualDeployment', newInformer('PerpetualDeployment'));
  informers.set('ModelServer', newInformer('ModelServer'));
  const pods = { labelSelector: POD_SELECTOR, keep: keepPodEssentials };
  for (const kind of CHILD_KINDS) informers.set(kind, newInformer(kind, kind === 'Pod' ? pods : { labelSelector: OWNED_SELECTOR }));
  const caches = cachesFrom(informers);

  const pdQueue = new WorkQueue();
  const msQueue = new WorkQueue();
  const verdicts = makeVerdictStore();
  const optional = optionalKinds({ kube, log, informers, newInformer: (kind) => newInformer(kind, { labelSelector: OWNED_SELECTOR }), wire: (kind, informer) => { wireChild(kind, informer, pdQueue, msQueue); } });
  const autoscaling: ModelServerAutoscaling = {
    verdict: (namespace, name) => verdicts.get(keyOf(namespace, name)),
    optionalKindServed: (kind, recheck) => optional.served(kind, recheck),
  };
  const controllers: Controller[] = [
    { name: 'perpetualdeployment', kind: 'PerpetualDeployment', queue: pdQueue, reconcile: reconcilePerpetualDeployment },
    { name: 'modelserver', kind: 'ModelServer', queue: msQueue, reconcile: (c, namespace, name) => reconcileModelServer(c, namespace, name, autoscaling) },
  ];

  wireEvents(informers, pdQueue, msQueue, caches);

  const ctx: ReconcileContext = {
    kube,
    caches,
    writer: makeWriter(kube, FIELD_MANAGER, (verb, kind) => {
      metrics.writes.inc({ verb, kind });
    }),
    secrets: sharedSecretReader(fetchSecretFrom(kube.core)),
    recordEvent: makeEventRecorder(kube.core, FIELD_MANAGER, log),
    config,
    log,
    now: () => new Date(),
  };

  await Promise.all([...informers.values()].map(async (informer) => {
    await informer.start();
    await informer.synced;
  }));
  // Before any reconcile: a ScaledObject left from an earlier engine must be prunable after a restart.
  for (const kind of OPTIONAL_CHILD_KINDS) await optional.served(kind, true);
  log.info({ kinds: informers.size }, 'Caches synced');

  const workers = controllers.flatMap((c) => Array.from({ length: config.concurrency }, () => runWorker(c, ctx, deps)));
  const resync = setInterval(() => {
    for (const c of controllers) for (const obj of caches.list(c.kind)) c.queue.add(key(obj));
  }, config.resyncMs);
  const gauges = setInterval(() => { refreshGauges(controllers, caches, metrics); }, 2000);
  resync.unref();
  gauges.unref();
  const autoscaler = startAutoscaler({
    caches,
    kube,
    resolver: deps.resolver,
    verdicts,
    requestReconcile: (k) => { msQueue.add(k); },
    recordEvent: ctx.recordEvent,
    metrics,
    log: log.child({ controller: 'autoscaler' }),
    intervalMs: config.autoscaler.intervalMs,
    now: () => ctx.now(),
  });

  return {
    stop: async () => {
      await autoscaler.stop();
      clearInterval(resync);
      clearInterval(gauges);
      for (const c of controllers) c.queue.shutDown();
      await Promise.all(workers);
      await Promise.all([...informers.values()].map((i) => i.stop()));
    },
  };
}

function wireEvents(informers: Map<KindName, ResourceInformer>, pdQueue: WorkQueue, msQueue: WorkQueue, caches: ReturnType<typeof cachesFrom>): void {
  informers.get('PerpetualDeployment')?.onChange((obj) => {
    pdQueue.add(key(obj));
    // A KEDA ModelServer's ScaledObject queries the gateway under the model names that route to
    // it; nothing else of a ModelServer depends on PerpetualDeployments (whose every status write
    // lands here).
    const pd = obj as KindTypes['PerpetualDeployment'];
    const namespace = pd.metadata?.namespace ?? '';
    for (const name of referencedModelServers(pd)) {
      if (caches.get('ModelServer', name, namespace)?.spec.autoscaling?.engine === 'keda') msQueue.add(keyOf(namespace, name));
    }
  });
  informers.get('ModelServer')?.onChange((ms) => {
    msQueue.add(key(ms));
    // PerpetualDeployments that use this ModelServer report its readiness and route to its served name.
    const namespace = ms.metadata?.namespace ?? '';
    for (const pd of caches.list('PerpetualDeployment', namespace)) {
      if (referencedModelServers(pd).includes(ms.metadata?.name ?? '')) pdQueue.add(key(pd));
    }
  });
  for (const kind of CHILD_KINDS) {
    const informer = informers.get(kind);
    if (informer) wireChild(kind, informer, pdQueue, msQueue);
  }
}

function wireChild(kind: KindName, informer: ResourceInformer, pdQueue: WorkQueue, msQueue: WorkQueue): void {
  informer.onChange((child) => {
    const labels = child.metadata?.labels ?? {};
    const namespace = child.metadata?.namespace ?? '';
    const pd = labels[Labels.perpetualDeployment];
    const ms = labels[Labels.modelServer];
    // A ready pod tells a PerpetualDeployment nothing its workload's status does not; one that is not
    // ready may be why (a kubelet reason its status names), and becoming ready moves the workload's counts.
    if (pd && (kind !== 'Pod' || !isPodReady(child))) pdQueue.add(`${namespace}/${pd}`);
    if (ms) msQueue.add(`${namespace}/${ms}`);
  });
}

async function runWorker(controller: Controller, ctx: ReconcileContext, deps: ManagerDeps): Promise<void> {
  const { metrics } = deps;
  for (;;) {
    const k = await controller.queue.get();
    if (k === undefined) return;
    const [namespace, name] = splitKey(k);
    const log = deps.log.child({ controller: controller.name, namespace, name });
    const endTimer = metrics.reconcileDuration.startTimer({ controller: controller.name });
    try {
      const result = await controller.reconcile({ ...ctx, log }, namespace, name);
      controller.queue.forget(k);
      if (result.requeueAfterMs) controller.queue.addAfter(k, result.requeueAfterMs);
      metrics.reconciles.inc({ controller: controller.name, result: result.requeueAfterMs ? 'requeue' : 'success' });
    } catch (err) {
      const retryInMs = controller.queue.addRateLimited(k);
      metrics.reconciles.inc({ controller: controller.name, result: 'error' });
      metrics.reconcileErrors.inc({ controller: controller.name });
      log.error({ err: errorMessage(err), retryInMs }, 'Reconcile failed; retrying with backoff');
    } finally {
      endTimer();
      controller.queue.done(k);
    }
  }
}

function refreshGauges(controllers: Controller[], caches: ReturnType<typeof cachesFrom>, metrics: OperatorMetrics): void {
  metrics.objectsByPhase.reset();
  for (const c of controllers) {
    metrics.queueDepth.set({ controller: c.name }, c.queue.length);
    for (const obj of caches.list(c.kind)) {
      metrics.objectsByPhase.inc({ kind: c.kind, phase: obj.status?.phase ?? 'Unknown' });
    }
  }
}
