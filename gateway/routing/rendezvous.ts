// Session affinity by rendezvous (highest-random-weight) hashing: every replica gets a score from
// hash(key, replica) and the key goes to the highest. While the replica set is stable a key always
// lands on the same replica; when a replica leaves, only its keys move, and when one joins it takes
// about 1/n of the keys. No ring to rebuild and nothing to share between gateway replicas: every
// gateway computes the same answer from the same replica list.
//
// Bounded load (load-bound.ts): a replica over the bound gives the key to the next replica in its
// order.
import { fmix32, fnv1a } from '../hashing/fnv1a.ts';
import type { Candidate } from './candidate.ts';
import { loadBound, withinBound } from './load-bound.ts';

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

export interface AffinityPick<T> {
  candidate: T;
  /** The key's first choice was over the load bound, so the candidate is a later one. */
  displaced: boolean;
}

/**
 * The most preferred candidate that stays within the load bound (load-bound.ts) once it takes this
 * request; unbounded when loadFactor is 0. When every candidate is over the bound (for loadFactor >= 1,
 * only when all are saturated), the first choice.
 */
export function affinityPick<T extends Candidate>(key: string, candidates: readonly T[], loadFactor: number): AffinityPick<T> | undefined {
  const order = rendezvousOrder(key, candidates);
  const first = order[0];
  if (first === undefined) return undefined;
  const bound = loadBound(order, loadFactor);
  const candidate = order.find((c) => withinBound(c, bound)) ?? first;
  return { candidate, displaced: candidate !== first };
}

/** affinityPick's candidate. */
export function pickByAffinity<T extends Candidate>(key: string, candidates: readonly T[], loadFactor: number): T | undefined {
  return affinityPick(key, candidates, loadFactor)?.candidate;
}
