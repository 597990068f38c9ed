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
    expect(chooseReplica(pool, { policy: 'sessionAffinity', key: 'conv-1', loadFactor: 1.5, random: () => 0 })).toBe(preferred);
  });

  it('falls back to least-load under session affinity without a conversation id', () => {
    expect(chooseReplica(replicas(), { policy: 'sessionAffinity', key: undefined, loadFactor: 1.5, random: () => 0.9 })?.id).toBe('a');
  });

  it('ignores the conversation id under least-load', () => {
    for (const key of ['x', 'y', 'z', 'w'])
      expect(chooseReplica(replicas(), { policy: 'leastLoad', key, loadFactor: 1.5, random: () => 0 })?.id).toBe('a');
  });
});
