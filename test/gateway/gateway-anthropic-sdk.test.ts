// The Anthropic-compatible ingress (POST /v1/messages) end to end: the official Anthropic SDK uses
// the gateway as its base URL, against a claude model (Anthropic upstream) and an OpenAI model
// (OpenAI upstream), JSON and streamed, with a tool-use round trip, and gets Anthropic's error
// shapes and SDK exception classes back, including for errors raised by shared middleware.
import Anthropic from '@anthropic-ai/sdk';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { eventually } from '../support/eventually.ts';
import { TEST_ADMIN_TOKEN } from '../support/gateway.ts';
import { startStack, USER_ANTHROPIC_KEY, USER_OPENAI_KEY, type Stack } from '../support/gateway-stack.ts';

let stack: Stack;
let user: { userId: string; apiKey: string };
let client: Anthropic;

const CLAUDE = 'claude-sonnet-4-6';
const GPT = 'gpt-4o-mini';
const CONFIG = {
  mode: 'proxy',
  models: [{ name: GPT, provider: 'openai', upstreamModel: 'gpt-4o-mini-2024-07-18' }],
  tiers: { free: { requestsPerMinute: 2, requestsPerDay: 1000 } },
};

const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'The weather in a city',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
};

function sdk(apiKey: string): Anthropic {
  return new Anthropic({ apiKey, baseURL: stack.url, maxRetries: 0, timeout: 20_000 });
}

beforeAll(async () => {
  stack = await startStack({ postgresUrl: inject('postgresUrl'), redisUrl: inject('redisUrl'), config: CONFIG });
  user = await stack.newUser('pro');
  expect((await stack.addProviderKey(user.apiKey, 'openai', USER_OPENAI_KEY)).status).toBe(201);
  expect((await stack.addProviderKey(user.apiKey, 'anthropic', USER_ANTHROPIC_KEY)).status).toBe(201);
  client = sdk(user.apiKey);
});

afterAll(async () => {
  await stack.stop();
});

async function postMessages(body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${stack.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': user.apiKey, 'anthropic-version': '2023-06-01', 'content-type': 'application/json', ...headers },
    body,
  });
}

/** The `event:` names of an SSE body, in order. */
function eventNames(sse: string): string[] {
  return [...sse.matchAll(/^event: (\S+)$/gm)].map((m) => m[1] ?? '');
}

describe('messages without streaming', () => {
  it("reach the Anthropic upstream for a claude model, with the user's own key", async () => {
    const { data, response } = await client.messages
      .create({ model: CLAUDE, max_tokens: 64, system: 'be brief', messages: [{ role: 'user', content: 'hello claude' }] })
      .withResponse();
    expect(data).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: CLAUDE,
      stop_reason: 'end_turn',
      stop_sequence: null,
      content: [{ type: 'text', text: 'echo: hello claude' }],
    });
    expect(data.id).toMatch(/^msg_/);
    expect(data.usage.input_tokens).toBeGreaterThan(0);
    expect(data.usage.output_tokens).toBeGreaterThan(0);
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('60');
    const upstream = stack.anthropic.requests.at(-1);
    expect(upstream?.headers['x-api-key']).toBe(USER_ANTHROPIC_KEY);
    expect(upstream?.body).toMatchObject({
      model: CLAUDE,
      system: 'be brief',
      max_tokens: 64,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hello claude' }] }],
    });
  });

  it('reach the OpenAI upstream for a GPT model, translated both ways', async () => {
    const data = await client.messages.create({
      model: GPT,
      max_tokens: 32,
      system: [{ type: 'text', text: 'be brief', cache_control: { type: 'ephemeral' } }],
      stop_sequences: ['END'],
      metadata: { user_id: 'end-user-7' },
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hello gpt' }] }],
    });
    expect(data).toMatchObject({
      type: 'message',
      model: GPT,
      stop_reason: 'end_turn',
      content: [{ type: 'text', text: 'echo: hello gpt' }],
    });
    expect(data.usage.output_tokens).toBeGreaterThan(0);
    const upstream = stack.openai.requests.at(-1);
    expect(upstream?.headers.authorization).toBe(`Bearer ${USER_OPENAI_KEY}`);
    expect(upstream?.body).toEqual({
      model: 'gpt-4o-mini-2024-07-18',
      // OpenAI gets max_completion_tokens and no cache_control (it rejects unknown fields).
      max_completion_tokens: 32,
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello gpt' },
      ],
      stop: ['END'],
      user: 'end-user-7',
    });
  });
});

describe('messages streamed', () => {
  it("stream a claude model through the SDK's message stream", async () => {
    const stream = client.messages.stream({ model: CLAUDE, max_tokens: 64, messages: [{ role: 'user', content: 'stream it please' }] });
    let text = '';
    stream.on('text', (delta) => {
      text += delta;
    });
    const message = await stream.finalMessage();
    expect(text).toBe('echo: stream it please');
    expect(message).toMatchObject({ model: CLAUDE, stop_reason: 'end_turn', content: [{ type: 'text', text: 'echo: stream it please' }] });
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
  });

  it('stream a GPT model, asking the upstream for usage', async () => {
    const message = await client.messages
      .stream({ model: GPT, max_tokens: 64, messages: [{ role: 'user', content: 'one two three' }] })
      .finalMessage();
    expect(message).toMatchObject({ model: GPT, stop_reason: 'end_turn', content: [{ type: 'text', text: 'echo: one two three' }] });
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(stack.openai.requests.at(-1)?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it("send Anthropic's events in Anthropic's order, authenticated by x-api-key", async () => {
    const res = await postMessages(
      JSON.stringify({ model: GPT, max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'a b' }] }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const names = eventNames(await res.text());
    expect(names).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
  });

  it('end a stream that fails midway with an error event the SDK throws', async () => {
    stack.anthropic.behaviour = { ...stack.anthropic.behaviour, errorAfterDeltas: 1 };
    try {
      const stream = client.messages.stream({ model: CLAUDE, max_tokens: 64, messages: [{ role: 'user', content: 'this will break' }] });
      await expect(stream.finalMessage()).rejects.toMatchObject({ error: { type: 'error', error: { type: 'overloaded_error' } } });
    } finally {
      stack.anthropic.behaviour = { ...stack.anthropic.behaviour, errorAfterDeltas: undefined };
    }
  });
});

describe('tool use', () => {
  it('round-trips a tool call with a claude model', async () => {
    stack.anthropic.behaviour = { ...stack.anthropic.behaviour, toolUse: { name: 'get_weather', input: { city: 'Paris' } } };
    const question = { role: 'user' as const, content: 'weather in Paris?' };
    const first = await client.messages.create({
      model: CLAUDE,
      max_tokens: 64,
      tools: [WEATHER_TOOL],
      tool_choice: { type: 'auto' },
      messages: [question],
    });
    stack.anthropic.behaviour = { ...stack.anthropic.behaviour, toolUse: undefined };
    expect(first.stop_reason).toBe('tool_use');
    const call = first.content.find((block) => block.type === 'tool_use');
    expect(call).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });
    expect(stack.anthropic.requests.at(-1)?.body).toMatchObject({
      tools: [{ name: 'get_weather', input_schema: WEATHER_TOOL.input_schema }],
      tool_choice: { type: 'auto' },
    });

    const second = await client.messages.create({
      model: CLAUDE,
      max_tokens: 64,
      tools: [WEATHER_TOOL],
      messages: [
        question,
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: call?.id ?? '', content: 'sunny' },
            { type: 'text', text: 'thanks' },
          ],
        },
      ],
    });
    expect(second.content).toEqual([{ type: 'text', text: 'echo: thanks' }]);
    expect((stack.anthropic.requests.at(-1)?.body as { messages: unknown[] }).messages[2]).toEqual({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: call?.id, content: 'sunny' },
        { type: 'text', text: 'thanks' },
      ],
    });
  });

  it('round-trips a streamed tool call with a GPT model', async () => {
    stack.openai.behaviour = { ...stack.openai.behaviour, toolCall: { name: 'get_weather', arguments: '{"city": "Paris"}' } };
    const question = { role: 'user' as const, content: 'weather in Paris?' };
    const first = await client.messages
      .stream({
        model: GPT,
        max_tokens: 64,
        tools: [WEATHER_TOOL],
        tool_choice: { type: 'any', disable_parallel_tool_use: true },
        messages: [question],
      })
      .finalMessage();
    stack.openai.behaviour = { ...stack.openai.behaviour, toolCall: undefined };
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content).toEqual([{ type: 'tool_use', id: 'call_stub_1', name: 'get_weather', input: { city: 'Paris' } }]);
    expect(stack.openai.requests.at(-1)?.body).toMatchObject({
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: WEATHER_TOOL.input_schema } }],
      tool_choice: 'required',
      parallel_tool_calls: false,
    });

    const second = await client.messages.create({
      model: GPT,
      max_tokens: 64,
      tools: [WEATHER_TOOL],
      messages: [
        question,
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_stub_1', content: 'sunny' },
            { type: 'text', text: 'thanks' },
          ],
        },
      ],
    });
    expect(second.content).toEqual([{ type: 'text', text: 'echo: thanks' }]);
    expect((stack.openai.requests.at(-1)?.body as { messages: unknown[] }).messages).toEqual([
      { role: 'user', content: 'weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_stub_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_stub_1', content: 'sunny' },
      { role: 'user', content: 'thanks' },
    ]);
  });
});

describe("errors in Anthropic's shape", () => {
  it("refuses a wrong gateway key with the SDK's AuthenticationError", async () => {
    const wrong = sdk('pp_live_0000000000000000000000000000000000000000000');
    const err = await wrong.messages
      .create({ model: CLAUDE, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(err).toMatchObject({
      status: 401,
      error: {
        type: 'error',
        error: { type: 'authentication_error', message: expect.stringContaining('Authentication failed') as string },
      },
    });
  });

  it("refuses a request without max_tokens with the SDK's BadRequestError naming the field", async () => {
    const params = { model: CLAUDE, messages: [{ role: 'user', content: 'hi' }] } as unknown as Anthropic.MessageCreateParamsNonStreaming;
    const err = await client.messages.create(params).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(err).toMatchObject({
      status: 400,
      error: { type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('max_tokens') as string } },
    });
  });

  it('answers an unknown model with NotFoundError', async () => {
    const err = await client.messages
      .create({ model: 'no-such-model', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    expect(err).toMatchObject({ error: { error: { type: 'not_found_error' } } });
  });

  it.each([
    ['malformed JSON', '{"model": ', { status: 400, type: 'invalid_request_error', mentions: 'not valid JSON' }],
    [
      'an oversized body',
      JSON.stringify({ model: GPT, max_tokens: 8, messages: [{ role: 'user', content: 'x'.repeat(17 * 1024 * 1024) }] }),
      { status: 413, type: 'request_too_large', mentions: 'too large' },
    ],
    [
      'an assistant message first',
      JSON.stringify({ model: GPT, max_tokens: 8, messages: [{ role: 'assistant', content: 'x' }] }),
      { status: 400, type: 'invalid_request_error', mentions: 'messages.0.role' },
    ],
    [
      'a system role inside messages',
      JSON.stringify({
        model: GPT,
        max_tokens: 8,
        messages: [
          { role: 'user', content: 'x' },
          { role: 'system', content: 'y' },
        ],
      }),
      { status: 400, type: 'invalid_request_error', mentions: 'messages.1.role' },
    ],
    [
      'zero max_tokens',
      JSON.stringify({ model: GPT, max_tokens: 0, messages: [{ role: 'user', content: 'x' }] }),
      { status: 400, type: 'invalid_request_error', mentions: 'max_tokens' },
    ],
    [
      'no messages',
      JSON.stringify({ model: GPT, max_tokens: 8, messages: [] }),
      { status: 400, type: 'invalid_request_error', mentions: 'messages' },
    ],
  ])("answers %s in Anthropic's shape, body-parser errors included", async (_what, body, expected) => {
    const res = await postMessages(body);
    expect(res.status).toBe(expected.status);
    const json = (await res.json()) as { type: string; error: { type: string; message: string } };
    expect(json).toMatchObject({ type: 'error', error: { type: expected.type } });
    expect(json.error.message).toContain(expected.mentions);
  });

  it("leaves the OpenAI route's errors in OpenAI's shape", async () => {
    const res = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json' },
      body: '{"model": ',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_json', type: 'invalid_request_error' } });
  });

  it('answers a missing provider key and then the rate limit, with its headers', async () => {
    const free = await stack.newUser('free');
    const limited = sdk(free.apiKey);
    const ask = (): Promise<unknown> =>
      limited.messages.create({ model: GPT, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    const noKey = await ask();
    expect(noKey).toBeInstanceOf(Anthropic.BadRequestError);
    expect(noKey).toMatchObject({
      error: { error: { message: expect.stringContaining('No API key found for provider "openai"') as string } },
    });
    await ask();
    const err = await ask();
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect(err).toMatchObject({
      status: 429,
      error: { type: 'error', error: { type: 'rate_limit_error', message: expect.stringContaining('Rate limit exceeded') as string } },
    });
    const headers = (err as InstanceType<typeof Anthropic.RateLimitError>).headers;
    expect(headers.get('retry-after')).toMatch(/^\d+$/);
    expect(headers.get('x-ratelimit-limit-requests')).toBe('2');
    // count_tokens counts against the same limit.
    const count = await limited.messages.countTokens({ model: GPT, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(count).toBeInstanceOf(Anthropic.RateLimitError);
  });
});

describe('accounting', () => {
  it('logs usage_logs rows under /v1/messages for both upstreams', async () => {
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      const rows = await eventually(async () => {
        const { rows } = await db.query<{ model: string; input_tokens: number; output_tokens: number; provider: string }>(
          "SELECT model, input_tokens, output_tokens, provider FROM usage_logs WHERE user_id = $1 AND endpoint = '/v1/messages' AND status_code = 200",
          [user.userId],
        );
        expect(rows.map((r) => r.model)).toEqual(expect.arrayContaining([CLAUDE, GPT]));
        return rows;
      }, 10_000);
      for (const row of rows) {
        expect(row.input_tokens).toBeGreaterThan(0);
        expect(row.output_tokens).toBeGreaterThan(0);
      }
      expect(rows.find((r) => r.model === CLAUDE)?.provider).toBe('anthropic');
      expect(rows.find((r) => r.model === GPT)?.provider).toBe('openai');
    } finally {
      await db.end();
    }
  });

  it("keeps every secret out of the gateway's logs", () => {
    const logs = stack.gateways[0]?.logs() ?? '';
    for (const secret of [USER_OPENAI_KEY, USER_ANTHROPIC_KEY, user.apiKey, TEST_ADMIN_TOKEN]) expect(logs).not.toContain(secret);
  });
});
