// The balancing decision for one request, given the replicas that may take it.
import type { Candidate } from './candidate.ts';
import { pickLeastLoaded } from './least-load.ts';
import { pickByAffinity } from './rendezvous.ts';
import type { RoutingPolicy } from './routing-policy.ts';

export interface Choice {
  policy: RoutingPolicy;
  /** The conversation id; session affinity needs one, least-load ignores it. */
  key: string | undefined;
  /** See pickByAffinity; 0 turns the bound off. */
  loadFactor: number;
  random: () => number;
}

export function chooseReplica<T extends Candidate>(candidates: readonly T[], choice: Choice): T | undefined {
  if (choice.policy === 'sessionAffinity' && choice.key !== undefined) return pickByAffinity(choice.key, candidates, choice.loadFactor);
  return pickLeastLoaded(candidates, choice.random);
}
