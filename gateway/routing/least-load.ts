// Least-load: the replica with the fewest requests in flight from this gateway. Every gateway
// replica counts only its own requests, which is enough to keep one gateway from piling work onto
// one vLLM while another idles; vLLM's own queue absorbs the rest. Ties are broken at random, so
// an idle pool does not send every first request to the same replica. A replica whose own metrics
// say it is saturated (replica-load.ts: a queue of other gateways' or clients' requests, a full KV
// cache) is passed over while another can take the request, as the affinity policies do: this
// gateway's in-flight count cannot see that load.
import type { Candidate } from './candidate.ts';

export function pickLeastLoaded<T extends Candidate>(candidates: readonly T[], random: () => number): T | undefined {
  let least = Infinity;
  let tied: T[] = [];
  for (const candidate of candidates) {
    if (candidate.inFlight < least) {
      least = candidate.inFlight;
      tied = [candidate];
    } else if (candidate.inFlight === least) {
      tied.push(candidate);
    }
  }
  if (tied.length < 2) return tied[0];
  return tied[Math.min(tied.length - 1, Math.floor(random() * tied.length))];
}

/** The least loaded of the replicas not saturated by their own metrics; of all of them when every one is. */
export function pickLeastLoadedUnsaturated<T extends Candidate>(candidates: readonly T[], random: () => number): T | undefined {
  return (
    pickLeastLoaded(
      candidates.filter((c) => c.saturated !== true),
      random,
    ) ?? pickLeastLoaded(candidates, random)
  );
}
