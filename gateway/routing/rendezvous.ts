// Session affinity by rendezvous (highest-random-weight) hashing: every replica gets a score from
// hash(key, replica) and the key goes to the highest. While the replica set is stable a key always
// lands on the same replica; when a replica leaves, only its keys move, and when one joins it takes
// about 1/n of the keys. No ring to rebuild and nothing to share between gateway replicas: every
// gateway computes the same answer from the same replica list.
//
// Bounded load ("sticky until saturated", as KubeAI's CHWBL and llm-d do): a replica that already
// carries more than `loadFactor` times the mean in-flight load gives the key to the next replica in
// its order, so one long conversation or a hot spot cannot pile onto one vLLM while others idle.
import { fmix32, fnv1a } from '../hashing/fnv1a.ts';
import type { Candidate } from './candidate.ts';

/** FNV-1a over UTF-16 code units, then MurmurHash3's finaliser so nearby inputs score far apart. */
export function rendezvousScore(key: string, id: string): number {
  return fmix32(fnv1a(`${key}\u0000${id}`));
}

/** The candidates in the key's preference order (highest score first; ties by id, deterministic). */
export function rendezvousOrder<T extends Candidate>(key: string, candidates: readonly T[]): T[] {
  return candidates
    .map((candidate) => ({ candidate, score: rendezvousScore(key, candidate.id) }))
    .sort((a, b) => b.score - a.score || (a.candidate.id < b.candidate.id ? -1 : 1))
    .map(({ candidate }) => candidate);
}

/**
 * The most preferred candidate that stays within the load bound once it takes this request:
 * inFlight + 1 <= ceil(loadFactor × (total in flight + 1) / n). Unbounded when loadFactor is 0.
 * When every candidate is over the bound (cannot happen for loadFactor >= 1), the first choice.
 */
export function pickByAffinity<T extends Candidate>(key: string, candidates: readonly T[], loadFactor: number): T | undefined {
  const order = rendezvousOrder(key, candidates);
  if (loadFactor <= 0 || order.length < 2) return order[0];
  const total = order.reduce((sum, candidate) => sum + candidate.inFlight, 0) + 1;
  const bound = Math.ceil((loadFactor * total) / order.length);
  return order.find((candidate) => candidate.inFlight + 1 <= bound) ?? order[0];
}
