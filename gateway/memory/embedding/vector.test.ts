import { describe, expect, it } from 'vitest';
import { dot, normalised } from './vector.ts';

describe('vector helpers', () => {
  it('normalises to unit length and keeps the zero vector', () => {
    const v = normalised([3, 4]);
    expect(Array.from(v)).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6)]);
    expect(dot(v, v)).toBeCloseTo(1, 6);
    expect(Array.from(normalised([0, 0]))).toEqual([0, 0]);
  });

  it('dots over the shorter length', () => {
    expect(dot([1, 2, 3], [4, 5])).toBe(14);
  });
});
