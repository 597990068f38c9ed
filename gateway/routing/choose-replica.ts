// The balancing decision for one request, given the replicas that may take it. Callers filter the
// candidates first (ready, not skipped after a failure, not tried yet for this request; an adapter
// filter would go there too), so every policy chooses among replicas that can serve the request.
import type { Candidate } from './candidate.ts';
import { pickLeastLoadedUnsaturated } from './least-load.ts';
import { pickByPrefix, type Decision } from './prefix-affinity.ts';
import { affinityPick } from './rendezvous.ts';
import type { RoutingPolicy } from './routing-policy.ts';

export interface Choice<T> {
  policy: RoutingPolicy;
  /** The conversation id; session affinity needs one (prefix routing honours it too), least-load ignores it. */
  key: string | undefined;
  /** Prefix routing: how many of the prompt's leading blocks a candidate is believed to hold; absent without a prompt. */
  matched?: ((candidate: T) => number) | undefined;
  /** See load-bound.ts; 0 turns the bound off. */
  loadFactor: number;
  random: () => number;
}

export function chooseReplica<T extends Candidate>(candidates: readonly T[], choice: Choice<T>): Decision<T> | undefined {
  const { policy, key } = choice;
  if (policy !== 'leastLoad' && key !== undefined) {
    const pick = affinityPick(key, candidates, choice.loadFactor);
    return pick && { candidate: pick.candidate, reason: pick.displaced ? 'saturated_fallback' : 'session' };
  }
  if (policy === 'prefix' && choice.matched) return pickByPrefix(candidates, choice.matched, choice.loadFactor, choice.random);
  const candidate = pickLeastLoadedUnsaturated(candidates, choice.random);
  return candidate && { candidate, reason: 'least_load' };
}
