// Reads every pod a round of decisions needs, each URL once (a gateway pod serves several
// ModelServers), in parallel with a cap, each bounded by a timeout so one hung pod never delays
// the interval. Then assembles each ModelServer's observation from the answers (pure).
import type { V1Pod } from '@kubernetes/client-node';
import type { EndpointResolver, ScrapeRole } from './endpoints.ts';
import type { LoadObservation } from './measure.ts';
import { gatewayReading, replicaReading } from './prometheus-text.ts';
import type { ScaleTarget } from './targets.ts';

export type ScrapeResult = { ok: true; text: string } | { ok: false; error: string };

const PARALLEL_SCRAPES = 32;
/** vLLM's /metrics is a few hundred KB with every histogram; anything far bigger is not a metrics page. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface ScrapeRequest {
  url: string;
  role: ScrapeRole;
}

export async function scrapeOne(url: string, timeoutMs: number): Promise<ScrapeResult> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error', headers: { accept: 'text/plain' } });
    if (!response.ok) {
      await response.body?.cancel();
      return { ok: false, error: `${url} answered HTTP ${String(response.status)}` };
    }
    const length = Number(response.headers.get('content-length') ?? 0);
    if (length > MAX_BODY_BYTES) {
      await response.body?.cancel();
      return { ok: false, error: `${url} sent ${String(length)} bytes, more than a metrics page` };
    }
    return { ok: true, text: await response.text() };
  } catch (err) {
    return { ok: false, error: `${url}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Every distinct URL in `requests`, read at most PARALLEL_SCRAPES at a time. */
export async function scrapeAll(requests: readonly ScrapeRequest[], timeoutMs: number): Promise<Map<string, ScrapeResult>> {
  const urls = [...new Set(requests.map((r) => r.url))];
  const results = new Map<string, ScrapeResult>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < urls.length) {
      const url = urls[next++] ?? '';
      results.set(url, await scrapeOne(url, timeoutMs));
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_SCRAPES, urls.length) }, worker));
  return results;
}

/** A pod and where (if anywhere) the resolver said to read it. */
export interface PodEndpoint {
  pod: V1Pod;
  role: ScrapeRole;
  url?: string;
  /** Why the pod has no address (it still counts as a pod that did not answer). */
  error?: string;
}

export function endpointsOf(target: ScaleTarget, resolver: EndpointResolver): PodEndpoint[] {
  const resolve = (pod: V1Pod, role: ScrapeRole): PodEndpoint => ({ pod, role, ...resolver.resolve(pod, role) });
  return [...target.replicaPods.map((p) => resolve(p, 'replica')), ...target.gatewayPods.map((p) => resolve(p, 'gateway'))];
}

function answer(endpoint: PodEndpoint, results: ReadonlyMap<string, ScrapeResult>): string | undefined {
  const result = endpoint.url === undefined ? undefined : results.get(endpoint.url);
  return result?.ok ? result.text : undefined;
}

/** What one ModelServer's pods said; pods without an address or an answer count as asked but silent. */
export function observationOf(
  target: ScaleTarget,
  endpoints: readonly PodEndpoint[],
  results: ReadonlyMap<string, ScrapeResult>,
): LoadObservation {
  const replicas = endpoints.filter((e) => e.role === 'replica');
  const gateways = endpoints.filter((e) => e.role === 'gateway');
  return {
    currentReplicas: target.currentReplicas,
    readyReplicas: replicas.length,
    replicas: replicas.flatMap((e) => {
      const text = answer(e, results);
      return text === undefined ? [] : [replicaReading(text)];
    }),
    gatewayPods: gateways.length,
    gateways: gateways.flatMap((e) => {
      const text = answer(e, results);
      return text === undefined ? [] : [gatewayReading(text, target.modelNames)];
    }),
  };
}
