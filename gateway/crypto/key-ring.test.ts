// API_KEY_ENCRYPTION_KEY parsing, MultiFernet rotation, and the guide's "Encryption error".
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isGatewayError } from '../errors.ts';
import { decrypt, generateFernetKey, tokenTimestamp } from './fernet.ts';
import { ENCRYPTION_ERROR_MESSAGE, KeyRing, KeyRingConfigError, MEMOIZED_TOKENS } from './key-ring.ts';

const python = JSON.parse(readFileSync(new URL('testdata/python-tokens.json', import.meta.url), 'utf8')) as {
  key: string;
  newKey: string;
  tokens: { plaintext: string; token: string }[];
  rotatedByPython: { plaintext: string; token: string };
};

function configError(value: string | undefined): KeyRingConfigError {
  try {
    KeyRing.fromEnv(value);
  } catch (err) {
    if (err instanceof KeyRingConfigError) return err;
    throw err;
  }
  throw new Error('expected a KeyRingConfigError');
}

describe('KeyRing.fromEnv', () => {
  it('takes one key', () => {
    const ring = KeyRing.fromEnv(generateFernetKey());
    expect(ring.size).toBe(1);
    expect(ring.decrypt(ring.encrypt('sk-abc'))).toBe('sk-abc');
  });

  it('takes a comma-separated list, tolerating spaces', () => {
    const ring = KeyRing.fromEnv(` ${generateFernetKey()} , ${generateFernetKey()}\n`);
    expect(ring.size).toBe(2);
  });

  it('names the bad entry by position and never prints any key', () => {
    const good1 = generateFernetKey();
    const good2 = generateFernetKey();
    const bad = 'c2hvcnQta2V5LW9mLXR3ZW50eS1ieXRlcw';
    const err = configError([good1, bad, good2].join(','));
    expect(err.message).toMatch(/^API_KEY_ENCRYPTION_KEY entry 2 of 3 is not a valid Fernet key: expected 32 bytes of URL-safe base64/);
    for (const secret of [good1, good2, bad, bad.slice(0, 8)]) expect(err.message).not.toContain(secret);
  });

  it('says so when a single key is invalid', () => {
    const err = configError('not-a-key');
    expect(err.message).toMatch(/^API_KEY_ENCRYPTION_KEY is not a valid Fernet key: expected 32 bytes of URL-safe base64/);
    expect(err.message).not.toContain('not-a-key');
    expect(err.message).toContain('openssl rand');
  });

  it('spots standard base64 and stray commas', () => {
    const standard = Buffer.alloc(32, 0xfb).toString('base64');
    expect(configError(standard).message).toContain("not '+' and '/'");
    expect(configError(standard).message).not.toContain(standard);
    expect(configError(`${generateFernetKey()},`).message).toContain('entry 2 of 2 is not a valid Fernet key: it is empty');
  });

  it('refuses an unset or blank variable', () => {
    expect(configError(undefined).message).toMatch(/^API_KEY_ENCRYPTION_KEY is not set/);
    expect(configError('  ').message).toMatch(/^API_KEY_ENCRYPTION_KEY is not set/);
  });
});

describe('KeyRing decrypt and rotate', () => {
  it('decrypts tokens Python wrote, and Python-rotated tokens, with the right ring', () => {
    const ring = new KeyRing([python.newKey, python.key]);
    for (const { plaintext, token } of python.tokens) expect(ring.decrypt(token)).toBe(plaintext);
    expect(new KeyRing([python.newKey]).decrypt(python.rotatedByPython.token)).toBe(python.rotatedByPython.plaintext);
  });

  it('rotation: old tokens decrypt with [new, old]; rotate() output decrypts with [new] alone', () => {
    const oldKey = generateFernetKey();
    const newKey = generateFernetKey();
    const token = new KeyRing([oldKey]).encrypt('sk-provider-key', Date.parse('2025-01-01T00:00:00Z'));

    const during = new KeyRing([newKey, oldKey]);
    expect(during.decrypt(token)).toBe('sk-provider-key');
    const rotated = during.rotate(token);

    const after = new KeyRing([newKey]);
    expect(after.decrypt(rotated)).toBe('sk-provider-key');
    expect(decrypt(newKey, rotated).toString()).toBe('sk-provider-key');
    expect(() => after.decrypt(token)).toThrow(ENCRYPTION_ERROR_MESSAGE);
    expect(() => new KeyRing([oldKey]).decrypt(rotated)).toThrow(ENCRYPTION_ERROR_MESSAGE);
    // Like MultiFernet.rotate, the original timestamp survives re-encryption.
    expect(tokenTimestamp(rotated)).toBe(tokenTimestamp(token));
  });

  it('encrypts with the first key only', () => {
    const primary = generateFernetKey();
    const ring = new KeyRing([primary, generateFernetKey()]);
    expect(decrypt(primary, ring.encrypt('x')).toString()).toBe('x');
  });

  it("reports an undecryptable token as the guide's Encryption error, a 500 without secrets", () => {
    const key = generateFernetKey();
    const token = new KeyRing([generateFernetKey()]).encrypt('sk-secret-value');
    let caught: unknown;
    try {
      new KeyRing([key]).decrypt(token);
    } catch (err) {
      caught = err;
    }
    expect(isGatewayError(caught)).toBe(true);
    if (!isGatewayError(caught)) return;
    expect(caught.message).toBe(
      'Encryption error: this provider key was stored under a different API_KEY_ENCRYPTION_KEY. ' +
        'Restore the old key (list it after the new one to rotate) or add the provider key again.',
    );
    expect(caught.status).toBe(500);
    expect(caught.code).toBe('encryption_error');
    const rendered = JSON.stringify(caught.toJSON()) + String(caught.cause);
    for (const secret of [key, token, 'sk-secret-value']) expect(rendered).not.toContain(secret);
  });

  it('treats a corrupt token as an Encryption error too', () => {
    expect(() => KeyRing.fromEnv(generateFernetKey()).decrypt('not a token')).toThrow(ENCRYPTION_ERROR_MESSAGE);
  });
});

describe('KeyRing remembers decrypted tokens', () => {
  it('answers a token it decrypted before with the same plaintext, and never remembers a failure', () => {
    const ring = KeyRing.fromEnv(generateFernetKey());
    const token = ring.encrypt('sk-remembered');
    expect(ring.decrypt(token)).toBe('sk-remembered');
    expect(ring.remembered).toBe(1);
    const tampered = `${token.slice(0, -4)}AAAA`;
    expect(() => ring.decrypt(tampered)).toThrow(ENCRYPTION_ERROR_MESSAGE);
    expect(() => ring.decrypt(tampered)).toThrow(ENCRYPTION_ERROR_MESSAGE);
    expect(ring.remembered).toBe(1);
    expect(ring.decrypt(token)).toBe('sk-remembered');
  });

  it('a token from another ring is refused even after this ring remembered others', () => {
    const ring = KeyRing.fromEnv(generateFernetKey());
    const other = KeyRing.fromEnv(generateFernetKey());
    expect(ring.decrypt(ring.encrypt('sk-mine'))).toBe('sk-mine');
    expect(() => ring.decrypt(other.encrypt('sk-theirs'))).toThrow(ENCRYPTION_ERROR_MESSAGE);
  });

  it(`keeps at most ${String(MEMOIZED_TOKENS)} and forgets the oldest first`, () => {
    const ring = KeyRing.fromEnv(generateFernetKey());
    const tokens = Array.from({ length: MEMOIZED_TOKENS + 5 }, (_, i) => ring.encrypt(`sk-${String(i)}`));
    for (const token of tokens) ring.decrypt(token);
    expect(ring.remembered).toBe(MEMOIZED_TOKENS);
    // The first ones were forgotten, and decrypt again (and are remembered again) correctly.
    expect(ring.decrypt(tokens[0] ?? '')).toBe('sk-0');
    expect(ring.remembered).toBe(MEMOIZED_TOKENS);
    expect(ring.decrypt(tokens.at(-1) ?? '')).toBe(`sk-${String(MEMOIZED_TOKENS + 4)}`);
  });
});
