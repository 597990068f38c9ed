// A streaming request held for a ModelServer replica gets its event stream at once (status 200)
// and an SSE comment every few seconds while it waits: clients, proxies and load balancers see a
// live connection instead of an idle one they would time out, and SDKs ignore comment lines. The
// answer's chunks follow on the same stream once a replica is ready.
import type { Responder } from './responder.ts';

/** Starts the stream with `headers` and writes the waiting comment now and every `intervalMs`; returns the stop function. */
export function startWaitingStream(
  responder: Pick<Responder<unknown, unknown>, 'startStream' | 'keepAlive'>,
  headers: Record<string, string>,
  intervalMs: number,
): () => void {
  responder.startStream(headers);
  return responder.keepAlive(intervalMs, { comment: 'waiting for a model replica', now: true });
}
