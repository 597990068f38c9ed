// The operator's side of vLLM's sleep API (autoscaling.standby): where a replica answers
// /is_sleeping (beside its /metrics), what the answers say, and POST /sleep?level=N. The readings
// ride in the interval's scrape (scraper.ts); putting to sleep is a call of its own, bounded by a timeout.
import { serverMessage, type CallResult } from '../adapters/replica-client.ts';
import type { PodEndpoint, ScrapeRequest, ScrapeResult } from './scraper.ts';
import type { SleepReading } from './standby.ts';

/** The replica's /is_sleeping, on the origin its metrics are read from. */
export function sleepStateUrl(metricsUrl: string): string {
  return `${new URL(metricsUrl).origin}/is_sleeping`;
}

/** The /is_sleeping reads of a standby ModelServer's replicas, to scrape with their metrics. */
export function sleepStateRequests(endpoints: readonly PodEndpoint[]): ScrapeRequest[] {
  return endpoints.flatMap((e) => (e.role === 'replica' && e.url !== undefined ? [{ url: sleepStateUrl(e.url), role: e.role }] : []));
}

/** `{"is_sleeping": bool}`; anything else (no answer, sleep mode off: 404) says nothing. */
export function parseSleepState(result: ScrapeResult | undefined): boolean | undefined {
  if (!result?.ok) return undefined;
  try {
    const value = (JSON.parse(result.text) as { is_sleeping?: unknown }).is_sleeping;
    return typeof value === 'boolean' ? value : undefined;
  } catch {
    return undefined;
  }
}

export function sleepReadings(endpoints: readonly PodEndpoint[], results: ReadonlyMap<string, ScrapeResult>): SleepReading[] {
  return endpoints.flatMap((e) =>
    e.role === 'replica'
      ? [{ pod: e.pod.metadata?.name ?? '', asleep: e.url === undefined ? undefined : parseSleepState(results.get(sleepStateUrl(e.url))) }]
      : [],
  );
}

/** POST /sleep?level=N: vLLM answers once the weights are off the GPU. */
export async function putToSleep(metricsUrl: string, level: number, timeoutMs: number): Promise<CallResult> {
  try {
    const res = await fetch(`${new URL(metricsUrl).origin}/sleep?level=${String(level)}`, {
      method: 'POST',
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
    const text = await res.text();
    return res.ok ? { ok: true } : { ok: false, message: serverMessage(res.status, text) };
  } catch (err) {
    return {
      ok: false,
      message:
        err instanceof Error && err.name === 'TimeoutError'
          ? 'no answer before the timeout'
          : String(err instanceof Error ? err.message : err),
    };
  }
}
