// The Fernet key ring behind API_KEY_ENCRYPTION_KEY, with Python's MultiFernet semantics: the
// variable holds one key or a comma-separated list; the first key encrypts, every key decrypts.
// Rotation is therefore "put the new key first, keep the old one after it, re-encrypt, drop the
// old one" and never a flag day. Keys are tried in order, no key id is stored in the token, so
// tokens stay byte-compatible with Python's.
//
// Nothing here ever puts a key, a token or a plaintext into an error message.
import { decrypt, encrypt, FernetError, parseFernetKey, tokenTimestamp } from './fernet.ts';
import type { FernetKey } from './fernet.ts';
import { GatewayError } from '../errors.ts';

const DEFAULT_VARIABLE = 'API_KEY_ENCRYPTION_KEY';
const GENERATE_HINT = "generate one with: openssl rand -base64 32 | tr '+/' '-_'";

/** The guide's "Encryption error", with the two ways out. */
export const ENCRYPTION_ERROR_MESSAGE =
  'Encryption error: this provider key was stored under a different API_KEY_ENCRYPTION_KEY. ' +
  'Restore the old key (list it after the new one to rotate) or add the provider key again.';

/** Thrown at startup when the key configuration is unusable. Safe to print: it names entries, never keys. */
export class KeyRingConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyRingConfigError';
  }
}

function describeEntry(variable: string, index: number, count: number): string {
  return count === 1 ? variable : `${variable} entry ${index + 1} of ${count}`;
}

function whyInvalid(entry: string): string {
  if (entry === '') return 'it is empty (check for a stray comma)';
  // A common slip: standard base64 (e.g. `openssl rand -base64 32` without the tr).
  if (/[+/]/.test(entry)) return "expected 32 bytes of URL-safe base64 ('-' and '_', not '+' and '/')";
  return 'expected 32 bytes of URL-safe base64';
}

function parseEntries(entries: readonly string[], variable: string): FernetKey[] {
  return entries.map((raw, index) => {
    const entry = raw.trim();
    const key = parseFernetKey(entry);
    if (key) return key;
    const where = describeEntry(variable, index, entries.length);
    throw new KeyRingConfigError(`${where} is not a valid Fernet key: ${whyInvalid(entry)}; ${GENERATE_HINT}`);
  });
}

/**
 * How many decrypted tokens a ring remembers. Every proxied request decrypts its user's provider
 * key, and the HMAC check plus AES cost more CPU than the rest of the key lookup (about 5% of a
 * request under load, test/bench/gateway-peers.ts). A token is immutable and the ring's keys are
 * fixed, so a token's plaintext never changes: remembering it changes no answer. It holds nothing
 * a heap dump would not already give (the ring's keys and the cached tokens are there too). A
 * changed provider key is a new token; the old entry just ages out.
 */
export const MEMOIZED_TOKENS = 10_000;

export class KeyRing {
  readonly #keys: readonly FernetKey[];
  /** token → plaintext, oldest first (Map keeps insertion order), at most MEMOIZED_TOKENS. */
  readonly #plaintexts = new Map<string, string>();

  /** Builds a ring from key strings, first = primary. Throws KeyRingConfigError naming the bad entry. */
  constructor(keys: readonly string[], variable = DEFAULT_VARIABLE) {
    if (keys.length === 0) throw new KeyRingConfigError(`${variable} holds no keys; ${GENERATE_HINT}`);
    this.#keys = parseEntries(keys, variable);
  }

  /** Parses the environment variable's value: one key, or a comma-separated list (first encrypts). */
  static fromEnv(value: string | undefined, variable = DEFAULT_VARIABLE): KeyRing {
    if (value === undefined || value.trim() === '') {
      throw new KeyRingConfigError(`${variable} is not set: it must hold a Fernet key (32 bytes of URL-safe base64); ${GENERATE_HINT}`);
    }
    return new KeyRing(value.split(','), variable);
  }

  /** How many keys decrypt (1 when no rotation is under way). */
  get size(): number {
    return this.#keys.length;
  }

  /** Encrypts under the primary key. */
  encrypt(plaintext: string, now?: number): string {
    return encrypt(this.primary(), plaintext, now === undefined ? {} : { now });
  }

  /** Decrypts with whichever key fits; throws the guide's "Encryption error" if none does. Failures are not remembered. */
  decrypt(token: string): string {
    const known = this.#plaintexts.get(token);
    if (known !== undefined) return known;
    const plaintext = this.decryptBytes(token).toString('utf8');
    if (this.#plaintexts.size >= MEMOIZED_TOKENS) {
      const oldest = this.#plaintexts.keys().next();
      if (!oldest.done) this.#plaintexts.delete(oldest.value);
    }
    this.#plaintexts.set(token, plaintext);
    return plaintext;
  }

  /** How many decrypted tokens are remembered (for tests of the bound). */
  get remembered(): number {
    return this.#plaintexts.size;
  }

  /**
   * Re-encrypts a token under the primary key, keeping its original timestamp (as MultiFernet
   * does), for the re-encrypt command that finishes a rotation.
   */
  rotate(token: string): string {
    const plaintext = this.decryptBytes(token);
    return encrypt(this.primary(), plaintext, { now: tokenTimestamp(token) * 1000 });
  }

  private primary(): FernetKey {
    const [primary] = this.#keys;
    if (!primary) throw new KeyRingConfigError('Key ring is empty');
    return primary;
  }

  private decryptBytes(token: string): Buffer {
    let last: unknown;
    for (const key of this.#keys) {
      try {
        return decrypt(key, token);
      } catch (err) {
        // Only a signature mismatch means "try the next key"; a malformed token fails every key.
        if (!(err instanceof FernetError) || err.reason !== 'bad_signature') throw encryptionError(err);
        last = err;
      }
    }
    throw encryptionError(last);
  }
}

/**
 * The error a request sees when a stored provider key cannot be decrypted. A 500: the client did
 * nothing wrong, but the message tells the operator (restore the key) and the user (add it again)
 * what to do. The cause is a FernetError, which holds only a reason word.
 */
export function encryptionError(cause: unknown): GatewayError {
  return new GatewayError(ENCRYPTION_ERROR_MESSAGE, { status: 500, type: 'server_error', code: 'encryption_error', cause });
}
