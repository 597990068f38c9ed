import { describe, expect, it } from 'vitest';
import { pickLeastLoaded } from './least-load.ts';

const replicas = (...loads: number[]) => loads.map((inFlight, i) => ({ id: `r${i}`, inFlight }));

describe('pickLeastLoaded', () => {
  it('takes the replica with the fewest requests in flight', () => {
    expect(pickLeastLoaded(replicas(3, 1, 2), () => 0)?.id).toBe('r1');
  });

  it('breaks ties with the random draw, over the tied replicas only', () => {
    const pool = replicas(1, 0, 4, 0, 0);
    expect(pickLeastLoaded(pool, () => 0)?.id).toBe('r1');
    expect(pickLeastLoaded(pool, () => 0.5)?.id).toBe('r3');
    expect(pickLeastLoaded(pool, () => 0.999)?.id).toBe('r4');
    // A random source that returns 1 (out of contract) still stays in range.
    expect(pickLeastLoaded(pool, () => 1)?.id).toBe('r4');
  });

  it('spreads a burst evenly when every pick is counted', () => {
    const pool = replicas(0, 0, 0);
    for (let i = 0; i < 30; i++) {
      const pick = pickLeastLoaded(pool, Math.random);
      if (pick) pick.inFlight++;
    }
    expect(pool.map((r) => r.inFlight)).toEqual([10, 10, 10]);
  });

  it('has no answer for no replicas', () => {
    expect(pickLeastLoaded(replicas(), () => 0)).toBeUndefined();
  });
});
