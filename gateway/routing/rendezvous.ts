// Session affinity by rendezvous (highest-random-weight) hashing: every replica gets a score from
// hash(key, replica) and the key goes to the highest. While the replica set is stable a key always
// lands on the same replica; when a replica leaves, only its keys move, and when one joins it takes
// about 1/n of the keys. No ring to rebuild and nothing to share between gateway replicas: every
// gateway computes the same answer from the same replica list.
//
// Bounded load ("sticky until saturated", as KubeAI's CHWBL and llm-d do): a replica that already
// carries more than `loadFactor` times the mean in-flight load gives the key to the next replica in
// its order, so one long conversation or a hot spot cannot pile onto one vLLM while others idle.
import type { Candidate } from './candidate.ts';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over UTF-16 code units, then MurmurHash3's finaliser so nearby inputs score far apart. */
export function rendezvousScore(key: string, id: string): number {
  const text = `${key}\u0000${id}`;
  let h = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    h = Math.imul(h ^ (code & 0xff), FNV_PRIME);
    h = Math.imul(h ^ (code >>> 8), FNV_PRIME);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
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
