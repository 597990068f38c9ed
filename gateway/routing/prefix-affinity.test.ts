import { describe, expect, it } from 'vitest';
import { pickByPrefix } from './prefix-affinity.ts';

const replicas = (...loads: number[]) => loads.map((inFlight, i) => ({ id: `r${String(i)}`, inFlight }));
const matches =
  (table: Record<string, number>) =>
  (candidate: { id: string }): number =>
    table[candidate.id] ?? 0;

describe('pickByPrefix', () => {
  it('prefers the replica with the longest matching prefix, even when it is busier than the others', () => {
    // 3 replicas, 2 in flight: the bound after this request is ceil(1.5 × 3 / 3) = 2.
    const pool = replicas(1, 0, 1);
    expect(pickByPrefix(pool, matches({ r0: 7, r2: 3 }), 1.5, () => 0)).toEqual({ candidate: pool[0], reason: 'prefix_hit' });
  });

  it('breaks a tie between equal matches by load', () => {
    const pool = replicas(2, 1, 0);
    expect(pickByPrefix(pool, matches({ r0: 4, r1: 4 }), 1.5, () => 0)).toEqual({ candidate: pool[1], reason: 'prefix_hit' });
  });

  it('falls back to least-load when no replica knows the prompt', () => {
    const pool = replicas(3, 1, 2);
    expect(pickByPrefix(pool, matches({}), 1.5, () => 0)).toEqual({ candidate: pool[1], reason: 'least_load' });
  });

  it('is sticky until the preferred replica passes the load bound, then takes the best match within it', () => {
    // 4 replicas, 5 in flight: the bound after this request is ceil(1.5 × 6 / 4) = 3.
    const pool = replicas(2, 1, 1, 1);
    expect(pickByPrefix(pool, matches({ r0: 8, r3: 2 }), 1.5, () => 0)).toEqual({ candidate: pool[0], reason: 'prefix_hit' });
    pool[0]!.inFlight = 3; // bound ceil(1.5 × 7 / 4) = 3: r0 would carry 4
    expect(pickByPrefix(pool, matches({ r0: 8, r3: 2 }), 1.5, () => 0)).toEqual({ candidate: pool[3], reason: 'saturated_fallback' });
    // Nobody else knows the prompt: the least loaded of those within the bound.
    pool[1]!.inFlight = 0;
    expect(pickByPrefix(pool, matches({ r0: 8 }), 1.5, () => 0)).toEqual({ candidate: pool[1], reason: 'saturated_fallback' });
  });

  it('passes over a replica whose own metrics say it is saturated, and takes the least loaded when all are', () => {
    const pool = [
      { id: 'r0', inFlight: 0, saturated: true },
      { id: 'r1', inFlight: 0, saturated: false },
      { id: 'r2', inFlight: 1, saturated: false },
    ];
    expect(pickByPrefix(pool, matches({ r0: 8, r1: 3 }), 1.5, () => 0)).toEqual({ candidate: pool[1], reason: 'saturated_fallback' });
    // No prefix known: least-load among those that are not saturated.
    expect(pickByPrefix(pool, matches({}), 1.5, () => 0)).toEqual({ candidate: pool[1], reason: 'least_load' });
    for (const replica of pool) replica.saturated = true;
    expect(pickByPrefix(pool, matches({ r0: 8 }), 1.5, () => 0)).toEqual({ candidate: pool[0], reason: 'saturated_fallback' });
  });

  it('never saturates with the bound off (load factor 0)', () => {
    const pool = replicas(50, 0);
    expect(pickByPrefix(pool, matches({ r0: 1 }), 0, () => 0)).toEqual({ candidate: pool[0], reason: 'prefix_hit' });
  });

  it('keeps any replica within 1.5x the mean when one prompt is hammered', () => {
    // Every request shares one prompt; a replica serves its requests until it is released.
    const pool = replicas(0, 0, 0, 0);
    const known = new Set<string>();
    const matched = (candidate: { id: string }): number => (known.has(candidate.id) ? 10 : 0);
    for (let i = 0; i < 40; i++) {
      const decision = pickByPrefix(pool, matched, 1.5, () => 0.5);
      expect(decision).toBeDefined();
      decision!.candidate.inFlight++;
      known.add(decision!.candidate.id);
      const mean = pool.reduce((sum, r) => sum + r.inFlight, 0) / pool.length;
      for (const replica of pool) expect(replica.inFlight).toBeLessThanOrEqual(Math.ceil(1.5 * mean));
    }
  });

  it('returns nothing for no candidates', () => {
    expect(
      pickByPrefix(
        [],
        () => 0,
        1.5,
        () => 0,
      ),
    ).toBeUndefined();
  });
});
