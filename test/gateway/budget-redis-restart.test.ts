// A real Redis restart (its own redis-server, no persistence, stopped and started again on the same
// port) under two gateway replicas: the month's spend comes back from usage_logs before the next
// decision, so a spent budget stays spent on both replicas, and the counter equals the record.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { startRedis, type Redis } from '../harness/redis.ts';
import { startStack, USER_OPENAI_KEY, type Stack } from '../support/gateway-stack.ts';

const MONTHLY_USD = 1;
const messages = [{ role: 'user', content: Array.from({ length: 100 }, (_, i) => `w${String(i % 10)}`).join(' ') }];

let redis: Redis;
let stack: Stack;
let db: pg.Client;

beforeAll(async () => {
  redis = await startRedis();
  stack = await startStack({
    postgresUrl: inject('postgresUrl'),
    redisUrl: redis.url,
    config: {
      mode: 'proxy',
      // A dollar per thousand tokens: each answer here costs about $0.20.
      models: [
        {
          name: 'gpt-4o-mini',
          provider: 'openai',
          upstreamModel: 'gpt-4o-mini',
          pricing: { inputPerMillionTokens: 1000, outputPerMillionTokens: 1000 },
        },
      ],
      memory: { enabled: false },
      tiers: { pro: { requestsPerMinute: 1000, requestsPerDay: 100_000, budget: { monthlyUsd: MONTHLY_USD } } },
    },
    replicas: 2,
  });
  db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
});

afterAll(async () => {
  await db.end();
  await stack.stop();
  await redis.stop();
});

function chat(url: string, apiKey: string): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages, max_tokens: 200 }),
  });
}

/** The month budget as a replica reports it (GET /v1/budget), once it can reach Redis again. */
async function monthSpent(url: string, apiKey: string): Promise<number> {
  const until = Date.now() + 10_000;
  for (;;) {
    const res = await fetch(`${url}/v1/budget`, { headers: { authorization: `Bearer ${apiKey}` } });
    if (res.status === 200) {
      const body = (await res.json()) as { data: { budget: string; spent_usd: number }[] };
      return body.data.find((b) => b.budget === 'user.monthly_usd')?.spent_usd ?? Number.NaN;
    }
    if (Date.now() > until) throw new Error(`GET /v1/budget still answers ${String(res.status)} after the restart`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('money budgets across a Redis restart', () => {
  it("keeps the month's spend: rebuilt from usage_logs on both replicas, still refusing", async () => {
    const { userId, apiKey } = await stack.newUser('pro');
    expect((await stack.addProviderKey(apiKey, 'openai', USER_OPENAI_KEY)).status).toBe(201);
    let answered = 0;
    while (answered < 20 && (await chat(stack.gateways[answered % 2]?.url ?? '', apiKey)).status === 200) answered += 1;
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThan(20);
    const recorded = async (): Promise<{ n: number; usd: number }> => {
      const { rows } = await db.query<{ n: number; usd: number }>(
        'SELECT count(*)::int AS n, coalesce(sum(cost_usd), 0)::float8 AS usd FROM usage_logs WHERE user_id = $1',
        [userId],
      );
      return rows[0] ?? { n: 0, usd: 0 };
    };
    const until = Date.now() + 5000;
    while ((await recorded()).n < answered && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    const spent = await recorded();
    expect(spent.n).toBe(answered);
    expect(spent.usd).toBeGreaterThanOrEqual(MONTHLY_USD);

    await redis.restart();

    for (const gateway of stack.gateways) {
      expect(await monthSpent(gateway.url, apiKey)).toBeCloseTo(spent.usd, 5);
      const refused = await chat(gateway.url, apiKey);
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as { error: { code: string; param: string } }).error).toMatchObject({
        code: 'budget_exceeded',
        param: 'user.monthly_usd',
      });
    }
  });
});
