import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { API_KEY_PREFIX, displayPrefix, hashApiKey, issueApiKey, looksLikeApiKey } from './api-key.ts';

describe('issueApiKey', () => {
  it('issues pp_live_ + 43 base62 characters', () => {
    const { key } = issueApiKey();
    expect(key).toMatch(/^pp_live_[0-9A-Za-z]{43}$/);
    expect(key.startsWith(API_KEY_PREFIX)).toBe(true);
    expect(looksLikeApiKey(key)).toBe(true);
  });

  it('returns the hash and display prefix that belong to the key', () => {
    const issued = issueApiKey();
    expect(issued.hash).toBe(hashApiKey(issued.key));
    expect(issued.displayPrefix).toBe(issued.key.slice(0, 12));
  });

  it('never repeats and uses the whole alphabet roughly evenly', () => {
    const keys = Array.from({ length: 2000 }, () => issueApiKey().key);
    expect(new Set(keys).size).toBe(keys.length);
    const counts = new Map<string, number>();
    for (const key of keys) for (const ch of key.slice(API_KEY_PREFIX.length)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // 86,000 draws over 62 symbols: about 1387 each; a modulo bias or a dead symbol would show.
    for (const n of counts.values()) expect(n).toBeGreaterThan(1200);
    for (const n of counts.values()) expect(n).toBeLessThan(1580);
  });
});

describe('hashApiKey', () => {
  it('is SHA-256 hex of the whole key', () => {
    const key = 'pp_live_' + 'a'.repeat(43);
    expect(hashApiKey(key)).toBe(createHash('sha256').update(key).digest('hex'));
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(key)).not.toBe(hashApiKey(`${key.slice(0, -1)}b`));
  });
});

describe('displayPrefix', () => {
  it('shows the first 12 characters only', () => {
    const { key } = issueApiKey();
    expect(displayPrefix(key)).toHaveLength(12);
    expect(key.startsWith(displayPrefix(key))).toBe(true);
  });
});

describe('looksLikeApiKey', () => {
  it.each([
    ['empty', ''],
    ['prefix only', 'pp_live_'],
    ['one short', 'pp_live_' + 'a'.repeat(42)],
    ['one long', 'pp_live_' + 'a'.repeat(44)],
    ['other vendor key', 'sk-proj-' + 'a'.repeat(43)],
    ['base64url characters', 'pp_live_' + 'a'.repeat(42) + '-'],
    ['whitespace', ' pp_live_' + 'a'.repeat(43)],
    ['Bearer included', 'Bearer pp_live_' + 'a'.repeat(43)],
  ])('refuses %s', (_label, candidate) => {
    expect(looksLikeApiKey(candidate)).toBe(false);
  });
});
