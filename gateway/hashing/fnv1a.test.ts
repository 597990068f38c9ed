import { describe, expect, it } from 'vitest';
import { combineHashes, fmix32, FNV_OFFSET, fnv1a, fnvStep } from './fnv1a.ts';

describe('fnv1a', () => {
  it('is the offset basis for the empty string and a fold of fnvStep otherwise', () => {
    expect(fnv1a('')).toBe(FNV_OFFSET);
    let h = FNV_OFFSET;
    for (const c of 'sister') h = fnvStep(h, c.charCodeAt(0));
    expect(fnv1a('sister')).toBe(h);
  });

  it('gives unsigned 32-bit values that differ for different strings and seeds', () => {
    const values = ['a', 'b', 'ab', 'ba', 'sister', 'sisters', '我', '我们'].map((s) => fnv1a(s));
    for (const v of values) expect(v >>> 0).toBe(v);
    expect(new Set(values).size).toBe(values.length);
    expect(fnv1a('a', 1)).not.toBe(fnv1a('a'));
  });

  it('hashes both bytes of a code unit (non-Latin characters sharing a low byte differ)', () => {
    expect(fnv1a('\u0141')).not.toBe(fnv1a('\u0241'));
  });

  it('avalanches and combines order-dependently', () => {
    expect(fmix32(0)).toBe(0);
    expect(fmix32(1)).not.toBe(fmix32(2));
    expect(combineHashes(1, 2)).not.toBe(combineHashes(2, 1));
  });
});
