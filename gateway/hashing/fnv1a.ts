// A tiny non-cryptographic hash, for feature hashing (memory) and rendezvous hashing (routing). node:crypto per feature would cost a native
// call and a Buffer for each of the thousands of features in a text; FNV-1a over UTF-16 code
// units is a few integer operations per character and allocates nothing.

export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/** Feeds one UTF-16 code unit into a running FNV-1a state. */
export function fnvStep(state: number, code: number): number {
  // Both bytes of the code unit, so non-Latin text spreads as well as ASCII does.
  let h = Math.imul(state ^ (code & 0xff), FNV_PRIME);
  h = Math.imul(h ^ (code >>> 8), FNV_PRIME);
  return h >>> 0;
}

/** FNV-1a of a whole string, starting from `seed` (different seeds give independent feature families). */
export function fnv1a(text: string, seed: number = FNV_OFFSET): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) h = fnvStep(h, text.charCodeAt(i));
  return h;
}

/**
 * MurmurHash3's finaliser: FNV's low bits mix poorly, and the bucket index is taken from the low
 * bits, so every feature hash goes through this avalanche step before it is used.
 */
export function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Combines two hashes order-dependently (for word bigrams). */
export function combineHashes(a: number, b: number): number {
  return fmix32((Math.imul(a, 31) ^ b) + 0x9e3779b9);
}
