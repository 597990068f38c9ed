// Kinds from APIs a cluster may not serve (KEDA's ScaledObject). An informer on an API that is not
// served would fail and retry forever, and the manager would never see its caches synced; so each
// optional kind is watched only from the moment discovery shows it.
import type { Logger } from 'pino';
import type { Kube } from './client.ts';
import { type KindInformer } from './informer.ts';
import { Kinds, type KindName } from './resource-kinds.ts';
import { isApiError } from './writer.ts';
import { errorMessage } from '../utils.ts';

export interface OptionalKindsDeps {
  kube: Kube;
  log: Logger;
  /** The manager's informers; an optional kind joins them once watched (so the caches serve it). */
  informers: Map<KindName, KindInformer>;
  /** Makes the informer for a kind (the manager's, with its label selector and metrics). */
  newInformer(kind: KindName): KindInformer;
  /** Registers the event handlers, before the first list. */
  wire(kind: KindName, informer: KindInformer): void;
}

/** An optional kind whose watch cannot sync in this long is treated as not served (e.g. RBAC forbids it). */
const SYNC_TIMEOUT_MS = 10_000;

/** Whether the API server serves `kind` (discovery), without throwing: not found and errors are "no". */
async function isServed(kube: Kube, kind: KindName, log: Logger): Promise<boolean> {
  const [group = '', version = ''] = Kinds[kind].apiVersion.split('/');
  try {
    const list = await kube.customObjects.getAPIResources({ group, version });
    return list.resources.some((r) => r.kind === Kinds[kind].kind);
  } catch (err) {
    if (!isApiError(err, 404)) log.warn({ kind, err: errorMessage(err) }, 'Could not ask whether the API is served');
    return false;
  }
}

async function syncedWithin(informer: KindInformer, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      resolve(false);
    }, timeoutMs);
  });
  const synced = informer.synced.then(() => true);
  const result = await Promise.race([synced, timedOut]);
  clearTimeout(timer);
  return result;
}

/**
 * Watches optional kinds from the moment discovery shows them. Reconcilers ask with `recheck`
 * when they need the kind (a `keda` ModelServer), so installing KEDA later is noticed without a
 * restart; the answer is memoized while a check is under way.
 */
export function optionalKinds(deps: OptionalKindsDeps): { served(kind: KindName, recheck: boolean): Promise<boolean> } {
  const checks = new Map<KindName, Promise<boolean>>();
  const start = async (kind: KindName): Promise<boolean> => {
    if (!(await isServed(deps.kube, kind, deps.log))) return false;
    const informer = deps.newInformer(kind);
    deps.wire(kind, informer);
    await informer.start();
    if (!(await syncedWithin(informer, SYNC_TIMEOUT_MS))) {
      await informer.stop();
      deps.log.warn({ kind }, 'The API is served but could not be watched; treating it as absent');
      return false;
    }
    deps.informers.set(kind, informer);
    deps.log.info({ kind }, 'Watching an optional kind now that the cluster serves it');
    return true;
  };
  return {
    served: async (kind, recheck) => {
      if (deps.informers.has(kind)) return true;
      if (!recheck) return false;
      const pending = checks.get(kind) ?? start(kind).finally(() => checks.delete(kind));
      checks.set(kind, pending);
      return pending;
    },
  };
}
