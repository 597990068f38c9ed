// Fernet against the official spec vectors (github.com/fernet/spec: generate.json, verify.json,
// invalid.json, vendored unchanged in testdata/) and against tokens Python's cryptography wrote.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeBase64Url, encodeBase64Url } from './base64url.ts';
import { decrypt, encrypt, FernetError, generateFernetKey, parseFernetKey, tokenTimestamp } from './fernet.ts';

interface GenerateVector {
  token: string;
  now: string;
  iv: number[];
  src: string;
  secret: string;
}
interface VerifyVector {
  token: string;
  now: string;
  ttl_sec: number;
  src: string;
  secret: string;
}
interface InvalidVector {
  desc: string;
  token: string;
  now: string;
  ttl_sec: number;
  secret: string;
}
interface PythonTokens {
  key: string;
  newKey: string;
  tokens: { plaintext: string; token: string }[];
  rotatedByPython: { plaintext: string; token: string };
}

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`testdata/${name}`, import.meta.url), 'utf8'));
}

const generate = fixture('generate.json') as GenerateVector[];
const verify = fixture('verify.json') as VerifyVector[];
const invalid = fixture('invalid.json') as InvalidVector[];
const python = fixture('python-tokens.json') as PythonTokens;

describe('Fernet spec vectors', () => {
  it.each(generate)('generate: reproduces the token exactly ($src)', (v) => {
    const token = encrypt(v.secret, v.src, { now: Date.parse(v.now), iv: Uint8Array.from(v.iv) });
    expect(token).toBe(v.token);
  });

  it.each(verify)('verify: decrypts to "$src"', (v) => {
    const plaintext = decrypt(v.secret, v.token, { ttlSeconds: v.ttl_sec, now: Date.parse(v.now) });
    expect(plaintext.toString('utf8')).toBe(v.src);
  });

  it('has all 11 invalid vectors', () => {
    expect(invalid).toHaveLength(11);
  });

  it.each(invalid)('invalid: rejects "$desc"', (v) => {
    expect(() => decrypt(v.secret, v.token, { ttlSeconds: v.ttl_sec, now: Date.parse(v.now) })).toThrow(FernetError);
  });

  it('gives each invalid vector the expected reason', () => {
    const reasons = Object.fromEntries(
      invalid.map((v) => {
        try {
          decrypt(v.secret, v.token, { ttlSeconds: v.ttl_sec, now: Date.parse(v.now) });
          return [v.desc, 'accepted'];
        } catch (err) {
          return [v.desc, err instanceof FernetError ? err.reason : 'other'];
        }
      }),
    );
    expect(reasons).toEqual({
      'incorrect mac': 'bad_signature',
      'too short': 'malformed',
      'invalid base64': 'malformed',
      'payload size not multiple of block size': 'malformed',
      'payload padding error': 'bad_padding',
      'far-future TS (unacceptable clock skew)': 'from_the_future',
      'expired TTL': 'expired',
      'incorrect IV (causes padding error)': 'bad_padding',
      'trailing characters after b64 padding': 'malformed',
      'invalid characters in b64': 'malformed',
      'invalid non-urlsafe characters in b64': 'malformed',
    });
  });
});

describe('Fernet compatibility with Python cryptography', () => {
  it.each(python.tokens)('decrypts a token Python wrote (%#)', ({ plaintext, token }) => {
    expect(decrypt(python.key, token).toString('utf8')).toBe(plaintext);
  });

  it('writes tokens in the same shape Python does: padded URL-safe base64, version 0x80', () => {
    for (const { plaintext, token: pythonToken } of python.tokens) {
      const ours = encrypt(python.key, plaintext);
      expect(ours).toMatch(/^gAAAAA[A-Za-z0-9_-]+={0,2}$/);
      expect(ours.length).toBe(pythonToken.length);
      expect(decrypt(python.key, ours).toString('utf8')).toBe(plaintext);
    }
  });

  it("round-trips the generate vector: our token for Python's parameters decrypts back", () => {
    const [v] = generate;
    const token = encrypt(v!.secret, v!.src, { now: Date.parse(v!.now), iv: Uint8Array.from(v!.iv) });
    expect(decrypt(v!.secret, token).toString('utf8')).toBe(v!.src);
    expect(tokenTimestamp(token)).toBe(499162800);
  });
});

describe('Fernet behaviour', () => {
  const key = generateFernetKey();

  it('uses a fresh IV per token', () => {
    expect(encrypt(key, 'same')).not.toBe(encrypt(key, 'same'));
  });

  it('refuses a token signed with another key', () => {
    const token = encrypt(key, 'secret');
    expect(() => decrypt(generateFernetKey(), token)).toThrow(expect.objectContaining({ reason: 'bad_signature' }));
  });

  it('checks age and clock skew only when a TTL is given, as Python does', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    const old = encrypt(key, 'x', { now: now - 3_600_000 });
    const future = encrypt(key, 'x', { now: now + 120_000 });
    expect(decrypt(key, old, { now }).toString()).toBe('x');
    expect(decrypt(key, future, { now }).toString()).toBe('x');
    expect(() => decrypt(key, old, { now, ttlSeconds: 60 })).toThrow(expect.objectContaining({ reason: 'expired' }));
    expect(() => decrypt(key, future, { now, ttlSeconds: 3600 })).toThrow(expect.objectContaining({ reason: 'from_the_future' }));
    expect(decrypt(key, encrypt(key, 'x', { now: now + 59_000 }), { now, ttlSeconds: 60 }).toString()).toBe('x');
  });

  it('refuses a token whose version byte is not 0x80', () => {
    const bytes = decodeBase64Url(encrypt(key, 'x'))!;
    bytes[0] = 0x81;
    expect(() => decrypt(key, encodeBase64Url(bytes))).toThrow(expect.objectContaining({ reason: 'unsupported_version' }));
  });

  it('never puts key or plaintext material in its errors', () => {
    const token = encrypt(key, 'sk-very-secret');
    try {
      decrypt(generateFernetKey(), token);
      expect.unreachable();
    } catch (err) {
      const text = String(err) + JSON.stringify(err);
      expect(text).not.toContain(key);
      expect(text).not.toContain(token);
      expect(text).not.toContain('sk-very-secret');
    }
  });
});

describe('Fernet keys', () => {
  it('accepts 32 bytes of URL-safe base64, padded or not', () => {
    const key = generateFernetKey();
    expect(key).toHaveLength(44);
    expect(parseFernetKey(key)).toBeDefined();
    expect(parseFernetKey(key.replace(/=+$/, ''))).toBeDefined();
  });

  it.each([
    ['too short', encodeBase64Url(Buffer.alloc(16, 1))],
    ['too long', encodeBase64Url(Buffer.alloc(48, 1))],
    ['standard base64', Buffer.alloc(32, 0xfb).toString('base64')],
    ['junk after the key', `${generateFernetKey()}xyz`],
    ['empty', ''],
  ])('rejects a key that is %s', (_label, key) => {
    expect(parseFernetKey(key)).toBeUndefined();
    expect(() => encrypt(key, 'x')).toThrow('Not a valid Fernet key');
  });
});
