import { describe, expect, it } from 'vitest';
import { HeldQueue } from './held-queue.ts';

describe('HeldQueue', () => {
  it('holds up to its capacity and refuses more', () => {
    const queue = new HeldQueue<string>(2);
    expect(queue.add('a')).toBe(true);
    expect(queue.add('b')).toBe(true);
    expect(queue.add('c')).toBe(false);
    expect(queue.size).toBe(2);
    queue.remove('a');
    expect(queue.add('c')).toBe(true);
    expect(queue.items()).toEqual(['b', 'c']);
  });

  it('holds nothing at capacity 0', () => {
    expect(new HeldQueue<number>(0).add(1)).toBe(false);
  });

  it('lets callers remove items while walking a snapshot, oldest first', () => {
    const queue = new HeldQueue<number>(5);
    for (const n of [3, 1, 2]) queue.add(n);
    const seen: number[] = [];
    for (const n of queue.items()) {
      seen.push(n);
      queue.remove(n);
    }
    expect(seen).toEqual([3, 1, 2]);
    expect(queue.size).toBe(0);
  });
});
