// The pool with a scripted resolver, health probe and scale trigger: discovery, readiness,
// holding, and every way a held request ends.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.ts';
import type { ReplicaAddress, Resolution } from './endpoint-resolver.ts';
import type { ReplicaLoad } from './replica-load.ts';
import { ReplicaPool, type AcquireRequest, type Lease, type PoolSettings } from './replica-pool.ts';

const silent = pino({ level: 'silent' });

function address(n: number, kind: ReplicaAddress['kind'] = 'pod'): ReplicaAddress {
  const origin = `http://127.0.0.1:${String(9000 + n)}`;
  return { id: origin, origin, baseURL: `${origin}/v1`, kind };
}

interface Harness {
  pool: ReplicaPool;
  /** What the resolver answers next (an Error: it fails). */
  resolution: { current: Resolution | Error };
  /** Replica ids whose health check passes. */
  ready: Set<string>;
  triggered: string[];
  events: string[];
  /** "<model> <policy> <reason>" per replica chosen. */
  decisions: string[];
}

const pools: ReplicaPool[] = [];
afterEach(() => {
  for (const pool of pools.splice(0)) pool.close();
});

function harness(replicas: ReplicaAddress[], settings: Partial<PoolSettings> = {}, loads?: Map<string, ReplicaLoad>): Harness {
  const resolution: Harness['resolution'] = { current: { state: 'present', replicas } };
  const ready = new Set<string>();
  const triggered: string[] = [];
  const events: string[] = [];
  const decisions: string[] = [];
  const pool = new ReplicaPool({
    server: { name: 'ms', endpoint: undefined },
    resolver: {
      resolve: () => (resolution.current instanceof Error ? Promise.reject(resolution.current) : Promise.resolve(resolution.current)),
    },
    probe: (replica) => Promise.resolve(ready.has(replica.id)),
    ...(loads ? { loadProbe: (replica: ReplicaAddress) => Promise.resolve(loads.get(replica.id)) } : {}),
    trigger: {
      scaleFromZero: (name) => {
        triggered.push(name);
        return Promise.resolve();
      },
    },
    settings: { healthIntervalMs: 1000, unhealthyMs: 300, holdTimeoutMs: 1500, queueMax: 2, loadFactor: 1.5, ...settings },
    log: silent,
    hooks: {
      held: (model, delta) => events.push(`held ${model} ${String(delta)}`),
      waited: (model) => events.push(`waited ${model}`),
      decided: (model, policy, reason) => decisions.push(`${model} ${policy} ${reason}`),
    },
    random: () => 0,
  });
  pools.push(pool);
  return { pool, resolution, ready, triggered, events, decisions };
}

function request(overrides: Partial<AcquireRequest> = {}): AcquireRequest {
  return { model: 'm', policy: 'leastLoad', key: undefined, exclude: new Set(), signal: undefined, hold: true, ...overrides };
}

async function rejection(promise: Promise<unknown>): Promise<GatewayError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return err as GatewayError;
}

describe('ReplicaPool', () => {
  it('leases ready replicas only, least loaded first, and counts what is in flight', async () => {
    const h = harness([address(1), address(2), address(3)]);
    h.ready.add(address(1).id).add(address(2).id);
    await h.pool.refresh();
    const leases = await Promise.all([1, 2, 3, 4].map(() => h.pool.acquire(request())));
    expect(leases.map((l) => l?.replica.id).sort()).toEqual([address(1).id, address(1).id, address(2).id, address(2).id]);
    expect(h.pool.snapshot().replicas.map((r) => r.inFlight)).toEqual([2, 2, 0]);
    leases[0]?.release();
    leases[0]?.release();
    expect(h.pool.snapshot().replicas.reduce((s, r) => s + r.inFlight, 0)).toBe(3);
  });

  it('sends requests sharing a prompt prefix to the replica that served it until it saturates, and forgets a replica that left', async () => {
    const replicas = [address(1), address(2), address(3)];
    const h = harness(replicas);
    for (const r of replicas) h.ready.add(r.id);
    await h.pool.refresh();
    const shared = [11, 12, 13];
    const first = await h.pool.acquire(request({ policy: 'prefix', blocks: [...shared, 1] }));
    expect(h.decisions.pop()).toBe('m prefix least_load');
    // Sequential requests (each released before the next) stay on it, whatever follows the shared part.
    first?.release();
    for (const tail of [2, 3, 4]) {
      const lease = await h.pool.acquire(request({ policy: 'prefix', blocks: [...shared, tail] }));
      expect(lease?.replica.id).toBe(first?.replica.id);
      expect(h.decisions.pop()).toBe('m prefix prefix_hit');
      lease?.release();
    }
    // Concurrent ones stay until the bound (3 replicas: ceil(1.5 × (in flight + 1) / 3)); the one that
    // takes the overflow learns the prefix too, so the prompt spreads over two replicas, not three.
    h.decisions.length = 0;
    const held: (Lease | undefined)[] = [];
    for (let i = 0; i < 6; i++) held.push(await h.pool.acquire(request({ policy: 'prefix', blocks: [...shared, 100 + i] })));
    const counts = replicas.map((r) => held.filter((l) => l?.replica.id === r.id).length).sort();
    expect(counts).toEqual([0, 3, 3]);
    expect(held.filter((l) => l?.replica.id === first?.replica.id)).toHaveLength(3);
    expect(h.decisions.filter((d) => d.endsWith('saturated_fallback'))).toHaveLength(1);
    expect(h.decisions.filter((d) => d.endsWith('prefix_hit'))).toHaveLength(5);
    for (const lease of held) lease?.release();
    // The replica leaves: its prefixes go with it, so the prompt is unknown again.
    h.resolution.current = { state: 'present', replicas: replicas.filter((r) => r.id !== first?.replica.id) };
    await h.pool.refresh();
    h.resolution.current = { state: 'present', replicas };
    await h.pool.refresh();
    await h.pool.refresh();
    h.decisions.length = 0;
    const again = await h.pool.acquire(
      request({
        policy: 'prefix',
        blocks: [...shared, 9],
        exclude: new Set(replicas.map((r) => r.id).filter((id) => id !== first?.replica.id)),
      }),
    );
    expect(again?.replica.id).toBe(first?.replica.id);
    expect(h.decisions).toEqual(['m prefix least_load']);
  });

  it('passes over a replica whose vLLM reports a full queue, once per health interval, until it drains', async () => {
    const replicas = [address(1), address(2)];
    const loads = new Map<string, ReplicaLoad>(replicas.map((r) => [r.id, { waiting: 0, kvCacheUsage: 0.1 }]));
    const h = harness(replicas, { healthIntervalMs: 50 }, loads);
    for (const r of replicas) h.ready.add(r.id);
    await h.pool.refresh();
    const blocks = [7, 8, 9];
    const first = await h.pool.acquire(request({ policy: 'prefix', blocks }));
    first?.release();
    const other = replicas.find((r) => r.id !== first?.replica.id)!;
    loads.set(first!.replica.id, { waiting: 6, kvCacheUsage: 0.1 });
    await new Promise((resolve) => setTimeout(resolve, 60));
    await h.pool.refresh();
    const moved = await h.pool.acquire(request({ policy: 'prefix', blocks }));
    expect(moved?.replica.id).toBe(other.id);
    expect(h.decisions.pop()).toBe('m prefix saturated_fallback');
    moved?.release();
    loads.set(first!.replica.id, { waiting: 0, kvCacheUsage: 0.1 });
    await new Promise((resolve) => setTimeout(resolve, 60));
    await h.pool.refresh();
    // Both replicas know the prompt now; the tie goes to the first listed (random() is 0).
    const back = await h.pool.acquire(request({ policy: 'prefix', blocks }));
    expect(h.decisions.pop()).toBe('m prefix prefix_hit');
    expect(back?.replica.id).toBe(replicas[0]?.id);
  });

  it('holds a request while no replica is ready, asks for one at once, and serves it when one is', async () => {
    const h = harness([]);
    await h.pool.refresh();
    let held = false;
    const started = Date.now();
    const pending = h.pool.acquire(
      request({
        onHold: () => {
          held = true;
        },
      }),
    );
    expect(held).toBe(true);
    expect(h.triggered).toEqual(['ms']);
    expect(h.pool.snapshot().held).toBe(1);
    setTimeout(() => {
      h.resolution.current = { state: 'present', replicas: [address(1)] };
      h.ready.add(address(1).id);
    }, 300);
    const lease = await pending;
    expect(lease?.replica.id).toBe(address(1).id);
    // Polled every 200 ms while a request waits, not every healthIntervalMs.
    expect(Date.now() - started).toBeLessThan(900);
    expect(h.pool.snapshot().held).toBe(0);
    expect(h.events).toEqual(['held m 1', 'waited m', 'held m -1']);
  });

  it('answers a 503 with Retry-After when no replica is ready in time', async () => {
    const h = harness([address(1)], { holdTimeoutMs: 300 });
    await h.pool.refresh();
    const err = await rejection(h.pool.acquire(request()));
    expect(err).toMatchObject({ status: 503, code: 'model_starting_timeout', headers: { 'Retry-After': '10' } });
    expect(h.pool.snapshot().held).toBe(0);
  });

  it('refuses at once when the queue is full', async () => {
    const h = harness([]);
    await h.pool.refresh();
    const controller = new AbortController();
    const held = [h.pool.acquire(request({ signal: controller.signal })), h.pool.acquire(request({ signal: controller.signal }))];
    const err = await rejection(h.pool.acquire(request()));
    expect(err).toMatchObject({ status: 503, code: 'model_starting_queue_full', headers: { 'Retry-After': '10' } });
    controller.abort();
    for (const p of held) expect(await rejection(p)).toMatchObject({ status: 499 });
  });

  it('drops a held request the moment its client leaves', async () => {
    const h = harness([]);
    await h.pool.refresh();
    const controller = new AbortController();
    const pending = h.pool.acquire(request({ signal: controller.signal }));
    expect(h.pool.snapshot().held).toBe(1);
    controller.abort();
    expect(await rejection(pending)).toMatchObject({ status: 499, code: 'client_closed_request' });
    expect(h.pool.snapshot().held).toBe(0);
  });

  it('answers held requests at once when the ModelServer disappears, and refuses new ones', async () => {
    const h = harness([]);
    await h.pool.refresh();
    const started = Date.now();
    const pending = h.pool.acquire(request());
    h.resolution.current = { state: 'absent' };
    expect(await rejection(pending)).toMatchObject({ status: 503, code: 'model_server_not_found' });
    expect(Date.now() - started).toBeLessThan(500);
    expect(await rejection(h.pool.acquire(request({ hold: false })))).toMatchObject({ code: 'model_server_not_found' });
  });

  it('does not hold when told not to', async () => {
    const h = harness([]);
    await h.pool.refresh();
    expect(await h.pool.acquire(request({ hold: false }))).toBeUndefined();
    expect(h.triggered).toEqual([]);
  });

  it('skips a failed pod for a while, but never the Service stand-in', async () => {
    const h = harness([address(1), address(2)]);
    h.ready.add(address(1).id).add(address(2).id);
    await h.pool.refresh();
    h.pool.markFailed(address(1).id);
    for (let i = 0; i < 4; i++) expect((await h.pool.acquire(request()))?.replica.id).toBe(address(2).id);
    await new Promise((r) => setTimeout(r, 350));
    expect(h.pool.snapshot().replicas.every((r) => !r.unhealthy)).toBe(true);

    const service = harness([address(3, 'service')]);
    service.ready.add(address(3).id);
    await service.pool.refresh();
    service.pool.markFailed(address(3).id);
    expect((await service.pool.acquire(request({ hold: false })))?.replica.id).toBe(address(3).id);
  });

  it('answers held requests with a 503 when it closes', async () => {
    const h = harness([]);
    await h.pool.refresh();
    const pending = h.pool.acquire(request());
    h.pool.close();
    expect(await rejection(pending)).toMatchObject({ status: 503, code: 'gateway_shutting_down' });
  });

  it('stops holding when the gateway drains: held requests get a 503 at once, new ones are not held, ready replicas still serve', async () => {
    const h = harness([]);
    await h.pool.refresh();
    const pending = h.pool.acquire(request());
    const started = Date.now();
    h.pool.stopHolding();
    expect(await rejection(pending)).toMatchObject({ status: 503, code: 'gateway_shutting_down', headers: { 'Retry-After': '1' } });
    expect(Date.now() - started).toBeLessThan(500);
    expect(h.pool.snapshot().held).toBe(0);
    expect(await rejection(h.pool.acquire(request()))).toMatchObject({ code: 'gateway_shutting_down' });

    h.resolution.current = { state: 'present', replicas: [address(1)] };
    h.ready.add(address(1).id);
    await h.pool.refresh();
    expect((await h.pool.acquire(request()))?.replica.id).toBe(address(1).id);
  });

  it('keeps the last known replicas when the resolver fails', async () => {
    const h = harness([address(1)]);
    h.ready.add(address(1).id);
    await h.pool.refresh();
    h.resolution.current = new Error('dns down');
    await h.pool.refresh();
    expect((await h.pool.acquire(request({ hold: false })))?.replica.id).toBe(address(1).id);
  });
});
