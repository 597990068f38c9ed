// Gateway API keys: `pp_live_` + 43 base62 characters (256 random bits).
// The prefix makes a leaked key recognisable to secret scanners and to people; base62 keeps the
// key one "word" (double-click selects all of it, no '-' or '_' to break on). Only the SHA-256 of
// a key is stored (api_keys.key_hash, as in the guide, and as LiteLLM does); a random 256-bit key
// needs no salt or slow hash, because there is nothing to guess.
import { createHash, randomBytes } from 'node:crypto';

export const API_KEY_PREFIX = 'pp_live_';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 43 base62 characters carry 43·log2(62) ≈ 256.03 bits, i.e. the brief's 32 random bytes. */
const RANDOM_CHARS = 43;
const DISPLAY_CHARS = 12;
const SHAPE = new RegExp(`^${API_KEY_PREFIX}[0-9A-Za-z]{${RANDOM_CHARS}}$`);

/** What to store and show for a newly issued key. `key` is shown to its owner once, never stored. */
export interface IssuedApiKey {
  key: string;
  /** SHA-256 hex of the key: the api_keys.key_hash value. */
  hash: string;
  /** A short, non-secret prefix to show in listings, e.g. "pp_live_7Gq2". */
  displayPrefix: string;
}

/**
 * Uniform base62 by rejection sampling: bytes ≥ 248 (= 4·62) are dropped so that `byte % 62` has
 * no bias toward the first characters of the alphabet.
 */
function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length + 8)) {
      if (byte < 248 && out.length < length) out += ALPHABET.charAt(byte % 62);
    }
  }
  return out;
}

export function issueApiKey(): IssuedApiKey {
  const key = API_KEY_PREFIX + randomBase62(RANDOM_CHARS);
  return { key, hash: hashApiKey(key), displayPrefix: displayPrefix(key) };
}

/** SHA-256 hex of the whole key (prefix included), the api_keys.key_hash lookup value. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The first 12 characters ("pp_live_" + 4): enough to tell keys apart, far too few to use one. */
export function displayPrefix(key: string): string {
  return key.slice(0, DISPLAY_CHARS);
}

/**
 * Cheap shape check before any hashing or database lookup, so garbage Authorization headers
 * (and other vendors' keys pasted by mistake) are refused without touching Postgres.
 */
export function looksLikeApiKey(candidate: string): boolean {
  return SHAPE.test(candidate);
}
