import { describe, expect, it } from 'vitest';
import { pickByAffinity, rendezvousOrder, rendezvousScore } from './rendezvous.ts';

const ids = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `http://10.0.0.${i + 1}:8000`, inFlight: 0 }));
const keys = Array.from({ length: 2000 }, (_, i) => `conversation-${i}`);

function assignment(replicas: { id: string; inFlight: number }[]): Map<string, string> {
  return new Map(keys.map((key) => [key, pickByAffinity(key, replicas, 0)?.id ?? '']));
}

describe('rendezvous hashing', () => {
  it('is deterministic and independent of the order replicas are listed in', () => {
    const replicas = ids(5);
    const reversed = [...replicas].reverse();
    for (const key of keys.slice(0, 50)) expect(pickByAffinity(key, replicas, 0)).toBe(pickByAffinity(key, reversed, 0));
    expect(rendezvousScore('a', 'b')).toBe(rendezvousScore('a', 'b'));
  });

  it('spreads keys about evenly', () => {
    const counts = new Map<string, number>();
    for (const id of assignment(ids(4)).values()) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const count of counts.values()) expect(count).toBeGreaterThan((2000 / 4) * 0.8);
    expect(counts.size).toBe(4);
  });

  it("moves only the leaving replica's keys when one goes, and about 1/n when one joins", () => {
    const four = ids(4);
    const before = assignment(four);
    const gone = four[2]!.id;
    const after = assignment(four.filter((r) => r.id !== gone));
    for (const [key, id] of before) if (id !== gone) expect(after.get(key)).toBe(id);
    const five = assignment(ids(5));
    const moved = keys.filter((key) => five.get(key) !== before.get(key)).length;
    expect(moved / keys.length).toBeGreaterThan(0.1);
    expect(moved / keys.length).toBeLessThan(0.3);
    // Every key that moved went to the new replica.
    for (const key of keys) if (five.get(key) !== before.get(key)) expect(five.get(key)).toBe('http://10.0.0.5:8000');
  });

  it('orders all replicas by preference, the first being the pick', () => {
    const replicas = ids(3);
    const order = rendezvousOrder('k', replicas);
    expect(order).toHaveLength(3);
    expect(pickByAffinity('k', replicas, 0)).toBe(order[0]);
  });
});

describe('bounded load', () => {
  it('stays on the preferred replica while it is within the bound', () => {
    const replicas = ids(2);
    const [first, second] = rendezvousOrder('k', replicas);
    first!.inFlight = 2;
    // total after this request 3, bound ceil(1.5 × 3 / 2) = 3: 2 + 1 fits.
    expect(pickByAffinity('k', replicas, 1.5)).toBe(first);
    first!.inFlight = 3;
    // total 4, bound 3: 3 + 1 does not fit, the next in the key's order takes it.
    expect(pickByAffinity('k', replicas, 1.5)).toBe(second);
  });

  it('ignores load when the factor is 0', () => {
    const replicas = ids(2);
    const [first] = rendezvousOrder('k', replicas);
    first!.inFlight = 100;
    expect(pickByAffinity('k', replicas, 0)).toBe(first);
  });

  it('always finds a replica within the bound when the factor is at least 1', () => {
    for (let trial = 0; trial < 200; trial++) {
      const replicas = ids(2 + (trial % 5)).map((r) => ({ ...r, inFlight: Math.floor(Math.random() * 10) }));
      const total = replicas.reduce((s, r) => s + r.inFlight, 0) + 1;
      const pick = pickByAffinity(`k${trial}`, replicas, 1);
      expect(pick!.inFlight + 1).toBeLessThanOrEqual(Math.ceil(total / replicas.length));
    }
  });
});
