// The whole HTTP surface built by createApp, in process on port 0, around fakes: API keys in a
// map, responses in memory, a scripted provider, a counting rate limiter and recording accounting.
// What a test here proves is the wiring server.ts lists: which endpoints are authenticated, body
// checked and rate limited, in which order, in which error dialect; the gateway tier proves the
// same against the real PostgreSQL, Redis and protocol stubs.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey, hashApiKey } from './auth/api-key.ts';
import type { CompletedRequest, FailedRequest } from './chat/accounting.ts';
import { loadConfig, type GatewayConfig } from './config.ts';
import { KeyRing } from './crypto/key-ring.ts';
import type { ResponseScope, StoredResponse } from './db/responses.ts';
import { LastUsedTracker } from './keys/last-used.ts';
import { TtlCache } from './keys/ttl-cache.ts';
import { requireAdmin, requireApiKey, requireUserJwt, type ApiKeyRecord, type Principal } from './middleware/authenticate.ts';
import { makeMetrics } from './observability/metrics.ts';
import { tokenClocks } from './observability/token-latency.ts';
import type { ChatCompletionChunk, ChatCompletionRequest } from './protocols/openai/types.ts';
import type { ChatStream, ProviderClient } from './providers/provider-client.ts';
import { rateLimitError } from './ratelimit/rate-limit-error.ts';
import { rateLimitHeaders } from './ratelimit/headers.ts';
import { decide } from './ratelimit/result.ts';
import { createApp, type AppDeps } from './server.ts';
import type { Store } from './store.ts';

const silent = pino({ level: 'silent' });
const ENCRYPTION_KEY = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';
const USAGE = { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 };

/** Accounts by API key; `limit` is the key's own per-minute limit (its tier is none of the configured ones). */
const ACCOUNTS = {
  alice: { limit: 1000 },
  bob: { limit: 1000 },
  /** Two requests a minute. */
  tight: { limit: 2 },
  /** Refused by the rate limiter every time. */
  blocked: { limit: 0 },
  /** Held by its scopes to claude-test, through chat completions and the Messages API. */
  scoped: { limit: 1000 },
  /** Held by its scopes to claude-test, on every endpoint. */
  oneModel: { limit: 1000 },
  /** Expired a minute ago. */
  expired: { limit: 1000 },
  /** Rotated; its grace period ended a second ago. */
  rotated: { limit: 1000 },
};
type Account = keyof typeof ACCOUNTS;
const keys = Object.fromEntries(Object.keys(ACCOUNTS).map((name) => [name, issueApiKey().key])) as Record<Account, string>;
const LIFECYCLE: Partial<Record<Account, Partial<ApiKeyRecord>>> = {
  scoped: { scopes: { models: ['claude-test'], endpoints: ['/chat/completions', '/messages'] } },
  oneModel: { scopes: { models: ['claude-test'] } },
  expired: { expiresAt: Date.now() - 60_000 },
  rotated: { graceUntil: Date.now() - 1000, expiresAt: Date.now() + 3_600_000 },
};
const records = new Map(
  Object.entries(ACCOUNTS).map(([name, { limit }]) => [
    hashApiKey(keys[name as Account]),
    {
      id: `key-${name}`,
      userId: `user-${name}`,
      tier: 'custom',
      rateLimitPerMinute: limit,
      rateLimitPerDay: 100_000,
      ...LIFECYCLE[name as Account],
    } satisfies ApiKeyRecord,
  ]),
);

/** What the fakes saw. */
const seen = {
  upstream: [] as { call: string; body: unknown }[],
  limiterChecks: [] as string[],
  responseReads: [] as string[],
  completed: [] as CompletedRequest[],
  failed: [] as FailedRequest[],
};
const counts = new Map<string, number>();

afterEach(() => {
  seen.upstream.length = 0;
  seen.limiterChecks.length = 0;
  seen.responseReads.length = 0;
  seen.completed.length = 0;
  seen.failed.length = 0;
  counts.clear();
});

/** The real limiter's decision, headers and 429, over an in-memory count instead of Redis. */
function fakeRateLimit(principal: Principal): Promise<Record<string, string>> {
  const keyId = principal.keyId ?? principal.userId;
  seen.limiterChecks.push(keyId);
  const count = (counts.get(keyId) ?? 0) + 1;
  counts.set(keyId, count);
  const request = { keyId, perMinute: principal.limits.requestsPerMinute, perDay: principal.limits.requestsPerDay };
  const result = decide(request, { allowed: count <= request.perMinute, minuteCount: count, dayCount: count }, Date.now());
  if (!result.allowed) return Promise.reject(rateLimitError(result, principal.tier));
  return Promise.resolve(rateLimitHeaders(result));
}

function lastText(body: ChatCompletionRequest): string {
  const content = body.messages.at(-1)?.content;
  return typeof content === 'string' ? content : '';
}

const provider: ProviderClient = {
  chat: (body) => {
    seen.upstream.push({ call: 'chat', body });
    const response = {
      id: 'chatcmpl-1',
      object: 'chat.completion' as const,
      created: 1,
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant' as const, content: `echo: ${lastText(body)}` }, finish_reason: 'stop' as const }],
      usage: USAGE,
    };
    return Promise.resolve({ response, usage: USAGE, usageEstimated: false, upstreamRequestId: undefined });
  },
  chatStream: (body) => {
    seen.upstream.push({ call: 'chatStream', body });
    async function* chunks(): AsyncGenerator<ChatCompletionChunk> {
      for (const word of ['echo:', lastText(body)])
        yield {
          id: 'chatcmpl-1',
          object: 'chat.completion.chunk',
          created: 1,
          model: body.model,
          choices: [{ index: 0, delta: { content: word }, finish_reason: null }],
        };
      await Promise.resolve();
    }
    return Promise.resolve({
      upstreamRequestId: undefined,
      usage: () => ({ usage: USAGE, usageEstimated: false }),
      [Symbol.asyncIterator]: chunks,
    } satisfies ChatStream);
  },
  embeddings: (body) => {
    seen.upstream.push({ call: 'embeddings', body });
    return Promise.resolve({
      response: {
        object: 'list',
        data: [{ object: 'embedding', index: 0, embedding: [0.25, 0.75] }],
        model: body.model,
        usage: { prompt_tokens: 2, total_tokens: 2 },
      },
      usage: { prompt_tokens: 2, completion_tokens: 0, total_tokens: 2 },
      usageEstimated: false,
      upstreamRequestId: undefined,
    });
  },
  completions: (body) => {
    seen.upstream.push({ call: 'completions', body });
    return Promise.resolve({
      response: {
        id: 'cmpl-1',
        object: 'text_completion',
        created: 1,
        model: body.model,
        choices: [{ index: 0, text: ' world', finish_reason: 'stop', logprobs: null }],
        usage: USAGE,
      },
      usage: USAGE,
      usageEstimated: false,
      upstreamRequestId: undefined,
    });
  },
};

/** Stored responses in memory, scoped like the database's (account and end user). */
function memoryStore(): Store {
  const responses = new Map<string, StoredResponse>();
  const sameScope = (a: ResponseScope, b: ResponseScope): boolean => a.userId === b.userId && (a.endUser ?? null) === (b.endUser ?? null);
  const unused = (): Promise<never> => Promise.reject(new Error('not used by these tests'));
  return {
    createUser: unused,
    getUser: unused,
    setTier: unused,
    deleteUser: unused,
    insertApiKey: unused,
    listApiKeys: unused,
    revokeApiKey: unused,
    rotateApiKey: unused,
    upsertProviderKey: unused,
    listProviderKeys: unused,
    deleteProviderKey: unused,
    listUsage: unused,
    summarizeUsage: unused,
    usageReport: unused,
    getLimitOverrides: unused,
    setLimitOverrides: unused,
    recordAudit: unused,
    listAudit: unused,
    saveResponse: (stored) => {
      responses.set(stored.id, stored);
      return Promise.resolve();
    },
    getResponse: (scope, id) => {
      seen.responseReads.push(id);
      const stored = responses.get(id);
      return Promise.resolve(stored && sameScope(stored.scope, scope) ? stored : null);
    },
    deleteResponse: (scope, id) => {
      const stored = responses.get(id);
      return Promise.resolve(stored !== undefined && sameScope(stored.scope, scope) && responses.delete(id));
    },
  };
}

function testConfig(): GatewayConfig {
  const config = loadConfig({ API_KEY_ENCRYPTION_KEY: ENCRYPTION_KEY, MODE: 'proxy' });
  return {
    ...config,
    models: [
      { name: 'gpt-test', provider: 'openai', upstreamModel: 'gpt-test-upstream' },
      { name: 'claude-test', provider: 'anthropic', upstreamModel: 'claude-test-upstream' },
    ],
    providerBaseURLs: { openai: 'http://127.0.0.1:9/v1', anthropic: 'http://127.0.0.1:9' },
  };
}

let server: Server;
let base: string;
let lastUsed: LastUsedTracker;
const metrics = makeMetrics();

beforeAll(async () => {
  const config = testConfig();
  lastUsed = new LastUsedTracker({ touch: () => Promise.resolve(), log: silent });
  const deps: AppDeps = {
    config,
    log: silent,
    metrics,
    startedAt: Date.now(),
    draining: () => false,
    healthChecks: [],
    auth: {
      apiKey: requireApiKey({ cache: new TtlCache({ load: (hash) => Promise.resolve(records.get(hash)), ttlMs: 0 }), lastUsed, config }),
      userJwt: requireUserJwt(undefined),
      admin: requireAdmin(undefined),
    },
    rateLimit: fakeRateLimit,
    chat: {
      config,
      // Anthropic's API has no legacy completions; the other providers here do.
      providerFor: (kind) => (kind === 'anthropic' ? { ...provider, completions: undefined, completionsStream: undefined } : provider),
      providerKey: () => Promise.resolve('sk-user-provider-key'),
      accounting: { completed: (r) => seen.completed.push(r), failed: (r) => seen.failed.push(r) },
      log: silent,
      tokenClocks: tokenClocks(metrics, new Set(config.models.map((m) => m.name))),
    },
    store: memoryStore(),
    keyRing: KeyRing.fromEnv(ENCRYPTION_KEY),
    providerKeyChanged: () => undefined,
    revoked: () => Promise.resolve(),
  };
  server = createApp(deps).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
});

afterAll(async () => {
  await lastUsed.close();
  await new Promise((resolve) => server.close(resolve));
});

function post(path: string, account: Account | undefined, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(account ? { authorization: `Bearer ${keys[account]}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const chatBody = { model: 'gpt-test', messages: [{ role: 'user', content: 'hello' }] };

/** A valid request to every endpoint that calls a model, and how its errors look. */
const LIMITED: { path: string; body: unknown; anthropic: boolean }[] = [
  { path: '/v1/chat/completions', body: chatBody, anthropic: false },
  { path: '/v1/completions', body: { model: 'gpt-test', prompt: 'hello' }, anthropic: false },
  { path: '/v1/embeddings', body: { model: 'gpt-test', input: 'hello' }, anthropic: false },
  { path: '/v1/responses', body: { model: 'gpt-test', input: 'hello' }, anthropic: false },
  { path: '/v1/messages', body: { model: 'gpt-test', max_tokens: 16, messages: [{ role: 'user', content: 'hello' }] }, anthropic: true },
  { path: '/v1/messages/count_tokens', body: { model: 'gpt-test', messages: [{ role: 'user', content: 'hello' }] }, anthropic: true },
];

describe('every endpoint that calls a model', () => {
  it.each(LIMITED)('$path answers a valid request with the X-RateLimit-* headers', async ({ path, body }) => {
    const res = await post(path, 'alice', body);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-limit-requests')).toBe('1000');
    expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('999');
    expect(seen.limiterChecks).toEqual(['key-alice']);
  });

  it.each(LIMITED)('$path answers 429 over the limit, in its dialect, before any work', async ({ path, body, anthropic }) => {
    const res = await post(path, 'blocked', body);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(res.headers.get('x-ratelimit-limit-requests')).toBe('0');
    const error: unknown = await res.json();
    if (anthropic) {
      expect(error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
      expect(res.headers.get('request-id')).toBe(res.headers.get('x-request-id'));
    } else {
      expect(error).toMatchObject({ error: { type: 'rate_limit_error', code: 'rate_limit_exceeded' } });
    }
    expect(seen.upstream).toEqual([]);
    expect(seen.responseReads).toEqual([]);
    expect([seen.completed, seen.failed]).toEqual([[], []]);
  });

  it.each(LIMITED)('$path checks the API key before the limit', async ({ path, body }) => {
    const res = await post(path, undefined, body);
    expect(res.status).toBe(401);
    expect(seen.limiterChecks).toEqual([]);
  });

  it.each(LIMITED)('$path refuses a malformed body with a 400 that costs no quota', async ({ path }) => {
    const res = await post(path, 'blocked', { model: 'gpt-test' });
    expect(res.status).toBe(400);
    expect(seen.limiterChecks).toEqual([]);
  });

  it('and no other endpoint is rate limited', async () => {
    const reads = [
      await fetch(`${base}/v1/responses/resp_nothing`, { headers: { authorization: `Bearer ${keys.blocked}` } }),
      await fetch(`${base}/v1/memories`, { headers: { authorization: `Bearer ${keys.blocked}` } }),
    ];
    expect(reads.map((r) => r.status)).toEqual([404, 503]);
    expect(seen.limiterChecks).toEqual([]);
  });
});

describe('the rate limit', () => {
  it('counts each request once, and the third of two a minute is refused', async () => {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post('/v1/chat/completions', 'tight', chatBody)).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect(seen.upstream.map((u) => u.call)).toEqual(['chat', 'chat']);
  });

  it('malformed requests do not use up the quota of the ones that follow', async () => {
    for (let i = 0; i < 3; i++) expect((await post('/v1/chat/completions', 'tight', { model: 'gpt-test', messages: [] })).status).toBe(400);
    expect((await post('/v1/chat/completions', 'tight', chatBody)).status).toBe(200);
  });

  it('a model without legacy completions is a 400 before the limit (a key would not help)', async () => {
    const res = await post('/v1/completions', 'blocked', { model: 'claude-test', prompt: 'hello' });
    expect([res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([400, 'completions_not_supported']);
  });
});

describe('key lifecycle on every endpoint that calls a model', () => {
  it.each(LIMITED)(
    '$path refuses an expired key and a rotated key past its grace period with a 401 that says so, in its dialect',
    async ({ path, body, anthropic }) => {
      for (const [account, code, words] of [
        ['expired', 'api_key_expired', /expired at \d{4}-/],
        ['rotated', 'api_key_rotated', /grace period ended at \d{4}-/],
      ] as const) {
        const res = await post(path, account, body);
        expect(res.status).toBe(401);
        const error = (await res.json()) as { type?: string; error: { type: string; code?: string; message: string } };
        expect(error.error.message).toMatch(words);
        if (anthropic) expect(error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
        else expect(error.error.code).toBe(code);
      }
      expect(seen.limiterChecks).toEqual([]);
      expect(seen.upstream).toEqual([]);
    },
  );

  it.each(LIMITED)(
    '$path refuses a key scoped to another model or endpoint with a 403 naming the scope, in its dialect, before the limit',
    async ({ path, body, anthropic }) => {
      const res = await post(path, 'scoped', body);
      expect(res.status).toBe(403);
      const error = (await res.json()) as { type?: string; error: { type: string; message: string } };
      expect(error.error.type).toBe('permission_error');
      if (anthropic) expect(error.type).toBe('error');
      // Chat completions and the Messages API (count_tokens included) are in scope: the model (gpt-test) is not.
      expect(error.error.message).toMatch(
        ['/v1/chat/completions', '/v1/messages', '/v1/messages/count_tokens'].includes(path)
          ? /scope "models" allows claude-test/
          : /scope "endpoints" allows \/chat\/completions, \/messages/,
      );
      expect(seen.limiterChecks).toEqual([]);
      expect(seen.upstream).toEqual([]);
    },
  );

  it('a scoped key reaches what its scopes allow', async () => {
    const res = await post('/v1/messages', 'scoped', {
      model: 'claude-test',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(res.status).toBe(200);
    expect(seen.limiterChecks).toEqual(['key-scoped']);
    const counted = await post('/v1/messages/count_tokens', 'scoped', {
      model: 'claude-test',
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(counted.status).toBe(200);
  });
});

describe('the models a scoped key sees', () => {
  const get = (path: string, account: Account): Promise<Response> =>
    fetch(`${base}${path}`, { headers: { authorization: `Bearer ${keys[account]}` } });

  it('lists and finds only the models its scopes allow; other keys see them all', async () => {
    const ids = async (account: Account): Promise<string[]> =>
      ((await (await get('/v1/models', account)).json()) as { data: { id: string }[] }).data.map((m) => m.id);
    expect(await ids('oneModel')).toEqual(['claude-test']);
    expect(await ids('alice')).toEqual(expect.arrayContaining(['claude-test', 'gpt-test']));
    expect((await get('/v1/models/claude-test', 'oneModel')).status).toBe(200);
    expect((await get('/v1/models/gpt-test', 'oneModel')).status).toBe(404);
    expect((await get('/v1/models/gpt-test', 'alice')).status).toBe(200);
  });
});

describe('chat completions', () => {
  it('answers JSON with how it was served, and accounts for it under /chat/completions', async () => {
    const res = await post('/v1/chat/completions', 'alice', chatBody, { 'x-conversation-id': 'conv-7' });
    expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe('echo: hello');
    expect(res.headers.get('x-perpetual-model')).toBe('gpt-test');
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    expect(seen.upstream.map((u) => (u.body as { model: string }).model)).toEqual(['gpt-test']);
    expect(seen.completed.map((r) => [r.endpoint, r.status, r.principal.userId, r.ext.conversationId])).toEqual([
      ['chat', 200, 'user-alice', 'conv-7'],
    ]);
  });

  it('streams server-sent events ending in [DONE]', async () => {
    const res = await post('/v1/chat/completions', 'alice', { ...chatBody, stream: true });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    expect(text).toContain('"content":"echo:"');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('a stream is timed in /prometheus: time to first token and inter-token latency by model and endpoint, no user in the labels', async () => {
    const series = async (): Promise<Record<string, number>> => {
      const text = await (await fetch(`${base}/prometheus`)).text();
      return Object.fromEntries(
        [...text.matchAll(/^(perpetual_(?:time_to_first_token|inter_token_latency)_seconds_count\{[^}]*\}) (\d+)$/gm)].map((m) => [
          m[1] ?? '',
          Number(m[2]),
        ]),
      );
    };
    const before = await series();
    await (await post('/v1/chat/completions', 'alice', { ...chatBody, stream: true })).text();
    const after = await series();
    // Two chunks with text ("echo:", "hello"): one first token, one gap between tokens.
    const labels = '{model="gpt-test",endpoint="/v1/chat/completions"}';
    expect(Object.keys(after)).toEqual([
      `perpetual_time_to_first_token_seconds_count${labels}`,
      `perpetual_inter_token_latency_seconds_count${labels}`,
    ]);
    expect(Object.entries(after).map(([name, count]) => count - (before[name] ?? 0))).toEqual([1, 1]);
  });

  it("an unknown model is a 404 in OpenAI's shape, accounted as failed", async () => {
    const res = await post('/v1/chat/completions', 'alice', { ...chatBody, model: 'no-such-model' });
    expect([res.status, await res.json()]).toMatchObject([404, { error: { code: 'model_not_found', param: 'model' } }]);
    expect(seen.failed.map((r) => r.status)).toEqual([404]);
  });
});

describe('embeddings', () => {
  it('reach the provider with the request as sent (no chat body), and are accounted under /embeddings', async () => {
    const res = await post('/v1/embeddings', 'alice', { model: 'gpt-test', input: ['a', 'b'] });
    expect(((await res.json()) as { data: { embedding: number[] }[] }).data[0]?.embedding).toEqual([0.25, 0.75]);
    expect(seen.upstream).toEqual([{ call: 'embeddings', body: { model: 'gpt-test', input: ['a', 'b'] } }]);
    expect(seen.completed.map((r) => [r.endpoint, r.body.model, r.memory?.calls])).toEqual([['embeddings', 'gpt-test', 0]]);
  });
});

describe('the Messages API', () => {
  it("answers in Anthropic's shape with its request-id header", async () => {
    const res = await post('/v1/messages', 'alice', { model: 'gpt-test', max_tokens: 16, messages: [{ role: 'user', content: 'hello' }] });
    expect(await res.json()).toMatchObject({ type: 'message', role: 'assistant', content: [{ type: 'text', text: 'echo: hello' }] });
    expect(res.headers.get('request-id')).toBe(res.headers.get('x-request-id'));
  });

  it("answers errors under /messages in Anthropic's shape: malformed JSON, a bad body, no key, an unknown path", async () => {
    const answers = [
      await post('/v1/messages', 'alice', '{"model": '),
      await post('/v1/messages', 'alice', { model: 'gpt-test' }),
      await post('/v1/messages', undefined, { model: 'gpt-test', max_tokens: 1, messages: [] }),
      await post('/v1/messages/batches', 'alice', {}),
    ];
    const bodies = await Promise.all(answers.map((r) => r.json()));
    expect(answers.map((r) => r.status)).toEqual([400, 400, 401, 404]);
    for (const body of bodies)
      expect(body).toMatchObject({ type: 'error', error: { type: expect.any(String) as string, message: expect.any(String) as string } });
    for (const res of answers) expect(res.headers.get('request-id')).toBe(res.headers.get('x-request-id'));
  });

  it("count_tokens estimates a non-Anthropic model's prompt without an upstream call", async () => {
    const res = await post('/v1/messages/count_tokens', 'alice', { model: 'gpt-test', messages: [{ role: 'user', content: 'hello' }] });
    expect([res.headers.get('x-perpetual-token-count'), await res.json()]).toMatchObject([
      'estimate',
      { input_tokens: expect.any(Number) as number },
    ]);
    expect(seen.upstream).toEqual([]);
  });
});

describe('the Responses API', () => {
  async function create(account: Account, body: Record<string, unknown>): Promise<Response> {
    return post('/v1/responses', account, { model: 'gpt-test', ...body });
  }

  it('continues a stored response by previous_response_id within the account', async () => {
    const first = (await (await create('alice', { input: 'my name is Ada' })).json()) as { id: string };
    const second = await create('alice', { input: 'what is my name?', previous_response_id: first.id });
    expect(second.status).toBe(200);
    const sent = seen.upstream.at(-1)?.body as ChatCompletionRequest;
    expect(sent.messages.map((m) => m.content)).toEqual(['my name is Ada', 'echo: my name is Ada', 'what is my name?']);
  });

  it("answers another account's previous_response_id exactly as an unknown one: a 404 that reveals nothing", async () => {
    const alices = (await (await create('alice', { input: 'secret plans' })).json()) as { id: string };
    const foreign = await create('bob', { input: 'continue', previous_response_id: alices.id });
    const unknown = await create('bob', { input: 'continue', previous_response_id: 'resp_0123456789abcdef0123456789abcdef' });
    const [foreignError, unknownError] = (await Promise.all([foreign.json(), unknown.json()])) as {
      error: { message: string; code: string; param: string };
    }[];
    expect([foreign.status, unknown.status]).toEqual([404, 404]);
    expect(foreignError?.error.message.replace(alices.id, '<id>')).toBe(
      unknownError?.error.message.replace('resp_0123456789abcdef0123456789abcdef', '<id>'),
    );
    expect(foreignError?.error.param).toBe('previous_response_id');
    expect(JSON.stringify(foreignError)).not.toContain('secret plans');
    expect(seen.upstream.filter((u) => u.call === 'chat')).toHaveLength(1);
  });

  it('reads a stored response only after the limit allowed the request', async () => {
    const res = await create('blocked', { input: 'continue', previous_response_id: 'resp_0123456789abcdef0123456789abcdef' });
    expect(res.status).toBe(429);
    expect(seen.responseReads).toEqual([]);
  });
});

describe('everything else', () => {
  it("an unknown endpoint is a 404 in OpenAI's shape", async () => {
    const res = await fetch(`${base}/v1/nothing-here`);
    expect([res.status, await res.json()]).toMatchObject([404, { error: { code: 'unknown_endpoint' } }]);
  });

  it('/health answers without credentials', async () => {
    const res = await fetch(`${base}/health`);
    expect([res.status, await res.json()]).toMatchObject([200, { status: 'healthy' }]);
  });
});
