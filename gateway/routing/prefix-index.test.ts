import { describe, expect, it } from 'vitest';
import { PrefixIndex } from './prefix-index.ts';

describe('PrefixIndex', () => {
  it('matches the longest recorded prefix of a block chain, per replica', () => {
    const index = new PrefixIndex(100);
    index.record('a', [1, 2, 3, 4]);
    index.record('b', [1, 2, 9]);
    expect(index.matched('a', [1, 2, 3, 4, 5])).toBe(4);
    expect(index.matched('a', [1, 2, 7])).toBe(2);
    expect(index.matched('b', [1, 2, 3, 4])).toBe(2);
    expect(index.matched('c', [1, 2])).toBe(0);
    // The first block decides: a chain that starts differently shares nothing.
    expect(index.matched('a', [9, 2, 3])).toBe(0);
  });

  it('evicts the least recently served blocks first, trimming prefixes from their end', () => {
    const index = new PrefixIndex(5);
    index.record('a', [1, 2, 3]);
    index.record('a', [7, 8, 9]);
    expect(index.size('a')).toBe(5);
    // [7, 8, 9] is newest and whole; of [1, 2, 3] the tail went first, so what is left is still a prefix.
    expect(index.matched('a', [7, 8, 9])).toBe(3);
    expect(index.matched('a', [1, 2, 3])).toBe(2);
    // Serving [1, 2, 3] again makes it the newest.
    index.record('a', [1, 2, 3]);
    expect(index.matched('a', [1, 2, 3])).toBe(3);
    expect(index.matched('a', [7, 8, 9])).toBe(2);
  });

  it('forgets a replica that left the pool', () => {
    const index = new PrefixIndex(10);
    index.record('a', [1, 2]);
    index.forget('a');
    expect(index.matched('a', [1, 2])).toBe(0);
    expect(index.size('a')).toBe(0);
  });

  it('records nothing for a prompt without a whole block', () => {
    const index = new PrefixIndex(10);
    index.record('a', []);
    expect(index.size('a')).toBe(0);
  });
});
