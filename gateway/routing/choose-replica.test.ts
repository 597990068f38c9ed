import { describe, expect, it } from 'vitest';
import { chooseReplica } from './choose-replica.ts';
import { rendezvousOrder } from './rendezvous.ts';

const replicas = () => [
  { id: 'a', inFlight: 0 },
  { id: 'b', inFlight: 5 },
];

describe('chooseReplica', () => {
  it('uses the conversation id under session affinity', () => {
    const pool = replicas().map((r) => ({ ...r, inFlight: 0 }));
    const preferred = rendezvousOrder('conv-1', pool)[0];
    expect(chooseReplica(pool, { policy: 'sessionAffinity', key: 'conv-1', loadFactor: 1.5, random: () => 0 })).toEqual({
      candidate: preferred,
      reason: 'session',
    });
  });

  it('falls back to least-load under session affinity without a conversation id', () => {
    expect(chooseReplica(replicas(), { policy: 'sessionAffinity', key: undefined, loadFactor: 1.5, random: () => 0.9 })).toEqual({
      candidate: { id: 'a', inFlight: 0 },
      reason: 'least_load',
    });
  });

  it('ignores the conversation id and the prompt under least-load', () => {
    for (const key of ['x', 'y', 'z', 'w']) {
      const decision = chooseReplica(replicas(), {
        policy: 'leastLoad',
        key,
        matched: (c) => (c.id === 'b' ? 9 : 0),
        loadFactor: 1.5,
        random: () => 0,
      });
      expect(decision).toEqual({ candidate: { id: 'a', inFlight: 0 }, reason: 'least_load' });
    }
  });

  it('passes over a replica saturated by its own metrics under least-load, as the affinity policies do', () => {
    const pool = [
      { id: 'a', inFlight: 0, saturated: true },
      { id: 'b', inFlight: 2 },
    ];
    for (const policy of ['leastLoad', 'sessionAffinity'] as const) {
      expect(chooseReplica(pool, { policy, key: undefined, loadFactor: 1.5, random: () => 0 })).toEqual({
        candidate: pool[1],
        reason: 'least_load',
      });
    }
    // Every replica saturated: still an answer, the least loaded.
    const full = pool.map((r) => ({ ...r, saturated: true }));
    expect(chooseReplica(full, { policy: 'leastLoad', key: undefined, loadFactor: 1.5, random: () => 0 })?.candidate).toBe(full[0]);
  });

  it('honours the conversation id under prefix routing, before any prompt match', () => {
    const pool = [
      { id: 'a', inFlight: 0 },
      { id: 'b', inFlight: 0 },
    ];
    for (const key of ['k1', 'k2', 'k3', 'k4']) {
      const preferred = rendezvousOrder(key, pool)[0];
      const other = pool.find((r) => r !== preferred)!;
      const decision = chooseReplica(pool, {
        policy: 'prefix',
        key,
        matched: (c) => (c === other ? 5 : 0),
        loadFactor: 1.5,
        random: () => 0,
      });
      expect(decision).toEqual({ candidate: preferred, reason: 'session' });
    }
  });

  it('reports a conversation moved off its saturated replica as a saturated fallback', () => {
    const pool = [
      { id: 'a', inFlight: 0 },
      { id: 'b', inFlight: 0 },
    ];
    const preferred = rendezvousOrder('conv', pool)[0]!;
    preferred.inFlight = 6;
    const decision = chooseReplica(pool, { policy: 'sessionAffinity', key: 'conv', loadFactor: 1.5, random: () => 0 });
    expect(decision?.reason).toBe('saturated_fallback');
    expect(decision?.candidate).not.toBe(preferred);
  });

  it('routes by prompt prefix under prefix routing without a conversation id', () => {
    const pool = [
      { id: 'a', inFlight: 1 },
      { id: 'b', inFlight: 1 },
      { id: 'c', inFlight: 0 },
    ];
    expect(
      chooseReplica(pool, { policy: 'prefix', key: undefined, matched: (c) => (c.id === 'b' ? 3 : 0), loadFactor: 1.5, random: () => 0 }),
    ).toEqual({
      candidate: pool[1],
      reason: 'prefix_hit',
    });
    // No prompt to read (embeddings, token-id completions): least-load.
    expect(chooseReplica(pool, { policy: 'prefix', key: undefined, loadFactor: 1.5, random: () => 0 })).toEqual({
      candidate: pool[2],
      reason: 'least_load',
    });
  });
});
