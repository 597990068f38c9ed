// The gateway as a real process on real PostgreSQL and Redis, called with the official OpenAI SDK,
// in front of protocol-faithful OpenAI and Anthropic upstreams: the request path end to end.
import OpenAI from 'openai';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { eventually } from '../support/eventually.ts';
import { TEST_ADMIN_TOKEN, TEST_ENCRYPTION_KEY } from '../support/gateway.ts';
import { migrateDatabase, startStack, USER_ANTHROPIC_KEY, USER_OPENAI_KEY, type Stack } from '../support/gateway-stack.ts';

let stack: Stack;
let user: { userId: string; apiKey: string };
let client: OpenAI;

const CONFIG = {
  mode: 'proxy',
  models: [
    {
      name: 'gpt-4o-mini',
      provider: 'openai',
      upstreamModel: 'gpt-4o-mini-2024-07-18',
      pricing: { inputPerMillionTokens: 0.15, outputPerMillionTokens: 0.6 },
    },
    { name: 'claude', provider: 'anthropic', upstreamModel: 'claude-sonnet-4-5' },
    { name: 'flaky', provider: 'openai', upstreamModel: 'flaky-upstream', fallback: 'gpt-4o-mini' },
  ],
};

beforeAll(async () => {
  stack = await startStack({ postgresUrl: inject('postgresUrl'), redisUrl: inject('redisUrl'), config: CONFIG });
  user = await stack.newUser('pro');
  client = new OpenAI({ apiKey: user.apiKey, baseURL: `${stack.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await stack.stop();
});

async function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${stack.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json', ...headers },
    body,
  });
}

describe('migrations', () => {
  it('run again as a no-op through the migrate command', async () => {
    const again = await migrateDatabase(stack.databaseUrl);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Database already up to date');
  });
});

describe('health and metrics', () => {
  it("answers /health with the guide's fields plus dependency detail", async () => {
    // The gateway starts without waiting for Redis (it connects in the background), and /health
    // answers 200 while degraded; under load the first report can predate the connection.
    const body = await eventually(
      async () => {
        const res = await fetch(`${stack.url}/health`);
        expect(res.status).toBe(200);
        const report = (await res.json()) as Record<string, unknown>;
        expect(report.status).toBe('healthy');
        return report;
      },
      10_000,
      250,
    );
    expect(Object.keys(body)).toEqual(
      expect.arrayContaining(['status', 'version', 'uptime_seconds', 'models_loaded', 'vector_db_connected']),
    );
    expect(body).toMatchObject({
      status: 'healthy',
      version: '2.0.0',
      models_loaded: false,
      mode: 'proxy',
      dependencies: { database: { ok: true }, redis: { ok: true } },
    });
    expect(typeof body.uptime_seconds).toBe('number');
  });

  it('exports every metric the guide names on /prometheus', async () => {
    await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'count me' }] })
      .catch(() => undefined);
    const text = await (await fetch(`${stack.url}/prometheus`)).text();
    for (const name of [
      'perpetual_requests_total',
      'perpetual_request_duration_seconds',
      'perpetual_tokens_total',
      'perpetual_retrievals_total',
      'perpetual_retrieval_duration_seconds',
      'perpetual_errors_total',
      'perpetual_cost_usd_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });
});

describe('authentication', () => {
  it('refuses a missing or unknown key with an OpenAI-shaped 401 that says how to fix it', async () => {
    const none = await fetch(`${stack.url}/v1/models`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({
      error: { type: 'authentication_error', code: 'missing_api_key', message: expect.stringContaining('Authentication failed') as string },
    });
    const wrong = await fetch(`${stack.url}/v1/models`, {
      headers: { authorization: 'Bearer pp_live_0000000000000000000000000000000000000000000' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('x-request-id')).toMatch(/^req_/);
  });
});

describe('provider keys (BYOK)', () => {
  it('tells a user without a provider key exactly how to add one', async () => {
    const res = await post('/v1/chat/completions', JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }));
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { message: string; code: string } };
    expect(error.code).toBe('provider_key_missing');
    expect(error.message).toContain('No API key found for provider "openai"');
    expect(error.message).toContain('/v1/provider-keys/add');
  });

  it('stores keys encrypted, lists them masked and never returns them', async () => {
    const added = await stack.addProviderKey(user.apiKey, 'openai', USER_OPENAI_KEY);
    expect(added.status).toBe(201);
    const addedText = await added.text();
    expect(addedText).not.toContain(USER_OPENAI_KEY);
    expect(JSON.parse(addedText)).toMatchObject({ status: 'success', provider: 'openai', key_hint: '...cdef' });
    expect((await stack.addProviderKey(user.apiKey, 'anthropic', USER_ANTHROPIC_KEY)).status).toBe(201);

    const list = await (await fetch(`${stack.url}/v1/provider-keys`, { headers: { authorization: `Bearer ${user.apiKey}` } })).text();
    expect(list).not.toContain('SECRET');
    expect(JSON.parse(list)).toMatchObject({
      data: expect.arrayContaining([expect.objectContaining({ provider: 'openai', key_hint: '...cdef' })]) as unknown,
    });

    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    const { rows } = await db.query<{ encrypted_key: string }>('SELECT encrypted_key FROM user_provider_keys WHERE user_id = $1', [
      user.userId,
    ]);
    await db.end();
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.encrypted_key).toMatch(/^gAAAAA/); // a Fernet token
      expect(row.encrypted_key).not.toContain('SECRET');
    }
  });
});

describe('chat completions through the OpenAI SDK', () => {
  it("answers without streaming, with the client's model name and the user's own provider key upstream", async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('echo: hello there');
    expect(data.model).toBe('gpt-4o-mini');
    expect(data.usage?.total_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(Number(response.headers.get('x-perpetual-overhead-ms'))).toBeGreaterThanOrEqual(0);
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('60');
    const upstream = stack.openai.requests.at(-1);
    expect(upstream?.headers.authorization).toBe(`Bearer ${USER_OPENAI_KEY}`);
    expect(upstream?.body).toMatchObject({ model: 'gpt-4o-mini-2024-07-18' });
  });

  it('streams, with usage in the final chunk only when asked for', async () => {
    const withUsage = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'one two three' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of withUsage) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('echo: one two three');
    expect(usage?.completion_tokens).toBeGreaterThan(0);

    const without = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'no usage please' }],
      stream: true,
    });
    const chunks = [];
    for await (const chunk of without) chunks.push(chunk);
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('echo: no usage please');
  });

  it("translates to Anthropic's Messages API and back, streaming and not", async () => {
    const reply = await client.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hi claude' },
      ],
    });
    expect(reply.choices[0]?.message.content).toBe('echo: hi claude');
    expect(reply.choices[0]?.finish_reason).toBe('stop');
    const upstream = stack.anthropic.requests.at(-1);
    expect(upstream?.headers['x-api-key']).toBe(USER_ANTHROPIC_KEY);
    expect(upstream?.body).toMatchObject({ model: 'claude-sonnet-4-5', system: 'be brief' });

    const stream = await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'stream it' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('echo: stream it');
    expect(usage?.prompt_tokens).toBeGreaterThan(0);
  });

  it('falls back to the configured model when the first one is down', async () => {
    stack.openai.behaviour = { ...stack.openai.behaviour, failFirst: { count: 3, status: 503 } };
    const reply = await client.chat.completions.create({ model: 'flaky', messages: [{ role: 'user', content: 'are you there' }] });
    expect(reply.choices[0]?.message.content).toBe('echo: are you there');
    expect(stack.openai.requests.at(-1)?.body).toMatchObject({ model: 'gpt-4o-mini-2024-07-18' });
    stack.openai.behaviour = { ...stack.openai.behaviour, failFirst: undefined };
  });

  it('aborts the upstream call when the client disconnects', async () => {
    stack.openai.behaviour = { ...stack.openai.behaviour, hang: true };
    const controller = new AbortController();
    const request = fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      signal: controller.signal,
      headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'wait' }], stream: true }),
    }).catch(() => undefined);
    const abortsBefore = stack.openai.clientAborts;
    const requestsBefore = stack.openai.requests.length;
    await eventually(() => {
      expect(stack.openai.requests.length).toBeGreaterThan(requestsBefore);
    });
    controller.abort();
    await request;
    await eventually(() => {
      expect(stack.openai.clientAborts).toBeGreaterThan(abortsBefore);
    }, 5000);
    stack.openai.behaviour = { ...stack.openai.behaviour, hang: false };
  });

  it("serves embeddings and lists the configured models, and those the user's provider keys reach", async () => {
    const embedding = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
    expect(embedding.data).toHaveLength(2);
    const models = await client.models.list();
    // "gpt-stub" is what the OpenAI stub lists for the user's OpenAI key.
    expect(models.data.map((m) => m.id).sort()).toEqual(['claude', 'flaky', 'gpt-4o-mini', 'gpt-stub']);
  });
});

describe('bad input', () => {
  it.each([
    ['malformed JSON', '{"model": ', 400, 'invalid_json'],
    ['a missing model', JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }), 400, 'missing_model'],
    ['an unknown model', JSON.stringify({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }), 404, 'model_not_found'],
    [
      'an oversized body',
      JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(17 * 1024 * 1024) }] }),
      413,
      'request_too_large',
    ],
  ])('answers %s with an OpenAI-shaped error', async (_what, body, status, code) => {
    const res = await post('/v1/chat/completions', body);
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ error: { code, type: expect.any(String) as string, message: expect.any(String) as string } });
  });

  it('answers an unknown endpoint with a 404 in the same shape', async () => {
    const res = await fetch(`${stack.url}/v1/nothing-here`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'unknown_endpoint' } });
  });
});

describe('usage', () => {
  it('logs a usage_logs row per request with cost, and shows the user their own usage', async () => {
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      const rows = await eventually(async () => {
        const { rows } = await db.query<Record<string, unknown>>(
          "SELECT * FROM usage_logs WHERE user_id = $1 AND model = 'gpt-4o-mini' AND status_code = 200",
          [user.userId],
        );
        expect(rows.length).toBeGreaterThanOrEqual(3);
        return rows;
      }, 10_000);
      const row = rows[0] ?? {};
      for (const column of [
        'user_id',
        'timestamp',
        'input_tokens',
        'output_tokens',
        'total_tokens',
        'retrieval_calls',
        'cost_usd',
        'model',
        'endpoint',
        'status_code',
        'latency_ms',
        'request_id',
        'provider',
      ]) {
        expect(row[column], column).not.toBeNull();
      }
      expect(row.endpoint).toBe('/v1/chat/completions');
      expect(Number(row.cost_usd)).toBeGreaterThan(0);
      const { rows: totals } = await db.query<{ total_requests: number }>('SELECT total_requests FROM users WHERE id = $1', [user.userId]);
      expect(totals[0]?.total_requests).toBeGreaterThanOrEqual(3);
    } finally {
      await db.end();
    }
    const usage = (await (await fetch(`${stack.url}/v1/usage`, { headers: { authorization: `Bearer ${user.apiKey}` } })).json()) as {
      data: unknown[];
      totals: { requests: number };
    };
    expect(usage.data.length).toBeGreaterThanOrEqual(3);
    expect(usage.totals.requests).toBeGreaterThanOrEqual(3);
  });
});

describe('secrets', () => {
  it("never appear in the gateway's logs", async () => {
    await eventually(() => {
      expect(stack.gateways[0]?.logs()).toContain('Gateway listening');
    });
    const logs = stack.gateways[0]?.logs() ?? '';
    const password = new URL(stack.databaseUrl).password;
    for (const secret of [USER_OPENAI_KEY, USER_ANTHROPIC_KEY, user.apiKey, TEST_ADMIN_TOKEN, TEST_ENCRYPTION_KEY, password]) {
      expect(logs).not.toContain(secret);
    }
  });
});
