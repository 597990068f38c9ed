// Is a replica ready for traffic? vLLM's /health answers 200 once the engine is up (while the weights
// load, the port does not answer HTTP at all) and 5xx when the engine died. The path is configurable
// (REPLICA_HEALTH_PATH) for servers that listen early and report loading on another path, such as
// llm-d-inference-sim's /health/ready. Any failure, including no answer within the timeout, is "not
// ready": the poller asks again in a moment.
import type { ReplicaAddress } from './endpoint-resolver.ts';

export type Probe = (replica: ReplicaAddress, signal: AbortSignal) => Promise<boolean>;

export function httpProbe(path: string, timeoutMs: number): Probe {
  return async (replica, signal) => {
    try {
      const res = await fetch(replica.origin + path, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
      await res.body?.cancel();
      return res.ok;
    } catch {
      return false;
    }
  };
}
