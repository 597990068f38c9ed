// The table of contents of the running operator: caches for what each controller declares
// (operator/controllers/<kind>/controller.ts: the kind it reconciles, the kinds it owns, the kinds
// it watches and how a change maps to its objects), a work queue per controller, its workers, the
// resync, and the built-in autoscaler. Every event becomes keys on a controller's queue:
// level-triggered, never branching on the event type.
import type { Logger } from 'pino';
import { FIELD_MANAGER, Labels } from './api/v1alpha1/labels.ts';
import { startAutoscaler } from './autoscaler/autoscaler.ts';
import type { EndpointResolver } from './autoscaler/endpoints.ts';
import { keyOf } from './autoscaler/targets.ts';
import { makeVerdictStore } from './scaling-verdicts.ts';
import type { OperatorConfig } from './config.ts';
import type { ReconcileContext } from './controllers/context.ts';
import {
  objectKey,
  OWNER_LABELS,
  type ControllerDeclaration,
  type ManagerServices,
  type ReconciledKind,
} from './controllers/controller.ts';
import { modelServerController } from './controllers/model-server/controller.ts';
import { perpetualDeploymentController } from './controllers/perpetual-deployment/controller.ts';
import { cachesFrom, type Caches } from './kube/caches.ts';
import type { Kube } from './kube/client.ts';
import { makeEventRecorder } from './kube/events.ts';
import { ResourceInformer, type InformerOptions, type KindInformer } from './kube/informer.ts';
import { NamespacedInformers } from './kube/namespaced-informers.ts';
import { optionalKinds } from './kube/optional-kinds.ts';
import { keepPodEssentials } from './kube/pod-essentials.ts';
import { Kinds, type KindName } from './kube/resource-kinds.ts';
import { fetchSecretFrom, sharedSecretReader } from './kube/secret-reader.ts';
import { WorkQueue } from './kube/work-queue.ts';
import { makeWriter } from './kube/writer.ts';
import { inReconcileSpan } from './observability/tracing.ts';
import { conditionSeries, setConditionSeries } from './observability/condition-series.ts';
import type { OperatorMetrics } from './observability/metrics.ts';
import { errorMessage } from './utils.ts';
import { makeAdapterSyncer } from './adapters/syncer.ts';

/** Every controller the operator runs. */
export const CONTROLLERS: readonly ControllerDeclaration[] = [perpetualDeploymentController, modelServerController];

/** Every kind cached in full: what the controllers reconcile, own and watch. */
export const WATCHED_KINDS: readonly KindName[] = [
  ...new Set(CONTROLLERS.flatMap((c) => [c.for, ...c.owns, ...c.watches.flatMap((w) => ('metadataOnly' in w ? [] : [w.kind]))])),
];
/** Kinds watched as metadata only: the operator knows when one changes, never what it holds. */
export const METADATA_WATCHED_KINDS: readonly KindName[] = [
  ...new Set(CONTROLLERS.flatMap((c) => c.watches.flatMap((w) => ('metadataOnly' in w ? [w.kind] : [])))),
];
/** Owned kinds from APIs a cluster may not serve (KEDA): watched once discovery shows them. */
export const OPTIONAL_KINDS: readonly KindName[] = [...new Set(CONTROLLERS.flatMap((c) => c.ownsOptional))];

/** Children are watched only if we labelled them, which keeps the caches small. */
const OWNED_SELECTOR = `${Labels.managedBy}=${FIELD_MANAGER}`;
/**
 * The pods the operator reads: vLLM replicas (scheduling problems, the autoscaler), gateway pods
 * (the autoscaler's demand) and the pods of every workload whose status names a pod the kubelet
 * cannot start (ImagePullBackOff, CrashLoopBackOff, ...): those two and Qdrant, Redis and the
 * migration Job's; and of those, only the fields kube/pod-essentials.ts keeps.
 */
const POD_SELECTOR = `${OWNED_SELECTOR},${Labels.component} in (gateway,migration,qdrant,redis,vllm)`;

/** What each full cache selects and keeps: all of the reconciled kinds, our pods' essentials, our other children. */
function cacheOptions(kind: KindName): Pick<InformerOptions, 'labelSelector' | 'keep'> {
  if (kind === 'PerpetualDeployment' || kind === 'ModelServer') return {};
  if (kind === 'Pod') return { labelSelector: POD_SELECTOR, keep: keepPodEssentials };
  return { labelSelector: OWNED_SELECTOR };
}

interface RunningController {
  declaration: ControllerDeclaration;
  queue: WorkQueue;
}

export interface Manager {
  stop(): Promise<void>;
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
  // Every namespace with one watch each (a ClusterRole), or each of WATCH_NAMESPACES with its own (Roles there).
  const newInformer = (kind: KindName, options: Pick<InformerOptions, 'labelSelector' | 'keep' | 'metadataOnly'>): KindInformer => {
    const counted = options.metadataOnly ? `${kind}Metadata` : kind;
    const inNamespace = (namespace?: string): ResourceInformer =>
      new ResourceInformer(kube.kc, kube.objects, Kinds[kind], {
        log,
        namespace,
        ...options,
        onList: () => {
          metrics.informerLists.inc({ kind: counted });
        },
      });
    const { watchNamespaces } = config;
    if (watchNamespaces.length === 0) return inNamespace();
    return new NamespacedInformers(Kinds[kind], new Map(watchNamespaces.map((ns) => [ns, inNamespace(ns)])));
  };
  const informers = new Map(WATCHED_KINDS.map((kind) => [kind, newInformer(kind, cacheOptions(kind))]));
  const metadataInformers = new Map(METADATA_WATCHED_KINDS.map((kind) => [kind, newInformer(kind, { metadataOnly: true })]));
  const caches = cachesFrom(informers);
  const controllers: RunningController[] = CONTROLLERS.map((declaration) => ({ declaration, queue: new WorkQueue() }));

  const verdicts = makeVerdictStore();
  const optional = optionalKinds({
    kube,
    log,
    informers,
    newInformer: (kind) => newInformer(kind, cacheOptions(kind)),
    wire: (kind, informer) => {
      for (const c of controllers) if (c.declaration.ownsOptional.includes(kind)) queueOwners(informer, c);
    },
  });
  const services: ManagerServices = {
    autoscaling: {
      verdict: (namespace, name) => verdicts.get(keyOf(namespace, name)),
      optionalKindServed: (kind, recheck) => optional.served(kind, recheck),
      // Reaches replicas the way the autoscaler does (pod IPs; ENDPOINT_MAP_FILE in tests).
      adapters: makeAdapterSyncer({
        resolver: deps.resolver,
        requestReconcile: (k) => {
          queueOf(controllers, 'ModelServer').add(k);
        },
        log: log.child({ controller: 'adapters' }),
      }),
    },
  };
  const secrets = sharedSecretReader(fetchSecretFrom(kube.core));
  // First, so no reconcile this change causes reads the Secret's value from a read shared just before it.
  metadataInformers.get('Secret')?.onChange((secret) => {
    secrets.forget(secret.metadata?.namespace ?? '', secret.metadata?.name ?? '');
  });
  for (const c of controllers) wireController(c, informers, metadataInformers, caches);

  const ctx: ReconcileContext = {
    kube,
    caches,
    writer: makeWriter(kube, FIELD_MANAGER, (verb, kind) => {
      metrics.writes.inc({ verb, kind });
    }),
    secrets,
    recordEvent: makeEventRecorder(kube.core, FIELD_MANAGER, log),
    config,
    log,
    now: () => new Date(),
  };

  const allInformers = [...informers.values(), ...metadataInformers.values()];
  await Promise.all(
    allInformers.map(async (informer) => {
      await informer.start();
      await informer.synced;
    }),
  );
  // Before any reconcile: a ScaledObject left from an earlier engine must be prunable after a restart.
  for (const kind of OPTIONAL_KINDS) await optional.served(kind, true);
  log.info(
    {
      kinds: informers.size,
      metadataKinds: metadataInformers.size,
      namespaces: config.watchNamespaces.length > 0 ? config.watchNamespaces : 'all',
    },
    'Caches synced',
  );

  const workers = controllers.flatMap((c) => Array.from({ length: config.concurrency }, () => runWorker(c, ctx, services, deps)));
  const resync = setInterval(() => {
    for (const c of controllers) for (const obj of caches.list(c.declaration.for)) c.queue.add(objectKey(obj));
  }, config.resyncMs);
  const gauges = setInterval(() => {
    refreshGauges(controllers, caches, metrics);
  }, 2000);
  resync.unref();
  gauges.unref();
  const autoscaler = startAutoscaler({
    caches,
    kube,
    resolver: deps.resolver,
    verdicts,
    requestReconcile: (k) => {
      queueOf(controllers, 'ModelServer').add(k);
    },
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
      // `informers` now also holds the optional kinds watched since start.
      await Promise.all([...informers.values(), ...metadataInformers.values()].map((i) => i.stop()));
    },
  };
}

function queueOf(controllers: readonly RunningController[], kind: ReconciledKind): WorkQueue {
  const found = controllers.find((c) => c.declaration.for === kind);
  if (!found) throw new Error(`no controller for ${kind}`);
  return found.queue;
}

/** For, Owns, Watches: each change to one of these objects queues the controller's objects it maps to. */
function wireController(
  c: RunningController,
  informers: ReadonlyMap<KindName, KindInformer>,
  metadataInformers: ReadonlyMap<KindName, KindInformer>,
  caches: Caches,
): void {
  const { declaration, queue } = c;
  informers.get(declaration.for)?.onChange((obj) => {
    queue.add(objectKey(obj));
  });
  for (const kind of declaration.owns) {
    const informer = informers.get(kind);
    if (informer) queueOwners(informer, c);
  }
  for (const watch of declaration.watches) {
    const informer = ('metadataOnly' in watch ? metadataInformers : informers).get(watch.kind);
    informer?.onChange((obj) => {
      for (const k of watch.map(obj, caches)) queue.add(k);
    });
  }
}

/** Owns: a child names its owner in a label (OWNER_LABELS); a change to it queues that owner. */
function queueOwners(informer: KindInformer, c: RunningController): void {
  const label = OWNER_LABELS[c.declaration.for];
  informer.onChange((child) => {
    const owner = child.metadata?.labels?.[label];
    if (owner) c.queue.add(keyOf(child.metadata?.namespace ?? '', owner));
  });
}

async function runWorker(
  controller: RunningController,
  ctx: ReconcileContext,
  services: ManagerServices,
  deps: ManagerDeps,
): Promise<void> {
  const { metrics } = deps;
  const { declaration, queue } = controller;
  for (;;) {
    const k = await queue.get();
    if (k === undefined) return;
    const [namespace, name] = splitKey(k);
    const log = deps.log.child({ controller: declaration.name, namespace, name });
    const endTimer = metrics.reconcileDuration.startTimer({ controller: declaration.name });
    try {
      const result = await inReconcileSpan(
        { controller: declaration.name, kind: declaration.for, namespace, name },
        (r) => (r.requeueAfterMs ? 'requeue' : 'success'),
        () => declaration.reconcile({ ...ctx, log }, namespace, name, services),
      );
      queue.forget(k);
      if (result.requeueAfterMs) queue.addAfter(k, result.requeueAfterMs);
      metrics.reconciles.inc({ controller: declaration.name, result: result.requeueAfterMs ? 'requeue' : 'success' });
    } catch (err) {
      const retryInMs = queue.addRateLimited(k);
      metrics.reconciles.inc({ controller: declaration.name, result: 'error' });
      metrics.reconcileErrors.inc({ controller: declaration.name });
      log.error({ err: errorMessage(err), retryInMs }, 'Reconcile failed; retrying with backoff');
    } finally {
      endTimer();
      queue.done(k);
    }
  }
}

function refreshGauges(controllers: readonly RunningController[], caches: Caches, metrics: OperatorMetrics): void {
  metrics.objectsByPhase.reset();
  for (const { declaration, queue } of controllers) {
    metrics.queueDepth.set({ controller: declaration.name }, queue.length);
    for (const obj of caches.list(declaration.for)) {
      metrics.objectsByPhase.inc({ kind: declaration.for, phase: obj.status?.phase ?? 'Unknown' });
    }
  }
  setConditionSeries(
    metrics.conditions,
    controllers.flatMap(({ declaration }) => conditionSeries(declaration.for, caches.list(declaration.for))),
  );
}
