import { describe, expect, it } from 'vitest';
import { DEFAULT_GRACE_SECONDS, expiryFrom, graceUntilFrom, MAX_KEY_LIFETIME_MS } from './key-request.ts';

const NOW = Date.parse('2026-12-03T12:00:00Z');

function paramOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (err) {
    return (err as { param?: string }).param;
  }
  return undefined;
}

describe('expiryFrom', () => {
  it('reads expires_at or expires_in_seconds; neither means no expiry', () => {
    expect(expiryFrom({}, NOW)).toBeNull();
    expect(expiryFrom({ expires_at: '2027-01-01T00:00:00Z' }, NOW)?.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(expiryFrom({ expires_in_seconds: 60 }, NOW)?.getTime()).toBe(NOW + 60_000);
    expect(expiryFrom({ expires_in_seconds: MAX_KEY_LIFETIME_MS / 1000 }, NOW)?.getTime()).toBe(NOW + MAX_KEY_LIFETIME_MS);
  });

  it('refuses past, absurd, malformed or doubled expiries, naming the field', () => {
    expect(paramOf(() => expiryFrom({ expires_in_seconds: -1 }, NOW))).toBe('expires_in_seconds');
    expect(paramOf(() => expiryFrom({ expires_in_seconds: 0 }, NOW))).toBe('expires_in_seconds');
    expect(paramOf(() => expiryFrom({ expires_in_seconds: '60' }, NOW))).toBe('expires_in_seconds');
    expect(paramOf(() => expiryFrom({ expires_in_seconds: MAX_KEY_LIFETIME_MS / 1000 + 1 }, NOW))).toBe('expires_in_seconds');
    expect(paramOf(() => expiryFrom({ expires_at: '2026-12-03T11:59:59Z' }, NOW))).toBe('expires_at');
    expect(paramOf(() => expiryFrom({ expires_at: '3026-01-01T00:00:00Z' }, NOW))).toBe('expires_at');
    expect(paramOf(() => expiryFrom({ expires_at: 1767225600 }, NOW))).toBe('expires_at');
    expect(paramOf(() => expiryFrom({ expires_at: 'next week' }, NOW))).toBe('expires_at');
    expect(paramOf(() => expiryFrom({ expires_at: '2027-01-01T00:00:00Z', expires_in_seconds: 60 }, NOW))).toBe('expires_in_seconds');
  });
});

describe('graceUntilFrom', () => {
  it('defaults to a day, allows 0 to 30 days, refuses anything else by name', () => {
    expect(graceUntilFrom({}, NOW).getTime()).toBe(NOW + DEFAULT_GRACE_SECONDS * 1000);
    expect(graceUntilFrom({ grace_seconds: 0 }, NOW).getTime()).toBe(NOW);
    for (const bad of [-1, 30 * 86_400 + 1, 1.5, '60'])
      expect(paramOf(() => graceUntilFrom({ grace_seconds: bad }, NOW))).toBe('grace_seconds');
  });
});
