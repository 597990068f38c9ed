// The bound of "sticky until saturated" (session and prefix affinity, as KubeAI's CHWBL and llm-d
// do): a replica may take one more request while it then carries at most `loadFactor` times the
// mean in-flight load, counting the new request. A replica over it passes the request on, so one
// hot conversation or system prompt cannot pile onto one vLLM while the others idle. A replica whose
// own metrics say it is saturated (replica-load.ts) is over the bound whatever this gateway sent it.
import type { Candidate } from './candidate.ts';

/**
 * The most requests in flight a replica may have after taking this one:
 * ceil(loadFactor × (total in flight + 1) / n). Infinity when loadFactor is 0 (no bound). For
 * loadFactor >= 1 at least one candidate is always within it, unless they are all saturated.
 */
export function loadBound(candidates: readonly Candidate[], loadFactor: number): number {
  if (loadFactor <= 0 || candidates.length < 2) return Infinity;
  const total = candidates.reduce((sum, candidate) => sum + candidate.inFlight, 0) + 1;
  return Math.ceil((loadFactor * total) / candidates.length);
}

/** Whether the candidate can take one more request within the bound, and its own metrics do not say it is saturated. */
export function withinBound(candidate: Candidate, bound: number): boolean {
  return candidate.inFlight + 1 <= bound && candidate.saturated !== true;
}
