// The legacy Completions API (/v1/completions, what FIM and autocomplete tools call) and the model
// endpoints (/v1/models, /v1/models/{id}) through the official OpenAI SDK, against a real gateway
// process: proxy mode in front of protocol stubs, and local mode in front of the vLLM stand-in.
import OpenAI from 'openai';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { startInferenceSim, type InferenceSim } from '../harness/inference-sim.ts';
import { startOpenAIUpstream, type OpenAIUpstream } from '../stubs/openai-upstream.ts';
import { eventually } from '../support/eventually.ts';
import { startStack, USER_OPENAI_KEY, type Stack } from '../support/gateway-stack.ts';

const GROQ_KEY = 'gsk-carol-SECRET-0123456789abcdef';
const WRONG_GROQ_KEY = 'gsk-dave-SECRET-wrong-0123456789';

const CONFIG = {
  mode: 'proxy',
  models: [
    {
      name: 'gpt-4o-mini',
      provider: 'openai',
      upstreamModel: 'gpt-4o-mini-2024-07-18',
      pricing: { inputPerMillionTokens: 150_000, outputPerMillionTokens: 600_000 },
    },
    { name: 'claude', provider: 'anthropic', upstreamModel: 'claude-sonnet-4-5' },
  ],
};

/** What the OpenAI stub lists for the user's OpenAI key. */
const OPENAI_MODELS = ['gpt-4o-mini-2024-07-18', 'gpt-3.5-turbo-instruct', 'whisper-1'];

let stack: Stack;
/** A second OpenAI-compatible provider ("groq"): its models belong only to users with a groq key. */
let groq: OpenAIUpstream;

function clientFor(apiKey: string): OpenAI {
  return new OpenAI({ apiKey, baseURL: `${stack.url}/v1`, maxRetries: 0 });
}

async function userWith(keys: Record<string, string>): Promise<OpenAI> {
  const { apiKey } = await stack.newUser('pro');
  for (const [provider, key] of Object.entries(keys)) expect((await stack.addProviderKey(apiKey, provider, key)).status).toBe(201);
  return clientFor(apiKey);
}

async function modelIds(client: OpenAI): Promise<string[]> {
  const page = await client.models.list();
  return page.data.map((m) => m.id).sort();
}

beforeAll(async () => {
  groq = await startOpenAIUpstream({ apiKey: GROQ_KEY, models: ['llama-3.1-8b-instant', 'mixtral-8x7b'] });
  stack = await startStack({
    postgresUrl: inject('postgresUrl'),
    redisUrl: inject('redisUrl'),
    config: CONFIG,
    env: { GROQ_BASE_URL: groq.url },
  });
  stack.openai.behaviour = { ...stack.openai.behaviour, models: OPENAI_MODELS };
});

afterAll(async () => {
  await stack.stop();
  await groq.close();
});

describe('POST /v1/completions (proxy mode)', () => {
  it("passes a completion through with the user's key and the upstream's model name, and answers in the client's", async () => {
    const client = await userWith({ openai: USER_OPENAI_KEY });
    const { data, response } = await client.completions
      .create({ model: 'gpt-4o-mini', prompt: 'def fib(n):', max_tokens: 16, suffix: '\n    return x' })
      .withResponse();
    expect(data.object).toBe('text_completion');
    expect(data.model).toBe('gpt-4o-mini');
    expect(data.choices[0]?.text).toBe('echo: def fib(n):');
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.usage?.total_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('60');
    expect(response.headers.get('x-perpetual-model')).toBe('gpt-4o-mini');
    const upstream = stack.openai.requests.at(-1);
    expect(upstream?.path).toBe('/v1/completions');
    expect(upstream?.headers.authorization).toBe(`Bearer ${USER_OPENAI_KEY}`);
    // Raw text in, raw text out: nothing is added to the prompt.
    expect(upstream?.body).toEqual({ model: 'gpt-4o-mini-2024-07-18', prompt: 'def fib(n):', max_tokens: 16, suffix: '\n    return x' });
  });

  it('streams, with a usage chunk only when asked for, and leaves nothing in flight', async () => {
    const client = await userWith({ openai: USER_OPENAI_KEY });
    const withUsage = await client.completions.create({
      model: 'gpt-4o-mini',
      prompt: 'one two three',
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of withUsage) {
      expect(chunk.object).toBe('text_completion');
      expect(chunk.model).toBe('gpt-4o-mini');
      text += chunk.choices[0]?.text ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('echo: one two three');
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(stack.openai.requests.at(-1)?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });

    const without = await client.completions.create({ model: 'gpt-4o-mini', prompt: ['no usage please'], stream: true });
    const chunks = [];
    for await (const chunk of without) chunks.push(chunk);
    expect(chunks.some((c) => 'usage' in c)).toBe(false);
    expect(chunks.map((c) => c.choices[0]?.text ?? '').join('')).toBe('echo: no usage please');

    const metrics = await (await fetch(`${stack.url}/prometheus`)).text();
    expect(metrics).toMatch(/perpetual_inflight_requests\{model="gpt-4o-mini"\} 0/);
  });

  it('accepts token arrays as the prompt', async () => {
    const client = await userWith({ openai: USER_OPENAI_KEY });
    const single = await client.completions.create({ model: 'gpt-4o-mini', prompt: [15339, 1917] });
    expect(single.choices).toHaveLength(1);
    const batch = await client.completions.create({ model: 'gpt-4o-mini', prompt: [[15339], [1917, 11]] });
    expect(batch.choices.map((c) => c.index)).toEqual([0, 1]);
  });

  it('logs a usage row with the completions endpoint and the configured price', async () => {
    const { apiKey, userId } = await stack.newUser('pro');
    await stack.addProviderKey(apiKey, 'openai', USER_OPENAI_KEY);
    await clientFor(apiKey).completions.create({ model: 'gpt-4o-mini', prompt: 'bill me' });
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      const row = await eventually(async () => {
        const { rows } = await db.query<{
          endpoint: string;
          cost_usd: string;
          status_code: number;
          input_tokens: number;
          output_tokens: number;
          provider: string;
        }>('SELECT * FROM usage_logs WHERE user_id = $1', [userId]);
        expect(rows).toHaveLength(1);
        return rows[0];
      }, 10_000);
      expect(row).toMatchObject({ endpoint: '/v1/completions', status_code: 200, model: 'gpt-4o-mini', provider: 'openai' });
      expect(row?.input_tokens).toBeGreaterThan(0);
      expect(Number(row?.cost_usd)).toBeCloseTo(((row?.input_tokens ?? 0) * 150_000 + (row?.output_tokens ?? 0) * 600_000) / 1_000_000, 6);
    } finally {
      await db.end();
    }
  });

  it('refuses a model served by Anthropic, which has no legacy completions, with a 400 naming the model (key or not)', async () => {
    const requestsBefore = stack.anthropic.requests.length;
    const err = await (await userWith({})).completions.create({ model: 'claude', prompt: 'hi' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, code: 'completions_not_supported', param: 'model' });
    expect((err as Error).message).toContain('/v1/chat/completions');
    const withKey = await userWith({ anthropic: 'sk-ant-anything-0123456789' });
    const streamed = await withKey.completions.create({ model: 'claude-sonnet-4-5', prompt: 'hi', stream: true }).catch((e: unknown) => e);
    expect(streamed).toMatchObject({ status: 400, code: 'completions_not_supported' });
    expect(stack.anthropic.requests.length).toBe(requestsBefore);
  });

  it.each([
    ['a missing prompt', { model: 'gpt-4o-mini' }, 'prompt'],
    ['an object prompt', { model: 'gpt-4o-mini', prompt: { text: 'x' } }, 'prompt'],
    ['a mixed array prompt', { model: 'gpt-4o-mini', prompt: ['x', 1] }, 'prompt'],
    ['an empty array prompt', { model: 'gpt-4o-mini', prompt: [] }, 'prompt'],
    ['a fractional token', { model: 'gpt-4o-mini', prompt: [1.5] }, 'prompt'],
    ['a missing model', { prompt: 'x' }, 'model'],
    ['a model name with a newline', { model: 'gpt\n4', prompt: 'x' }, 'model'],
    ['a non-boolean stream', { model: 'gpt-4o-mini', prompt: 'x', stream: 'yes' }, 'stream'],
  ])('answers %s with a 400 naming the parameter', async (_what, body, param) => {
    const { apiKey } = await stack.newUser('pro');
    const requestsBefore = stack.openai.requests.length;
    const res = await fetch(`${stack.url}/v1/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', param } });
    expect(stack.openai.requests.length).toBe(requestsBefore);
  });
});

describe('GET /v1/models/{id}', () => {
  it("returns a configured model in OpenAI's shape", async () => {
    const client = await userWith({});
    const model = await client.models.retrieve('gpt-4o-mini');
    expect(model).toEqual({ id: 'gpt-4o-mini', object: 'model', created: expect.any(Number) as number, owned_by: 'perpetual' });
  });

  it("answers an unknown model with OpenAI's 404", async () => {
    const client = await userWith({});
    const err = await client.models.retrieve('no-such-model').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err).toMatchObject({ status: 404, code: 'model_not_found', param: 'model', type: 'invalid_request_error' });
  });

  it('answers hostile ids with a short 4xx', async () => {
    const { apiKey } = await stack.newUser('pro');
    for (const id of ['%ZZ', '%00', 'x'.repeat(3000), '..%2F..%2Fadmin']) {
      const res = await fetch(`${stack.url}/v1/models/${id}`, { headers: { authorization: `Bearer ${apiKey}` } });
      expect(res.status, id).toBeGreaterThanOrEqual(400);
      expect(res.status, id).toBeLessThan(500);
      expect((await res.text()).length).toBeLessThan(1000);
    }
  });
});

describe('GET /v1/models', () => {
  it("lists the configured models and those the user's own provider keys reach, by names that route back to them", async () => {
    const client = await userWith({ openai: USER_OPENAI_KEY });
    const page = await client.models.list();
    expect(page.data.map((m) => m.id).sort()).toEqual([
      'claude',
      'gpt-3.5-turbo-instruct',
      'gpt-4o-mini',
      'gpt-4o-mini-2024-07-18',
      'openai/whisper-1',
    ]);
    expect(page.data.find((m) => m.id === 'claude')?.owned_by).toBe('perpetual');
    expect(page.data.find((m) => m.id === 'openai/whisper-1')?.owned_by).toBe('openai');
    expect(stack.openai.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/v1/models',
      headers: { authorization: `Bearer ${USER_OPENAI_KEY}` },
    });
    // A listed name is one the gateway serves.
    const reply = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'listed' });
    expect(reply.choices[0]?.text).toBe('echo: listed');
    expect((await client.models.retrieve('openai/whisper-1')).owned_by).toBe('openai');
  });

  it('lists only the configured models for a user without provider keys', async () => {
    const client = await userWith({});
    expect(await modelIds(client)).toEqual(['claude', 'gpt-4o-mini']);
    await expect(client.models.retrieve('gpt-3.5-turbo-instruct')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("never shows one user's provider models to another", async () => {
    const carol = await userWith({ groq: GROQ_KEY });
    const alice = await userWith({ openai: USER_OPENAI_KEY });
    const carolIds = await modelIds(carol);
    const aliceIds = await modelIds(alice);
    expect(carolIds).toEqual(['claude', 'gpt-4o-mini', 'groq/llama-3.1-8b-instant', 'groq/mixtral-8x7b']);
    expect(aliceIds).not.toContain('groq/llama-3.1-8b-instant');
    expect(aliceIds).toContain('gpt-3.5-turbo-instruct');
    expect((await carol.models.retrieve('groq/llama-3.1-8b-instant')).owned_by).toBe('groq');
    await expect(alice.models.retrieve('groq/llama-3.1-8b-instant')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('answers from the configured list when a provider refuses the key, without leaking it', async () => {
    const dave = await userWith({ groq: WRONG_GROQ_KEY });
    expect(await modelIds(dave)).toEqual(['claude', 'gpt-4o-mini']);
    expect(groq.requests.at(-1)?.headers.authorization).toBe(`Bearer ${WRONG_GROQ_KEY}`);
    // The stub echoes the whole refused key in its error, as a real provider may echo part of it.
    expect(stack.gateways[0]?.logs()).not.toContain(WRONG_GROQ_KEY);
    expect(stack.gateways[0]?.logs()).not.toContain(GROQ_KEY);
  });

  it('does not wait for a provider that hangs', async () => {
    const erin = await userWith({ groq: GROQ_KEY });
    groq.behaviour = { ...groq.behaviour, hang: true };
    try {
      const started = Date.now();
      expect(await modelIds(erin)).toEqual(['claude', 'gpt-4o-mini']);
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      groq.behaviour = { ...groq.behaviour, hang: false };
    }
  });
});

describe('local mode (the vLLM stand-in)', () => {
  let sim: InferenceSim;
  let local: Stack;

  beforeAll(async () => {
    sim = await startInferenceSim({ model: 'perpetual-test/coder-sim' });
    local = await startStack({
      postgresUrl: inject('postgresUrl'),
      redisUrl: inject('redisUrl'),
      config: { mode: 'local', models: [{ name: 'coder', modelServer: 'coder', endpoint: `${sim.url}/v1`, upstreamModel: sim.model }] },
    });
  });

  afterAll(async () => {
    await local.stop();
    await sim.stop();
  });

  it("completes, streaming and not, lists and retrieves the ModelServer's model", async () => {
    const { apiKey } = await local.newUser('pro');
    const client = new OpenAI({ apiKey, baseURL: `${local.url}/v1`, maxRetries: 0 });
    const reply = await client.completions.create({ model: 'coder', prompt: 'the blue door', max_tokens: 8 });
    expect(reply.model).toBe('coder');
    expect(reply.choices[0]?.text.length).toBeGreaterThan(0);
    expect(reply.usage?.prompt_tokens).toBeGreaterThan(0);
    const stream = await client.completions.create({
      model: 'coder',
      prompt: 'streamed words here',
      max_tokens: 8,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usage?.total_tokens).toBeGreaterThan(0);
    expect(await modelIds(client)).toEqual(['coder']);
    expect(await client.models.retrieve('coder')).toMatchObject({ id: 'coder', object: 'model', owned_by: 'perpetual' });
  });
});
