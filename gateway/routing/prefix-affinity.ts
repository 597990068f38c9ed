// Prefix affinity, "sticky until saturated" (llm-d's default scheduling, KubeAI's PrefixHash): send
// the request to the replica that most recently served the longest prefix of its prompt, whose
// vLLM most likely still holds that prefix's KV cache and skips its prefill, unless that replica
// is over the load bound (load-bound.ts); then to the replica that matches most among those within
// the bound, and to the least loaded when no replica knows any of the prompt.
import type { Candidate } from './candidate.ts';
import { pickLeastLoaded, pickLeastLoadedUnsaturated } from './least-load.ts';
import { loadBound, withinBound } from './load-bound.ts';

/**
 * Why a replica was chosen (perpetual_routing_decisions_total's `reason`):
 *   prefix_hit          the replica with the longest known prefix of the prompt;
 *   least_load          no replica knows the prompt (or the policy ignores prompts);
 *   session             the conversation id's replica;
 *   saturated_fallback  the preferred replica (by prefix or conversation) was over the load bound.
 */
export type RoutingReason = 'prefix_hit' | 'least_load' | 'session' | 'saturated_fallback';

export interface Decision<T> {
  candidate: T;
  reason: RoutingReason;
}

/** The candidates with the most matched blocks (none when nobody matches any). */
function longestMatches<T>(candidates: readonly T[], matched: (candidate: T) => number): T[] {
  let best = 0;
  let longest: T[] = [];
  for (const candidate of candidates) {
    const count = matched(candidate);
    if (count > best) {
      best = count;
      longest = [candidate];
    } else if (count === best && count > 0) {
      longest.push(candidate);
    }
  }
  return longest;
}

/**
 * The prefix-affinity decision. `matched` says how many of the prompt's leading blocks a candidate
 * is believed to hold (PrefixIndex.matched); ties go to the less loaded, then at random.
 */
export function pickByPrefix<T extends Candidate>(
  candidates: readonly T[],
  matched: (candidate: T) => number,
  loadFactor: number,
  random: () => number,
): Decision<T> | undefined {
  const preferred = longestMatches(candidates, matched);
  if (preferred.length === 0) {
    const candidate = pickLeastLoadedUnsaturated(candidates, random);
    return candidate && { candidate, reason: 'least_load' };
  }
  const bound = loadBound(candidates, loadFactor);
  const hit = pickLeastLoaded(
    preferred.filter((c) => withinBound(c, bound)),
    random,
  );
  if (hit) return { candidate: hit, reason: 'prefix_hit' };
  // Every replica with the longest prefix is saturated: the best of the rest, which may still hold
  // a shorter part of the prompt (a shared system prompt without the conversation behind it).
  const within = candidates.filter((c) => withinBound(c, bound));
  // Every replica saturated (by its own metrics): the least loaded, as least-load would.
  const fallback =
    pickLeastLoaded(longestMatches(within, matched), random) ?? pickLeastLoaded(within, random) ?? pickLeastLoaded(candidates, random);
  return fallback && { candidate: fallback, reason: 'saturated_fallback' };
}
