import { describe, expect, it } from 'vitest';
import { pickLeastLoaded, pickLeastLoadedUnsaturated } from './least-load.ts';

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

describe('pickLeastLoadedUnsaturated', () => {
  it('passes over a replica its own metrics call saturated, however little this gateway sent it', () => {
    const pool = [
      { id: 'idle-but-queued', inFlight: 0, saturated: true },
      { id: 'busy', inFlight: 3 },
      { id: 'busier', inFlight: 4, saturated: false },
    ];
    expect(pickLeastLoadedUnsaturated(pool, () => 0)?.id).toBe('busy');
  });

  it('takes the least loaded of all when every replica is saturated', () => {
    const pool = [
      { id: 'a', inFlight: 2, saturated: true },
      { id: 'b', inFlight: 1, saturated: true },
    ];
    expect(pickLeastLoadedUnsaturated(pool, () => 0)?.id).toBe('b');
  });

  it('has no answer for no replicas', () => {
    expect(pickLeastLoadedUnsaturated(replicas(), () => 0)).toBeUndefined();
  });
});
