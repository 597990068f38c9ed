import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { badRequest } from '../errors.ts';
import { mapTransportError } from '../providers/transport/upstream-errors.ts';
import type { ReplicaAddress } from './endpoint-resolver.ts';
import { ReplicaPool } from './replica-pool.ts';
import { ReplicaRouter } from './replica-router.ts';
import { rendezvousOrder } from './rendezvous.ts';

const silent = pino({ level: 'silent' });
const route = { name: 'm', upstreamModel: 'm', modelServer: 'ms' };

function address(n: number): ReplicaAddress {
  const origin = `http://127.0.0.1:${String(9000 + n)}`;
  return { id: origin, origin, baseURL: `${origin}/v1`, kind: 'pod' };
}

const refused = () => mapTransportError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'vllm', 'host');

let routers: ReplicaRouter[] = [];
afterEach(() => {
  for (const router of routers) router.close();
  routers = [];
});

async function routerOver(
  replicas: ReplicaAddress[],
  maxAttempts = 3,
): Promise<{ router: ReplicaRouter; pool: ReplicaPool; failovers: string[] }> {
  const pool = new ReplicaPool({
    server: { name: 'ms', endpoint: undefined },
    resolver: { resolve: () => Promise.resolve({ state: 'present', replicas }) },
    probe: () => Promise.resolve(true),
    trigger: { scaleFromZero: () => Promise.resolve() },
    settings: { healthIntervalMs: 1000, unhealthyMs: 5000, holdTimeoutMs: 500, queueMax: 10, loadFactor: 1.5 },
    log: silent,
    random: () => 0,
  });
  const failovers: string[] = [];
  const router = new ReplicaRouter({
    pools: new Map([['ms', pool]]),
    settings: { policy: 'sessionAffinity', maxAttempts },
    log: silent,
    onFailover: (model) => failovers.push(model),
  });
  routers.push(router);
  await pool.refresh();
  return { router, pool, failovers };
}

describe('ReplicaRouter', () => {
  it('routes only routes that name a known ModelServer', async () => {
    const { router } = await routerOver([address(1)]);
    expect(router.handles(route)).toBe(true);
    expect(router.handles({ ...route, modelServer: 'other' })).toBe(false);
    expect(router.handles({ name: 'gpt', upstreamModel: 'gpt' })).toBe(false);
    expect(router.handles(undefined)).toBe(false);
  });

  it('routes by prompt prefix, a LoRA adapter apart from its base model', async () => {
    const { router, pool } = await routerOver([address(1), address(2)]);
    const prompt = { messages: [{ role: 'system', content: 'Answer as a pirate. '.repeat(40) }] };
    const prefixRoute = { ...route, routing: 'prefix' as const };
    const send = (replica: ReplicaAddress) => Promise.resolve(replica.id);
    // The first request takes the least loaded (the first: random() is 0) and keeps its claim while
    // the second arrives, which finds the prompt there, still within the bound.
    const first = await router.call(prefixRoute, { conversationId: undefined, prompt, signal: undefined }, send);
    const second = await router.call(prefixRoute, { conversationId: undefined, prompt, signal: undefined }, send);
    expect(second.result).toBe(first.result);
    // The same prompt for an adapter: no replica has its prefix, so least-load picks the idle one.
    const adapter = await router.call(
      prefixRoute,
      { conversationId: undefined, prompt, servedModel: 'pirate-lora', signal: undefined },
      send,
    );
    expect(adapter.result).not.toBe(first.result);
    for (const routed of [first, second, adapter]) routed.release();
    expect(pool.snapshot().replicas.map((r) => r.inFlight)).toEqual([0, 0]);
  });

  it('moves to another replica after a connection failure and skips the failed one afterwards', async () => {
    const { router, pool, failovers } = await routerOver([address(1), address(2)]);
    const key = 'conversation-7';
    const [preferred, other] = rendezvousOrder(
      key,
      [address(1), address(2)].map((a) => ({ id: a.id, inFlight: 0 })),
    );
    const tried: string[] = [];
    const routed = await router.call(route, { conversationId: key, signal: undefined }, (replica) => {
      tried.push(replica.id);
      return replica.id === preferred!.id ? Promise.reject(refused()) : Promise.resolve('answer');
    });
    expect(routed.result).toBe('answer');
    expect(tried).toEqual([preferred!.id, other!.id]);
    expect(failovers).toEqual(['m']);
    routed.release();
    expect(pool.snapshot().replicas.find((r) => r.id === preferred!.id)?.unhealthy).toBe(true);
    expect(pool.snapshot().replicas.every((r) => r.inFlight === 0)).toBe(true);
    // The same conversation now goes straight to the healthy replica.
    const next = await router.call(route, { conversationId: key, signal: undefined }, (replica) => Promise.resolve(replica.id));
    expect(next.result).toBe(other!.id);
  });

  it('passes other failures through without trying elsewhere', async () => {
    const { router } = await routerOver([address(1), address(2)]);
    let calls = 0;
    await expect(
      router.call(route, { conversationId: undefined, signal: undefined }, () => {
        calls++;
        return Promise.reject(badRequest('bad max_tokens'));
      }),
    ).rejects.toMatchObject({ status: 400 });
    expect(calls).toBe(1);
  });

  it('tries each replica once, at most maxAttempts, then gives the last failure', async () => {
    const { router } = await routerOver([address(1), address(2), address(3), address(4)], 3);
    const tried: string[] = [];
    await expect(
      router.call(route, { conversationId: undefined, signal: undefined }, (replica) => {
        tried.push(replica.id);
        return Promise.reject(refused());
      }),
    ).rejects.toMatchObject({ status: 502, code: 'upstream_unavailable' });
    expect(tried).toHaveLength(3);
    expect(new Set(tried).size).toBe(3);

    const two = await routerOver([address(5), address(6)], 5);
    let calls = 0;
    await expect(
      two.router.call(route, { conversationId: undefined, signal: undefined }, () => {
        calls++;
        return Promise.reject(refused());
      }),
    ).rejects.toMatchObject({ status: 502 });
    expect(calls).toBe(2);
  });

  it('keeps a conversation on one replica', async () => {
    const { router } = await routerOver([address(1), address(2), address(3)]);
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const routed = await router.call(route, { conversationId: 'abc', signal: undefined }, (replica) => Promise.resolve(replica.id));
      routed.release();
      seen.add(routed.result);
    }
    expect(seen.size).toBe(1);
  });
});
