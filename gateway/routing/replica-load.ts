// A replica's own view of its load, read from its vLLM /metrics: requests waiting in its queue and
// the share of its KV cache in use. The gateway's in-flight counts see only this gateway's requests;
// the replica's queue and cache see every gateway's (and every client's that bypasses them), so
// affinity stops sending more to a replica that says it is saturated, whatever this gateway sent it.
//
// Saturated: 5 or more requests waiting (the Gateway API Inference Extension's saturation detector
// uses the same queue default), or 95 % or more of the KV cache in use. Not its 80 %: vLLM fills its
// cache with the running batch by design, and in test/bench/prefix-routing.ts an 80 % threshold
// marked every busy replica saturated, scattering prompts (hit rate 0.47 instead of 0.60); near 95 %
// vLLM starts preempting, and a queue forms, which is the signal that matters. Read once per health round
// (REPLICA_HEALTH_INTERVAL_MS), so the signal is at most that old; an unreadable answer counts as
// "not saturated", and the in-flight bound still applies.
import type { ReplicaAddress } from './endpoint-resolver.ts';

export interface ReplicaLoad {
  /** vllm:num_requests_waiting, summed over the engine's series. */
  waiting: number;
  /** vllm:kv_cache_usage_perc (vllm:gpu_cache_usage_perc before vLLM 0.10), 0-1, the highest series. */
  kvCacheUsage: number;
}

export const SATURATED_AT: Readonly<ReplicaLoad> = { waiting: 5, kvCacheUsage: 0.95 };

export type LoadProbe = (replica: ReplicaAddress, signal: AbortSignal) => Promise<ReplicaLoad | undefined>;

/** The samples of one metric in Prometheus text: `name value` or `name{labels} value`. */
function samples(text: string, names: readonly string[]): number[] {
  const values: number[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const name = names.find((n) => line.startsWith(n) && (line[n.length] === '{' || line[n.length] === ' '));
    if (!name) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) values.push(value);
  }
  return values;
}

/** The load in a vLLM /metrics body; undefined when it has neither metric (not a vLLM). */
export function parseReplicaLoad(text: string): ReplicaLoad | undefined {
  const waiting = samples(text, ['vllm:num_requests_waiting']);
  const usage = samples(text, ['vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc']);
  if (waiting.length === 0 && usage.length === 0) return undefined;
  return { waiting: waiting.reduce((a, b) => a + b, 0), kvCacheUsage: usage.length === 0 ? 0 : Math.max(...usage) };
}

export function isSaturated(load: ReplicaLoad | undefined): boolean {
  return load !== undefined && (load.waiting >= SATURATED_AT.waiting || load.kvCacheUsage >= SATURATED_AT.kvCacheUsage);
}

export function httpLoadProbe(path: string, timeoutMs: number): LoadProbe {
  return async (replica, signal) => {
    try {
      const res = await fetch(replica.origin + path, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
      if (!res.ok) {
        await res.body?.cancel();
        return undefined;
      }
      return parseReplicaLoad(await res.text());
    } catch {
      return undefined;
    }
  };
}
