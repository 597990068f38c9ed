// vLLM's sleep mode as the gateway sees it (a ModelServer with autoscaling.standby): the operator
// puts idle replicas to sleep; a sleeping vLLM still answers /health and /v1/models (so it stays
// ready), but answers chats with a 503 until woken. The gateway asks /is_sleeping on every health
// round and never sends a request to a sleeping replica; when requests wait and every replica
// sleeps, it asks them to wake (POST /wake_up, which vLLM answers once the weights are back).
import type { ReplicaAddress } from './endpoint-resolver.ts';

export interface SleepControl {
  /** Whether the replica sleeps; undefined when it did not say (no answer, or sleep mode off). */
  isSleeping(replica: ReplicaAddress, signal: AbortSignal): Promise<boolean | undefined>;
  /** Asks it to wake; resolves true once it answered that it is awake. */
  wake(replica: ReplicaAddress, signal: AbortSignal): Promise<boolean>;
}

/** `{"is_sleeping": true}`, vLLM's answer; anything else says nothing. */
export function parseIsSleeping(body: unknown): boolean | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>).is_sleeping;
  return typeof value === 'boolean' ? value : undefined;
}

/**
 * `probeTimeoutMs` bounds /is_sleeping (a health-round read); `wakeTimeoutMs` bounds /wake_up, which
 * takes as long as moving the weights back (seconds at sleep level 1, a reload from disk at level 2).
 */
export function httpSleepControl(probeTimeoutMs: number, wakeTimeoutMs: number): SleepControl {
  return {
    isSleeping: async (replica, signal) => {
      try {
        const res = await fetch(`${replica.origin}/is_sleeping`, {
          signal: AbortSignal.any([signal, AbortSignal.timeout(probeTimeoutMs)]),
        });
        if (!res.ok) {
          await res.body?.cancel();
          return undefined;
        }
        return parseIsSleeping(await res.json());
      } catch {
        return undefined;
      }
    },
    wake: async (replica, signal) => {
      try {
        const res = await fetch(`${replica.origin}/wake_up`, {
          method: 'POST',
          signal: AbortSignal.any([signal, AbortSignal.timeout(wakeTimeoutMs)]),
        });
        await res.body?.cancel();
        return res.ok;
      } catch {
        return false;
      }
    },
  };
}
