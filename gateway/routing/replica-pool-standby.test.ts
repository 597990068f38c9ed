// A ModelServer with a warm standby (autoscaling.standby): sleeping replicas are never chosen,
// requests that find only sleepers are held while the pool wakes them (never a scale-from-zero
// trigger), a failed wake is retried after a pause, and a replica put to sleep between two rounds
// (it answers 503) is woken for the request instead of failing it. Scripted replicas, real pool and router.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { mapUpstreamFailure } from '../providers/transport/upstream-errors.ts';
import type { ReplicaAddress } from './endpoint-resolver.ts';
import { ReplicaPool, type AcquireRequest } from './replica-pool.ts';
import { ReplicaRouter } from './replica-router.ts';
import { parseIsSleeping, type SleepControl } from './sleep-control.ts';
import { eventually } from '../../test/support/eventually.ts';

const silent = pino({ level: 'silent' });

function address(n: number): ReplicaAddress {
  const origin = `http://127.0.0.1:${String(9100 + n)}`;
  return { id: origin, origin, baseURL: `${origin}/v1`, kind: 'pod' };
}

/** Replicas that sleep and wake as a vLLM in sleep mode does, with a script for refusing to wake. */
function sleepyReplicas() {
  const asleep = new Set<string>();
  const wakeCalls: string[] = [];
  const refuseWake = { count: 0 };
  const control: SleepControl = {
    isSleeping: (replica) => Promise.resolve(asleep.has(replica.id)),
    wake: async (replica) => {
      wakeCalls.push(replica.id);
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (refuseWake.count > 0) {
        refuseWake.count--;
        return false;
      }
      asleep.delete(replica.id);
      return true;
    },
  };
  return { asleep, wakeCalls, refuseWake, control };
}

const pools: ReplicaPool[] = [];
afterEach(() => {
  for (const pool of pools.splice(0)) pool.close();
});

function standbyPool(replicas: ReplicaAddress[], sleepy: ReturnType<typeof sleepyReplicas>) {
  const triggered: string[] = [];
  const woke: string[] = [];
  const pool = new ReplicaPool({
    server: { name: 'ms', endpoint: undefined, standby: true },
    resolver: { resolve: () => Promise.resolve({ state: 'present', replicas }) },
    probe: () => Promise.resolve(true),
    sleep: sleepy.control,
    trigger: {
      scaleFromZero: (name) => {
        triggered.push(name);
        return Promise.resolve();
      },
    },
    settings: { healthIntervalMs: 1000, unhealthyMs: 200, holdTimeoutMs: 3000, queueMax: 10, loadFactor: 1.5 },
    log: silent,
    hooks: { woke: (name, outcome) => woke.push(`${name} ${outcome}`) },
    random: () => 0,
  });
  pools.push(pool);
  return { pool, triggered, woke };
}

function request(): AcquireRequest {
  return { model: 'm', policy: 'leastLoad', key: undefined, exclude: new Set(), signal: undefined, hold: true };
}

describe('a standby ModelServer in the replica pool', () => {
  it('never leases a sleeping replica while another is awake, and wakes nobody for it', async () => {
    const sleepy = sleepyReplicas();
    const { pool } = standbyPool([address(1), address(2)], sleepy);
    sleepy.asleep.add(address(1).id);
    await pool.refresh();
    const leases = await Promise.all([1, 2, 3].map(() => pool.acquire(request())));
    expect(leases.map((l) => l?.replica.id)).toEqual([address(2).id, address(2).id, address(2).id]);
    expect(sleepy.wakeCalls).toEqual([]);
    expect(pool.snapshot().replicas.map((r) => r.asleep)).toEqual([true, false]);
  });

  it('holds a request that finds only sleepers, wakes each once, and serves it, without asking to scale from zero', async () => {
    const sleepy = sleepyReplicas();
    const { pool, triggered, woke } = standbyPool([address(1), address(2)], sleepy);
    sleepy.asleep.add(address(1).id).add(address(2).id);
    await pool.refresh();
    expect(pool.snapshot().eligible).toBe(0);
    const [a, b] = await Promise.all([pool.acquire(request()), pool.acquire(request())]);
    expect(a?.heldMs).toBeGreaterThan(0);
    expect([a?.replica.id, b?.replica.id]).toEqual(expect.arrayContaining([expect.stringMatching(/^http:\/\/127\.0\.0\.1:910[12]$/)]));
    expect(sleepy.wakeCalls.sort()).toEqual([address(1).id, address(2).id]);
    // The first replica awake may serve both; the second wake-up ends a moment later.
    await eventually(
      () => {
        expect(woke).toEqual(['ms woken', 'ms woken']);
      },
      2000,
      20,
    );
    expect(triggered).toEqual([]);
    expect(sleepy.asleep.size).toBe(0);
  });

  it('asks again after a pause when a replica does not wake, and serves the request once it does', async () => {
    const sleepy = sleepyReplicas();
    const { pool, woke } = standbyPool([address(1)], sleepy);
    sleepy.asleep.add(address(1).id);
    sleepy.refuseWake.count = 1;
    await pool.refresh();
    const started = Date.now();
    const lease = await pool.acquire(request());
    expect(lease?.replica.id).toBe(address(1).id);
    expect(woke).toEqual(['ms failed', 'ms woken']);
    // The second wake waited out the 200 ms pause instead of following the refusal at once.
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });

  it('reads a replica as awake again when it says so (someone else woke it)', async () => {
    const sleepy = sleepyReplicas();
    const { pool } = standbyPool([address(1)], sleepy);
    sleepy.asleep.add(address(1).id);
    await pool.refresh();
    expect(pool.snapshot().eligible).toBe(0);
    sleepy.asleep.clear();
    await pool.refresh();
    expect(pool.snapshot().eligible).toBe(1);
    expect(sleepy.wakeCalls).toEqual([]);
  });

  it('routes a request that met a replica just put to sleep (503) back to it, woken, instead of failing it', async () => {
    const sleepy = sleepyReplicas();
    const { pool } = standbyPool([address(1)], sleepy);
    await pool.refresh();
    const router = new ReplicaRouter({ pools: new Map([['ms', pool]]), settings: { policy: 'leastLoad', maxAttempts: 2 }, log: silent });
    const sent: string[] = [];
    // The operator puts the replica to sleep after the pool's last round.
    sleepy.asleep.add(address(1).id);
    const routed = await router.call(
      { name: 'm', upstreamModel: 'm', modelServer: 'ms' },
      { conversationId: undefined, signal: undefined },
      (replica) => {
        sent.push(replica.id);
        if (sleepy.asleep.has(replica.id)) throw mapUpstreamFailure({ provider: 'vllm', status: 503 });
        return Promise.resolve('answer');
      },
    );
    expect(routed.result).toBe('answer');
    expect(sent).toEqual([address(1).id, address(1).id]);
    expect(routed.heldMs).toBeGreaterThan(0);
    expect(sleepy.wakeCalls).toEqual([address(1).id]);
    routed.release();
  });

  it('still fails over a replica that answered 503 while awake', async () => {
    const sleepy = sleepyReplicas();
    const { pool } = standbyPool([address(1), address(2)], sleepy);
    await pool.refresh();
    const router = new ReplicaRouter({ pools: new Map([['ms', pool]]), settings: { policy: 'leastLoad', maxAttempts: 2 }, log: silent });
    const sent: string[] = [];
    const routed = await router.call(
      { name: 'm', upstreamModel: 'm', modelServer: 'ms' },
      { conversationId: undefined, signal: undefined },
      (replica) => {
        sent.push(replica.id);
        if (replica.id === address(1).id) throw mapUpstreamFailure({ provider: 'vllm', status: 503 });
        return Promise.resolve('answer');
      },
    );
    expect(sent).toEqual([address(1).id, address(2).id]);
    expect(routed.heldMs).toBe(0);
    expect(sleepy.wakeCalls).toEqual([]);
    routed.release();
  });
});

describe('parseIsSleeping', () => {
  it.each([
    [{ is_sleeping: true }, true],
    [{ is_sleeping: false }, false],
    [{ is_sleeping: 'yes' }, undefined],
    [{}, undefined],
    [null, undefined],
    ['true', undefined],
  ])('%j → %s', (body, expected) => {
    expect(parseIsSleeping(body)).toBe(expected);
  });
});
