// Money budgets through two gateway replicas sharing one Redis and one PostgreSQL: the admin API
// sets them (field-named 400s, audit rows, applied on the other replica at once), 50 concurrent
// streams spend no more than the budget plus one request's reservation and the Redis counter
// settles to the real cost, the soft threshold is recorded exactly once, the hard stop is a 429
// budget_exceeded in both dialects, and losing Redis's data does not reset the month's spend
// (rebuilt from usage_logs).
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { until } from '../support/eventually.ts';
import { startStack, USER_OPENAI_KEY, type Stack } from '../support/gateway-stack.ts';

// A dollar per thousand tokens: the stub's ~100 prompt + ~101 completion tokens cost about $0.20.
const PRICE_PER_TOKEN = 0.001;
const MAX_TOKENS = 200;
const messages = [{ role: 'user', content: Array.from({ length: 100 }, (_, i) => `w${String(i % 10)}`).join(' ') }];
// The reservation's tokens (ratelimit/token-reservation.ts), every one at the dearest price.
const RESERVATION_USD = (Math.ceil(JSON.stringify(messages).length / 4) + MAX_TOKENS) * PRICE_PER_TOKEN;
const MONTHLY_USD = 3;

let stack: Stack;
let redis: Redis;
let db: pg.Client;

beforeAll(async () => {
  stack = await startStack({
    postgresUrl: inject('postgresUrl'),
    redisUrl: inject('redisUrl'),
    config: {
      mode: 'proxy',
      models: [
        {
          name: 'gpt-4o-mini',
          provider: 'openai',
          upstreamModel: 'gpt-4o-mini',
          pricing: { inputPerMillionTokens: PRICE_PER_TOKEN * 1e6, outputPerMillionTokens: PRICE_PER_TOKEN * 1e6 },
        },
      ],
      memory: { enabled: false },
      tiers: {
        pro: { requestsPerMinute: 1000, requestsPerDay: 100_000, budget: { dailyUsd: 100, softLimitPercent: 50 } },
        enterprise: { requestsPerMinute: 1000, requestsPerDay: 100_000, maxOutputTokens: 50 },
      },
    },
    replicas: 2,
  });
  redis = new Redis(inject('redisUrl'));
  db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
});

afterAll(async () => {
  redis.disconnect();
  await db.end();
  await stack.stop();
});

function chat(url: string, apiKey: string, stream = true): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'gpt-4o-mini',
      messages,
      max_tokens: MAX_TOKENS,
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
    }),
  });
}

/** The base URL of gateway replica `i`. */
function replica(i: number): string {
  return stack.gateways[i]?.url ?? '';
}

function messagesCall(url: string, apiKey: string): Promise<Response> {
  return fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': apiKey, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: MAX_TOKENS, messages }),
  });
}

/** The usage chunk's total_tokens of an SSE body. */
function streamedTotal(body: string): number {
  const usage = body
    .split('\n')
    .filter((l) => l.startsWith('data: {'))
    .map((l) => JSON.parse(l.slice(6)) as { usage?: { total_tokens: number } | null })
    .find((c) => c.usage)?.usage;
  if (!usage) throw new Error('stream without usage');
  return usage.total_tokens;
}

async function monthCounter(userId: string): Promise<number> {
  const [key] = (await redis.keys(`${stack.redisKeyPrefix}budget:{${userId}}:user:month:*`)).filter((k) => !k.includes(':soft:'));
  return key ? Number(await redis.get(key)) : Number.NaN;
}

async function auditRows(
  userId: string,
  action: string,
): Promise<{ actor: string; target: string | null; details: Record<string, unknown> }[]> {
  const { rows } = await db.query<{ actor: string; target: string | null; details: Record<string, unknown> }>(
    'SELECT actor, target, details FROM audit_log WHERE target_user = $1 AND action = $2 ORDER BY id',
    [userId, action],
  );
  return rows;
}

async function newPayingUser(): Promise<{ userId: string; apiKey: string }> {
  const user = await stack.newUser('pro');
  expect((await stack.addProviderKey(user.apiKey, 'openai', USER_OPENAI_KEY)).status).toBe(201);
  return user;
}

describe('money budgets across replicas', () => {
  it('refuses negative, absurd and unknown limits naming the field, and 404s an unknown user or key', async () => {
    const { userId } = await newPayingUser();
    for (const [body, field] of [
      [{ monthly_usd: -1 }, 'monthly_usd'],
      [{ daily_usd: 1e9 }, 'daily_usd'],
      [{ tokens_per_minute: 0 }, 'tokens_per_minute'],
      [{ monthly_usd: 5, yearly_usd: 50 }, 'yearly_usd'],
    ] as const) {
      const res = await stack.admin('PATCH', `/admin/users/${userId}/limits`, body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { param: string } }).error.param).toBe(field);
    }
    expect((await stack.admin('PATCH', `/admin/users/${crypto.randomUUID()}/limits`, { monthly_usd: 1 })).status).toBe(404);
    expect((await stack.admin('GET', `/admin/users/${userId}/keys/${crypto.randomUUID()}/limits`)).status).toBe(404);
    expect(await auditRows(userId, 'budget.changed')).toEqual([]);
    // The request metrics name the routes by pattern, never by the ids in the path.
    const metrics = await (await fetch(`${stack.url}/prometheus`)).text();
    expect(metrics).toMatch(/endpoint="[^"]*\/users\/:id\/limits"/);
    expect(metrics).toMatch(/endpoint="[^"]*\/users\/:id\/keys\/:keyId\/limits"/);
    expect(metrics).not.toContain(userId);
  });

  it('holds 50 concurrent streams through two replicas to the budget plus one reservation, settles to the real cost, and warns once', async () => {
    const { userId, apiKey } = await newPayingUser();
    // Used once first, so both replicas have the key (and its budgets: none) cached.
    for (const gateway of stack.gateways) expect((await chat(gateway.url, apiKey, false)).status).toBe(200);
    const answered = async (): Promise<{ n: number; usd: number }> => {
      const { rows } = await db.query<{ n: number; usd: number }>(
        'SELECT count(*)::int AS n, coalesce(sum(cost_usd), 0)::float8 AS usd FROM usage_logs WHERE user_id = $1 AND status_code = 200',
        [userId],
      );
      return rows[0] ?? { n: 0, usd: 0 };
    };
    // Their rows are written before the budget's counter is first built from usage_logs.
    expect(await until(async () => (await answered()).n === 2)).toBe(true);
    const warmUps = (await answered()).usd;
    const set = await stack.admin('PATCH', `/admin/users/${userId}/limits`, { monthly_usd: MONTHLY_USD });
    expect(set.status).toBe(200);
    expect(await set.json()).toMatchObject({ object: 'limits', user_id: userId, key_id: null, monthly_usd: MONTHLY_USD, daily_usd: null });
    const [changed] = await auditRows(userId, 'budget.changed');
    expect(changed).toMatchObject({
      actor: 'admin',
      target: null,
      details: { scope: 'user', before: { monthly_usd: null }, after: { monthly_usd: MONTHLY_USD } },
    });

    // The two warm-up requests (about $0.40) count, as usage_logs does.
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => chat(replica(i % 2), apiKey)));
    const bodies = await Promise.all(responses.map((r) => r.text()));
    const admitted = bodies.filter((_b, i) => responses[i]?.status === 200);
    const refused = responses.flatMap((r, i) => (r.status === 429 ? [bodies[i] ?? ''] : []));
    expect(admitted.length + refused.length).toBe(50);
    expect(refused.length).toBeGreaterThan(0);

    const cost = (tokens: number): number => tokens * PRICE_PER_TOKEN;
    const streamed = admitted.map((b) => cost(streamedTotal(b)));
    expect(Math.max(...streamed)).toBeLessThanOrEqual(RESERVATION_USD);
    // At least the budget's worth of reservations was admitted before refusals began.
    expect(admitted.length).toBeGreaterThanOrEqual(Math.floor((MONTHLY_USD - warmUps) / RESERVATION_USD));
    // What usage_logs holds once every row is written: the month's whole spend, within the budget plus one reservation.
    expect(await until(async () => (await answered()).n === admitted.length + 2)).toBe(true);
    const spent = (await answered()).usd;
    expect(spent).toBeCloseTo(warmUps + streamed.reduce((a, b) => a + b, 0), 6);
    expect(spent).toBeLessThanOrEqual(MONTHLY_USD + RESERVATION_USD);
    // Every reservation settled: the Redis counter is the real spend (warm-ups rebuilt from usage_logs).
    expect(await until(async () => Math.abs((await monthCounter(userId)) / 1e6 - spent) < 1e-5)).toBe(true);

    // The soft threshold (50% in this tier) was recorded once, by whichever replica settled past it.
    const soft = await auditRows(userId, 'budget.soft_limit_reached');
    expect(soft).toHaveLength(1);
    expect(soft[0]).toMatchObject({
      actor: 'gateway',
      details: { budget: 'user.monthly_usd', window: 'month', limit_usd: MONTHLY_USD, soft_limit_usd: 1.5 },
    });

    // The hard stop, in OpenAI's dialect.
    const noAt = responses.findIndex((r) => r.status === 429);
    const error = JSON.parse(bodies[noAt] ?? '') as { error: { type: string; code: string; param: string; message: string } };
    expect(error.error).toMatchObject({ type: 'budget_exceeded', code: 'budget_exceeded', param: 'user.monthly_usd' });
    expect(error.error.message).toMatch(
      /^Budget exceeded: your account's monthly budget of \$3\.00 is spent \(\$\d+\.\d+ so far\)\. It resets at \d{4}-\d\d-01T00:00:00\.000Z/,
    );
    expect(Number(responses[noAt]?.headers.get('retry-after'))).toBeGreaterThan(0);

    // Settling freed what the streams did not use: spend that room until the budget is really spent.
    let more = 0;
    while (more < 20 && (await chat(replica(more % 2), apiKey, false)).status === 200) more += 1;
    expect(more).toBeLessThan(20);
    expect(await until(async () => (await answered()).n === admitted.length + 2 + more)).toBe(true);
    const monthSpend = (await answered()).usd;
    expect(monthSpend).toBeGreaterThanOrEqual(MONTHLY_USD);
    expect(monthSpend).toBeLessThanOrEqual(MONTHLY_USD + RESERVATION_USD);

    // And in Anthropic's, on /v1/messages, from the other replica.
    const anthropic = await messagesCall(replica(1), apiKey);
    expect(anthropic.status).toBe(429);
    expect(Number(anthropic.headers.get('retry-after'))).toBeGreaterThan(0);
    const anthropicBody = (await anthropic.json()) as { type: string; error: { type: string; message: string } };
    expect(anthropicBody).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    expect(anthropicBody.error.message).toMatch(/^Budget exceeded: your account's monthly budget of \$3\.00/);

    // Redis loses everything (a restart without persistence): the month's spend is rebuilt from
    // usage_logs before the next decision, so the budget is still spent, on both replicas.
    const lost = await redis.keys(`${stack.redisKeyPrefix}*`);
    expect(lost.length).toBeGreaterThan(0);
    await redis.del(...lost);
    await redis.script('FLUSH');
    for (const gateway of stack.gateways) expect((await chat(gateway.url, apiKey, false)).status).toBe(429);
    expect((await monthCounter(userId)) / 1e6).toBeCloseTo(monthSpend, 5);

    // Raising the budget applies to the next request on the other replica (the key cache was evicted everywhere).
    expect((await stack.admin('PATCH', `/admin/users/${userId}/limits`, { monthly_usd: MONTHLY_USD + 10 })).status).toBe(200);
    expect(await until(async () => (await chat(replica(1), apiKey, false)).status === 200, 1000)).toBe(true);
  });

  it("enforces a key's own budget beside its user's, and DELETE removes it, both audited", async () => {
    const { userId, apiKey } = await newPayingUser();
    const other = (await (await stack.admin('POST', `/admin/users/${userId}/keys`, { name: 'other' })).json()) as { key: string };
    const [key] = (
      (await (await stack.admin('GET', `/admin/users/${userId}/keys`)).json()) as { data: { id: string; name: string }[] }
    ).data.filter((k) => k.name === 'test');
    const keyId = key?.id ?? '';
    const keyPath = `/admin/users/${userId}/keys/${keyId}/limits`;
    const set = await stack.admin('PATCH', keyPath, { daily_usd: 0.1 });
    expect(await set.json()).toMatchObject({ key_id: keyId, daily_usd: 0.1 });
    expect((await chat(replica(0), apiKey, false)).status).toBe(200); // $0 spent < $0.10: admitted, costs ~$0.20
    const stopped = await chat(replica(1), apiKey, false);
    expect(stopped.status).toBe(429);
    expect(((await stopped.json()) as { error: { param: string; message: string } }).error).toMatchObject({
      param: 'key.daily_usd',
      message: expect.stringMatching(/^Budget exceeded: this API key's daily budget of \$0\.10/) as string,
    });
    // What the key sees of its budgets: the tier's daily default for its user, and its own.
    const view = (await (await fetch(`${stack.url}/v1/budget`, { headers: { authorization: `Bearer ${apiKey}` } })).json()) as {
      data: { budget: string; limit_usd: number; spent_usd: number; remaining_usd: number; resets_at: string | null }[];
    };
    expect(view.data.map((b) => [b.budget, b.limit_usd])).toEqual([
      ['user.daily_usd', 100],
      ['key.daily_usd', 0.1],
    ]);
    expect(view.data[1]?.spent_usd).toBeGreaterThan(0.1);
    expect(view.data[1]?.remaining_usd).toBe(0);
    expect(view.data[1]?.resets_at).toMatch(/T00:00:00\.000Z$/);
    // The user's other key has no budget of its own.
    expect((await chat(replica(1), other.key, false)).status).toBe(200);
    // The key's spend is on record (usage_logs.api_key_id): after Redis loses it, the day is rebuilt still spent.
    expect(
      await until(async () => {
        const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM usage_logs WHERE api_key_id = $1', [keyId]);
        return rows[0]?.n === 1;
      }),
    ).toBe(true);
    const lost = (await redis.keys(`${stack.redisKeyPrefix}budget:{${userId}}:*`)).filter((k) => k.includes(':key:'));
    expect(lost.length).toBeGreaterThan(0);
    await redis.del(...lost);
    expect((await chat(replica(0), apiKey, false)).status).toBe(429);
    expect((await stack.admin('DELETE', keyPath)).status).toBe(200);
    expect(await until(async () => (await chat(replica(1), apiKey, false)).status === 200, 1000)).toBe(true);
    expect((await auditRows(userId, 'budget.changed')).map((r) => [r.target, r.details.after])).toEqual([
      [keyId, expect.objectContaining({ daily_usd: 0.1 })],
      [keyId, expect.objectContaining({ daily_usd: null })],
    ]);
    // Erasing the user takes their overrides with them.
    expect((await stack.admin('PATCH', `/admin/users/${userId}/limits`, { monthly_usd: 5 })).status).toBe(200);
    expect((await stack.admin('DELETE', `/admin/users/${userId}`)).status).toBe(200);
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM limit_overrides WHERE user_id = $1', [userId]);
    expect(rows[0]?.n).toBe(0);
  });

  it("sends upstream at most the tier's maxOutputTokens, so what a request generates stays within what it reserved", async () => {
    const { apiKey } = await stack.newUser('enterprise');
    expect((await stack.addProviderKey(apiKey, 'openai', USER_OPENAI_KEY)).status).toBe(201);
    const sent = async (body: Record<string, unknown>): Promise<unknown> => {
      const before = stack.openai.requests.length;
      const res = await fetch(`${stack.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages, ...body }),
      });
      expect(res.status).toBe(200);
      return stack.openai.requests.slice(before).find((r) => r.path.endsWith('/chat/completions'))?.body;
    };
    expect(await sent({ max_tokens: 9000 })).toMatchObject({ max_tokens: 50 });
    expect(await sent({ max_completion_tokens: 20 })).toMatchObject({ max_completion_tokens: 20 });
    expect(await sent({})).toMatchObject({ max_completion_tokens: 50 });
  });

  it('applies per-user and per-key token limit overrides over the tier (which has none)', async () => {
    const { userId, apiKey } = await newPayingUser();
    expect((await stack.admin('PATCH', `/admin/users/${userId}/limits`, { tokens_per_minute: 100 })).status).toBe(200);
    const res = await chat(replica(1), apiKey, false);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-limit-tokens')).toBe('100');
    expect((await chat(replica(0), apiKey, false)).status).toBe(429);
  });
});
