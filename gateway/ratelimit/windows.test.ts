import { describe, expect, it } from 'vitest';
import { counterKey, secondsUntil, windowAt } from './windows.ts';

const T = Date.parse('2030-03-04T05:06:23.250Z');

describe('windowAt', () => {
  it('aligns minute windows to :00 and day windows to UTC midnight', () => {
    expect(windowAt(T, 60)).toEqual({ start: Date.parse('2030-03-04T05:06:00Z') / 1000, reset: Date.parse('2030-03-04T05:07:00Z') / 1000 });
    expect(windowAt(T, 86_400)).toEqual({
      start: Date.parse('2030-03-04T00:00:00Z') / 1000,
      reset: Date.parse('2030-03-05T00:00:00Z') / 1000,
    });
  });

  it('puts the boundary instant in the new window', () => {
    const boundary = Date.parse('2030-03-04T05:07:00Z');
    expect(windowAt(boundary - 1, 60).reset).toBe(boundary / 1000);
    expect(windowAt(boundary, 60).start).toBe(boundary / 1000);
  });
});

describe('secondsUntil', () => {
  it('rounds up so a client never retries early, and is at least 1', () => {
    const reset = Date.parse('2030-03-04T05:07:00Z') / 1000;
    expect(secondsUntil(reset, T)).toBe(37); // 36.75 s → 37
    expect(secondsUntil(reset, reset * 1000 - 1)).toBe(1);
    expect(secondsUntil(reset, reset * 1000)).toBe(1);
    expect(secondsUntil(reset, reset * 1000 - 60_000)).toBe(60);
  });
});

describe('counterKey', () => {
  it('names prefix, key, window and window start, with a cluster hash tag on the key id', () => {
    expect(counterKey('t-1:', 'k1', 'minute', { start: 120, reset: 180 })).toBe('t-1:ratelimit:{k1}:minute:120');
    expect(counterKey('t-1:', 'k1', 'day', { start: 0, reset: 86_400 })).toBe('t-1:ratelimit:{k1}:day:0');
  });
});
