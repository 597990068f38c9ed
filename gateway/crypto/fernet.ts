// Fernet (spec version 0x80) on node:crypto, byte-compatible with Python `cryptography`:
// tokens Python wrote decrypt here and tokens written here decrypt in Python, because the seed
// product stored users' provider keys with Python's Fernet under API_KEY_ENCRYPTION_KEY.
// We implement it rather than use the npm `fernet` package, which depends on the discontinued
// crypto-js (see research/gateways.md §1.14).
//
// token = base64url(0x80 ‖ timestamp u64 BE ‖ IV 16 B ‖ AES-128-CBC/PKCS#7 ciphertext ‖ HMAC-SHA256)
// key   = base64url(signing key 16 B ‖ encryption key 16 B)
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { decodeBase64Url, encodeBase64Url } from './base64url.ts';

const VERSION = 0x80;
const HEADER_BYTES = 1 + 8 + 16;
const HMAC_BYTES = 32;
const BLOCK_BYTES = 16;
/** Python's `_MAX_CLOCK_SKEW`: a token stamped further ahead than this is refused when a TTL applies. */
const MAX_CLOCK_SKEW_SECONDS = 60;

/** Why a token was refused. None of these carry key or plaintext material. */
export type FernetFailure = 'malformed' | 'unsupported_version' | 'expired' | 'from_the_future' | 'bad_signature' | 'bad_padding';

export class FernetError extends Error {
  readonly reason: FernetFailure;

  constructor(reason: FernetFailure) {
    super(`Invalid Fernet token (${reason.replaceAll('_', ' ')})`);
    this.name = 'FernetError';
    this.reason = reason;
  }
}

/**
 * A parsed key. Build one with `parseFernetKey` and reuse it: its halves are KeyObjects, which
 * OpenSSL imports once instead of on every HMAC and cipher call (measured: about 5x cheaper per
 * call, a tenth of the gateway's CPU when it was done per request).
 */
export interface FernetKey {
  readonly signingKey: KeyObject;
  readonly encryptionKey: KeyObject;
}

export interface EncryptOptions {
  /** Milliseconds since the epoch, like Date.now(); the token records whole seconds. */
  now?: number;
  /** Fixed IV, only for reproducing test vectors. Never pass one in production. */
  iv?: Uint8Array;
}

export interface DecryptOptions {
  /** Refuse tokens older than this. Without it, age and clock skew are not checked (as in Python). */
  ttlSeconds?: number;
  /** Milliseconds since the epoch, like Date.now(). */
  now?: number;
}

/**
 * Parses a key: 32 bytes of URL-safe base64 (padded or not). Returns undefined when it is not
 * one, so the caller can say which configuration entry is wrong without printing it.
 */
export function parseFernetKey(key: string): FernetKey | undefined {
  const bytes = decodeBase64Url(key, 'optional');
  if (bytes?.length !== 32) return undefined;
  return { signingKey: createSecretKey(bytes.subarray(0, 16)), encryptionKey: createSecretKey(bytes.subarray(16)) };
}

/** A new random key in the same text form as Python's `Fernet.generate_key()`. */
export function generateFernetKey(): string {
  return encodeBase64Url(randomBytes(32));
}

function toKey(key: string | FernetKey): FernetKey {
  if (typeof key !== 'string') return key;
  const parsed = parseFernetKey(key);
  if (!parsed) throw new TypeError('Not a valid Fernet key: expected 32 bytes of URL-safe base64');
  return parsed;
}

function sign(key: FernetKey, signed: Buffer): Buffer {
  return createHmac('sha256', key.signingKey).update(signed).digest();
}

export function encrypt(key: string | FernetKey, plaintext: string | Uint8Array, options: EncryptOptions = {}): string {
  const k = toKey(key);
  const iv = options.iv ?? randomBytes(16);
  if (iv.length !== 16) throw new TypeError('Fernet IV must be 16 bytes');
  const seconds = Math.floor((options.now ?? Date.now()) / 1000);
  const header = Buffer.alloc(HEADER_BYTES);
  header[0] = VERSION;
  header.writeBigUInt64BE(BigInt(seconds), 1);
  header.set(iv, 9);
  const cipher = createCipheriv('aes-128-cbc', k.encryptionKey, iv);
  const body = Buffer.concat([header, cipher.update(plaintext), cipher.final()]);
  return encodeBase64Url(Buffer.concat([body, sign(k, body)]));
}

/** The token's bytes, checked for shape only (no key needed). */
function unpack(token: string): Buffer {
  const data = decodeBase64Url(token);
  if (!data || data.length < HEADER_BYTES + BLOCK_BYTES + HMAC_BYTES) throw new FernetError('malformed');
  if (data[0] !== VERSION) throw new FernetError('unsupported_version');
  return data;
}

/** The whole-second timestamp a token records. Throws FernetError if it is not a token. */
export function tokenTimestamp(token: string): number {
  return Number(unpack(token).readBigUInt64BE(1));
}

function checkAge(timestamp: number, options: DecryptOptions): void {
  if (options.ttlSeconds === undefined) return;
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (timestamp + options.ttlSeconds < now) throw new FernetError('expired');
  if (timestamp > now + MAX_CLOCK_SKEW_SECONDS) throw new FernetError('from_the_future');
}

/**
 * Verifies and decrypts, in the spec's order: shape → version → age → HMAC (constant-time) →
 * decrypt → unpad. The HMAC is checked before any decryption, so padding errors reveal nothing.
 */
export function decrypt(key: string | FernetKey, token: string, options: DecryptOptions = {}): Buffer {
  const k = toKey(key);
  const data = unpack(token);
  checkAge(Number(data.readBigUInt64BE(1)), options);
  const body = data.subarray(0, data.length - HMAC_BYTES);
  if (!timingSafeEqual(sign(k, body), data.subarray(body.length))) throw new FernetError('bad_signature');
  const ciphertext = body.subarray(HEADER_BYTES);
  if (ciphertext.length % BLOCK_BYTES !== 0) throw new FernetError('malformed');
  const decipher = createDecipheriv('aes-128-cbc', k.encryptionKey, body.subarray(9, HEADER_BYTES));
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new FernetError('bad_padding');
  }
}
