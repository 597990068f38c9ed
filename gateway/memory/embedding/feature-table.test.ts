import { describe, expect, it } from 'vitest';
import { createFeatureTable } from './feature-table.ts';

function contents(table: ReturnType<typeof createFeatureTable>): Map<number, number> {
  const out = new Map<number, number>();
  table.forEach((key, weight) => out.set(key, weight));
  return out;
}

describe('feature table', () => {
  it('weights repeats sublinearly: mean weight × (1 + ln tf)', () => {
    const table = createFeatureTable(8);
    table.add(7, 2);
    for (let i = 0; i < 3; i++) table.add(9, 1);
    expect(table.size).toBe(2);
    const got = contents(table);
    expect(got.get(7)).toBe(2);
    expect(got.get(9)).toBeCloseTo(1 + Math.log(3), 12);
  });

  it('forgets everything on clear', () => {
    const table = createFeatureTable(8);
    table.add(1, 1);
    table.clear();
    expect(table.size).toBe(0);
    table.add(2, 1);
    expect([...contents(table).keys()]).toEqual([2]);
  });

  it('grows past its initial capacity without losing counts, including colliding and top-bit keys', () => {
    const table = createFeatureTable(4);
    const keys = Array.from({ length: 1000 }, (_, i) => (i * 4096 + (i % 2 ? 0x80000000 : 0)) >>> 0);
    for (const key of keys) {
      table.add(key, 1);
      table.add(key, 1);
    }
    expect(table.size).toBe(keys.length);
    const got = contents(table);
    for (const key of keys) expect(got.get(key)).toBeCloseTo(1 + Math.log(2), 12);
  });
});
