import { describe, expect, it } from 'vitest';
import { pgText, pgTextOrNull } from './pg-text.ts';

describe('pgText', () => {
  it('leaves ordinary text alone', () => {
    expect(pgText('gpt-4o-mini', 256)).toBe('gpt-4o-mini');
    expect(pgText('héllo ✓ 🎉 "quoted" \\ back', 256)).toBe('héllo ✓ 🎉 "quoted" \\ back');
    expect(pgText('', 10)).toBe('');
  });

  it('replaces every NUL, so PostgreSQL never refuses the row', () => {
    expect(pgText('conv\u0000id', 256)).toBe('conv\uFFFDid');
    expect(pgText('\u0000\u0000', 256)).toBe('\uFFFD\uFFFD');
    expect(pgText('conv\u0000id', 256)).not.toBe(pgText('convid', 256));
  });

  it('replaces lone surrogate halves and keeps whole pairs', () => {
    expect(pgText('a\uD800b', 256)).toBe('a\uFFFDb');
    expect(pgText('a\uDC00', 256)).toBe('a\uFFFD');
    expect(pgText('🎉', 256)).toBe('🎉');
  });

  it('bounds the length without cutting a character in half', () => {
    expect(pgText('x'.repeat(1000), 256)).toHaveLength(256);
    expect(pgText('abc🎉', 4)).toBe('abc'); // the pair would straddle the limit
    expect(pgText('ab🎉', 4)).toBe('ab🎉');
    expect(pgText('abc', 0)).toBe('');
  });

  it('is idempotent', () => {
    for (const value of ['a\u0000b', 'x'.repeat(300), 'a\uD800', '🎉🎉🎉']) {
      const once = pgText(value, 5);
      expect(pgText(once, 5)).toBe(once);
    }
  });

  it('keeps null as null', () => {
    expect(pgTextOrNull(null, 10)).toBeNull();
    expect(pgTextOrNull(undefined, 10)).toBeNull();
    expect(pgTextOrNull('a\u0000', 10)).toBe('a\uFFFD');
  });
});
