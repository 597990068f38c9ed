// Keeps each ready vLLM replica's LoRA adapters equal to its ModelServer's spec.adapters through
// vLLM's dynamic API, off the reconcile path: a load can take as long as a download, and a worker
// must not wait for it. The reconciler calls `report()` each time it runs; that returns what the
// last sync found and starts a new one (at most one per ModelServer at a time) when the spec or the
// set of ready replicas changed, or when the last one is due a recheck. A finished sync whose
// findings differ asks for a reconcile, which writes them into status.
//
// Bounded: every call has a timeout, replicas are asked a few at a time, a refused load is asked
// again only after a while (or at once when its source changes). Idempotent: each sync starts by
// asking every replica what it holds (GET /v1/models) and only loads what is missing.
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { LoraAdapter } from '../api/v1alpha1/adapters.ts';
import type { ModelServer } from '../api/v1alpha1/model-server.ts';
import { METRICS_PATHS, type EndpointResolver } from '../autoscaler/endpoints.ts';
import { isPodReady } from '../kube/pod-essentials.ts';
import { stableJson } from '../utils.ts';
import { planReplica, type AdapterReport, type LoadFailure, type ReplicaOutcome } from './plan.ts';
import { listAdapters, loadAdapter, unloadAdapter } from './replica-client.ts';

export interface AdapterSyncSettings {
  /** GET /v1/models and unloads. */
  listTimeoutMs: number;
  /** A load may download the adapter first. */
  loadTimeoutMs: number;
  /** How long a refused load is left alone. */
  retryFailedMs: number;
  /** How often replicas are asked again while nothing changed (a restarted container forgets runtime loads). */
  recheckMs: number;
}

export const DEFAULT_ADAPTER_SYNC_SETTINGS: AdapterSyncSettings = {
  listTimeoutMs: 5_000,
  loadTimeoutMs: 120_000,
  retryFailedMs: 60_000,
  recheckMs: 60_000,
};

const PARALLEL_REPLICAS = 8;

export interface AdapterSyncDeps {
  resolver: EndpointResolver;
  requestReconcile(key: string): void;
  log: Logger;
  settings?: Partial<AdapterSyncSettings>;
  now?: () => number;
}

interface Entry {
  /** What the last sync started from. */
  inputs: string;
  /** What the latest report() saw: a sync running for older inputs is followed by another. */
  wanted: string;
  syncedAt: number;
  report: AdapterReport | undefined;
  running: Promise<void> | undefined;
  /** Per pod, per adapter: the last refused load. */
  failures: Map<string, Map<string, LoadFailure>>;
}

export interface AdapterSyncer {
  /** The last findings for the ModelServer (undefined before the first sync), starting a sync when one is due. */
  report(ms: ModelServer, pods: readonly V1Pod[]): AdapterReport | undefined;
  /** When to look again (ms), while an adapter is not yet Loaded everywhere. */
  recheckAfterMs(ms: ModelServer): number | undefined;
  /** Waits for the syncs running now (tests, shutdown). */
  settled(): Promise<void>;
  forget(key: string): void;
}

function keyOf(ms: ModelServer): string {
  return `${ms.metadata?.namespace ?? ''}/${ms.metadata?.name ?? ''}`;
}

function podName(pod: V1Pod): string {
  return pod.metadata?.name ?? '';
}

/** Ready and not going away: a terminating pod would only lose what it is given. */
function servingPods(pods: readonly V1Pod[]): V1Pod[] {
  return pods.filter((p) => isPodReady(p) && !p.metadata?.deletionTimestamp).sort((a, b) => podName(a).localeCompare(podName(b)));
}

/** What a sync depends on: a restarted container (same pod, restartCount up) has lost its runtime loads. */
function inputsOf(adapters: readonly LoraAdapter[], pods: readonly V1Pod[]): string {
  return stableJson({
    adapters,
    pods: pods.map((p) => [podName(p), p.status?.podIP ?? '', (p.status?.containerStatuses ?? []).map((c) => c.restartCount)]),
  });
}

export function makeAdapterSyncer(deps: AdapterSyncDeps): AdapterSyncer {
  const settings = { ...DEFAULT_ADAPTER_SYNC_SETTINGS, ...deps.settings };
  const now = deps.now ?? Date.now;
  const entries = new Map<string, Entry>();

  function baseUrl(pod: V1Pod): { url: string } | { error: string } {
    const resolved = deps.resolver.resolve(pod, 'replica');
    if ('error' in resolved) return resolved;
    const suffix = METRICS_PATHS.replica;
    return { url: resolved.url.endsWith(suffix) ? resolved.url.slice(0, -suffix.length) : resolved.url };
  }

  async function syncReplica(pod: V1Pod, adapters: readonly LoraAdapter[], entry: Entry): Promise<ReplicaOutcome> {
    const name = podName(pod);
    const base = baseUrl(pod);
    if ('error' in base) return { pod: name, reached: false, error: base.error };
    const listed = await listAdapters(base.url, settings.listTimeoutMs);
    if (!listed.ok) return { pod: name, reached: false, error: listed.message };
    const failures = entry.failures.get(name) ?? new Map<string, LoadFailure>();
    entry.failures.set(name, failures);
    const loaded = new Set(listed.adapters.keys());
    for (const action of planReplica(adapters, listed.adapters, failures, now())) {
      if (action.kind === 'unload') {
        const result = await unloadAdapter(base.url, action.name, settings.listTimeoutMs);
        if (result.ok) loaded.delete(action.name);
        else deps.log.warn({ pod: name, adapter: action.name, err: result.message }, 'Could not unload a LoRA adapter');
        continue;
      }
      const source = adapters.find((a) => a.name === action.name)?.source ?? '';
      const result = await loadAdapter(base.url, action.name, action.path, settings.loadTimeoutMs);
      if (result.ok) {
        loaded.add(action.name);
        failures.delete(action.name);
        deps.log.info({ pod: name, adapter: action.name }, 'Loaded a LoRA adapter');
      } else {
        failures.set(action.name, { source, message: result.message, retryAt: now() + settings.retryFailedMs });
        deps.log.warn({ pod: name, adapter: action.name, err: result.message }, 'A replica refused a LoRA adapter');
      }
    }
    // Failures of adapters no longer wanted, or now loaded, are forgotten.
    for (const adapter of failures.keys()) if (loaded.has(adapter) || !adapters.some((a) => a.name === adapter)) failures.delete(adapter);
    const failed = Object.fromEntries([...failures].sort(([a], [b]) => a.localeCompare(b)).map(([adapter, f]) => [adapter, f.message]));
    return { pod: name, reached: true, loaded: [...loaded].sort(), failed };
  }

  async function sync(key: string, entry: Entry, adapters: readonly LoraAdapter[], pods: readonly V1Pod[]): Promise<void> {
    await deps.resolver.refresh();
    const outcomes: ReplicaOutcome[] = new Array<ReplicaOutcome>(pods.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < pods.length) {
        const i = next++;
        const pod = pods[i];
        if (pod) outcomes[i] = await syncReplica(pod, adapters, entry);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_REPLICAS, pods.length) }, worker));
    // Pods gone since are forgotten with their failures.
    const names = new Set(pods.map(podName));
    for (const pod of entry.failures.keys()) if (!names.has(pod)) entry.failures.delete(pod);
    const report: AdapterReport = { replicas: outcomes };
    const changed = stableJson(report) !== stableJson(entry.report ?? null);
    entry.report = report;
    if (changed) deps.requestReconcile(key);
  }

  return {
    report(ms, pods) {
      const key = keyOf(ms);
      const adapters = ms.spec.adapters ?? [];
      let entry = entries.get(key);
      if (adapters.length === 0 && !entry) return undefined;
      const serving = servingPods(pods);
      const inputs = inputsOf(adapters, serving);
      entry ??= { inputs: '', wanted: '', syncedAt: -Infinity, report: undefined, running: undefined, failures: new Map() };
      entries.set(key, entry);
      entry.wanted = inputs;
      const due = inputs !== entry.inputs || now() - entry.syncedAt >= nextCheck(entry);
      if (due && !entry.running) {
        const current = entry;
        current.inputs = inputs;
        current.syncedAt = now();
        current.running = sync(key, current, adapters, serving)
          .catch((err: unknown) => {
            deps.log.error({ modelServer: key, err: err instanceof Error ? err.message : String(err) }, 'Adapter sync failed');
          })
          .finally(() => {
            current.running = undefined;
            // Inputs that changed while it ran get their own sync, from the reconcile this asks for.
            if (current.wanted !== inputs) deps.requestReconcile(key);
          });
      }
      // Without adapters the last sync unloaded them all; nothing more to show or do.
      if (adapters.length === 0 && !entry.running) entries.delete(key);
      return entry.report;
    },
    recheckAfterMs(ms) {
      const entry = entries.get(keyOf(ms));
      if (!entry || (ms.spec.adapters ?? []).length === 0) return undefined;
      return nextCheck(entry);
    },
    async settled() {
      await Promise.all([...entries.values()].flatMap((e) => (e.running ? [e.running] : [])));
    },
    forget(key) {
      entries.delete(key);
    },
  };

  /** Sooner while some replica lacks an adapter or could not be asked; a refused load waits its retry. */
  function nextCheck(entry: Entry): number {
    const replicas = entry.report?.replicas ?? [];
    const incomplete = replicas.some((r) => !r.reached);
    const failed = replicas.some((r) => r.reached && Object.keys(r.failed).length > 0);
    if (incomplete) return Math.min(5_000, settings.recheckMs);
    if (failed) return Math.min(settings.retryFailedMs, settings.recheckMs);
    return settings.recheckMs;
  }
}
