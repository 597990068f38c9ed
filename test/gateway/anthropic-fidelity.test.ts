// Fidelity of the Claude paths through a real gateway process, with the official SDKs as clients:
// /v1/messages keeps thinking blocks (signatures intact, both ways), reports stop sequences,
// carries documents to Anthropic only, and answers count_tokens; /v1/chat/completions gives
// structured output from a claude model to `client.chat.completions.parse` and refuses what
// Claude cannot do with a 400 naming the parameter.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { stubSignature } from '../stubs/anthropic-upstream.ts';
import { startStack, USER_ANTHROPIC_KEY, USER_OPENAI_KEY, type Stack } from '../support/gateway-stack.ts';

let stack: Stack;
let anthropic: Anthropic;
let openai: OpenAI;

const CLAUDE = 'claude-sonnet-4-6';
const GPT = 'gpt-4o-mini';
const THOUGHT = 'The user wants the weather; I should call the tool.';

beforeAll(async () => {
  stack = await startStack({
    postgresUrl: inject('postgresUrl'),
    redisUrl: inject('redisUrl'),
    config: { mode: 'proxy', models: [{ name: GPT, provider: 'openai', upstreamModel: GPT }] },
  });
  const user = await stack.newUser('pro');
  expect((await stack.addProviderKey(user.apiKey, 'openai', USER_OPENAI_KEY)).status).toBe(201);
  expect((await stack.addProviderKey(user.apiKey, 'anthropic', USER_ANTHROPIC_KEY)).status).toBe(201);
  anthropic = new Anthropic({ apiKey: user.apiKey, baseURL: stack.url, maxRetries: 0, timeout: 20_000 });
  openai = new OpenAI({ apiKey: user.apiKey, baseURL: `${stack.url}/v1`, maxRetries: 0, timeout: 20_000 });
});

afterAll(async () => {
  await stack.stop();
});

/** Sets stub behaviour for one block of code. */
async function withAnthropic<T>(behaviour: Partial<typeof stack.anthropic.behaviour>, run: () => Promise<T>): Promise<T> {
  const before = stack.anthropic.behaviour;
  stack.anthropic.behaviour = { ...before, ...behaviour };
  try {
    return await run();
  } finally {
    stack.anthropic.behaviour = before;
  }
}

const WEATHER_TOOL = { name: 'get_weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } };

describe('/v1/messages with a claude model', () => {
  it('returns and streams thinking and redacted_thinking with signatures, and sends them back unchanged during tool use', async () => {
    const params = {
      model: CLAUDE,
      max_tokens: 4096,
      thinking: { type: 'enabled' as const, budget_tokens: 1024 },
      tools: [WEATHER_TOOL],
      messages: [{ role: 'user' as const, content: 'weather in Paris?' }],
    };
    const behaviour = {
      thinking: THOUGHT,
      redactedThinking: 'EncryptedOpaque==',
      toolUse: { name: 'get_weather', input: { city: 'Paris' } },
    };
    const created = await withAnthropic(behaviour, () => anthropic.messages.create(params));
    const streamed = await withAnthropic(behaviour, () => anthropic.messages.stream(params).finalMessage());
    const expected = [
      { type: 'thinking', thinking: THOUGHT, signature: stubSignature(THOUGHT) },
      { type: 'redacted_thinking', data: 'EncryptedOpaque==' },
    ];
    expect(created.content.slice(0, 2)).toEqual(expected);
    expect(streamed.content.slice(0, 2)).toEqual(expected);
    expect(streamed.content.map((b) => b.type)).toEqual(created.content.map((b) => b.type));
    expect(created.stop_reason).toBe('tool_use');

    // The stub checks the signature as Anthropic does: any change to the thinking is a 400.
    const call = created.content.find((b) => b.type === 'tool_use');
    const next = await anthropic.messages.create({
      ...params,
      messages: [
        ...params.messages,
        { role: 'assistant', content: created.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call?.id ?? '', content: 'sunny' }] },
      ],
    });
    expect(next.type).toBe('message');
    expect((stack.anthropic.requests.at(-1)?.body as { messages: Anthropic.MessageParam[] }).messages[1]?.content).toEqual([
      ...expected,
      ...created.content.slice(2),
    ]);
  });

  it('reports the stop sequence that ended the reply, JSON and streamed', async () => {
    const params = {
      model: CLAUDE,
      max_tokens: 64,
      stop_sequences: ['three'],
      messages: [{ role: 'user' as const, content: 'one two three four' }],
    };
    const created = await anthropic.messages.create(params);
    expect(created).toMatchObject({
      stop_reason: 'stop_sequence',
      stop_sequence: 'three',
      content: [{ type: 'text', text: 'echo: one two ' }],
    });
    const streamed = await anthropic.messages.stream(params).finalMessage();
    expect(streamed).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'three' });
  });

  it('passes document blocks to Anthropic, and refuses them for another provider naming the block', async () => {
    const pdf: Anthropic.DocumentBlockParam = {
      type: 'document',
      source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQK' },
      title: 'Report',
    };
    const content: Anthropic.ContentBlockParam[] = [{ type: 'text', text: 'summarise' }, pdf];
    await anthropic.messages.create({ model: CLAUDE, max_tokens: 64, messages: [{ role: 'user', content }] });
    expect((stack.anthropic.requests.at(-1)?.body as { messages: Anthropic.MessageParam[] }).messages[0]?.content).toEqual(content);
    const err = await anthropic.messages
      .create({ model: GPT, max_tokens: 64, messages: [{ role: 'user', content }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(err).toMatchObject({
      error: {
        type: 'error',
        error: { type: 'invalid_request_error', message: expect.stringContaining('messages.0.content.1: document blocks') as string },
      },
    });
  });

  it("counts tokens at Anthropic with the user's key for a claude model, and estimates for others", async () => {
    const params = { system: 'be brief', messages: [{ role: 'user' as const, content: 'how many tokens is this?' }] };
    const { data: counted, response } = await anthropic.messages.countTokens({ model: CLAUDE, ...params }).withResponse();
    expect(counted.input_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-perpetual-token-count')).toBe('upstream');
    const upstream = stack.anthropic.requests.at(-1);
    expect(upstream?.path).toBe('/v1/messages/count_tokens');
    expect(upstream?.headers['x-api-key']).toBe(USER_ANTHROPIC_KEY);
    expect(upstream?.body).toEqual({
      model: CLAUDE,
      system: 'be brief',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'how many tokens is this?' }] }],
    });
    const { data: estimated, response: estimatedResponse } = await anthropic.messages.countTokens({ model: GPT, ...params }).withResponse();
    expect(estimated.input_tokens).toBeGreaterThan(0);
    expect(estimatedResponse.headers.get('x-perpetual-token-count')).toBe('estimate');
  });

  it("answers every error under /v1/messages in Anthropic's shape, unknown paths included", async () => {
    const unknown = await fetch(`${stack.url}/v1/messages/batches`, { headers: { 'x-api-key': 'whatever' } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error', message: expect.stringContaining('count_tokens') as string },
    });
    const noModel = await anthropic.messages
      .countTokens({ messages: [{ role: 'user', content: 'hi' }] } as unknown as Anthropic.MessageCountTokensParams)
      .catch((e: unknown) => e);
    expect(noModel).toBeInstanceOf(Anthropic.BadRequestError);
    expect(noModel).toMatchObject({ error: { type: 'error', error: { type: 'invalid_request_error' } } });
    const badJson = await fetch(`${stack.url}/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { 'x-api-key': 'whatever', 'content-type': 'application/json' },
      body: '{"model": ',
    });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });
});

describe('/v1/chat/completions with a claude model', () => {
  const SCHEMA = {
    type: 'object',
    properties: { city: { type: 'string' }, temperature: { type: 'number' } },
    required: ['city', 'temperature'],
    additionalProperties: false,
  };
  const format = { type: 'json_schema' as const, json_schema: { name: 'weather', schema: SCHEMA, strict: true } };
  const answer = { city: 'Paris', temperature: 21 };

  it('gives client.chat.completions.parse the parsed JSON, through a forced structured_output tool', async () => {
    const completion = await withAnthropic({ reply: '', toolUse: { name: 'structured_output', input: answer } }, () =>
      openai.chat.completions.parse({
        model: CLAUDE,
        messages: [{ role: 'user', content: 'weather in Paris as JSON' }],
        response_format: format,
      }),
    );
    expect(completion.choices[0]?.message.parsed).toEqual(answer);
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(stack.anthropic.requests.at(-1)?.body).toMatchObject({
      tools: [{ name: 'structured_output', input_schema: SCHEMA }],
      tool_choice: { type: 'tool', name: 'structured_output' },
    });
  });

  it('streams structured output as content deltas', async () => {
    const stream = await withAnthropic({ reply: '', toolUse: { name: 'structured_output', input: answer } }, async () => {
      const s = openai.chat.completions.stream({
        model: CLAUDE,
        messages: [{ role: 'user', content: 'weather as JSON' }],
        response_format: format,
      });
      return s.finalChatCompletion();
    });
    expect(stream.choices[0]?.message.parsed).toEqual(answer);
    expect(stream.choices[0]?.finish_reason).toBe('stop');
  });

  it('returns thinking as reasoning_content and thinking_blocks, from reasoning_effort', async () => {
    const completion = await withAnthropic({ thinking: THOUGHT }, () =>
      openai.chat.completions.create({ model: CLAUDE, reasoning_effort: 'low', messages: [{ role: 'user', content: 'think first' }] }),
    );
    expect(completion.choices[0]?.message).toMatchObject({
      content: 'echo: think first',
      reasoning_content: THOUGHT,
      thinking_blocks: [{ type: 'thinking', thinking: THOUGHT, signature: stubSignature(THOUGHT) }],
    });
    expect(stack.anthropic.requests.at(-1)?.body).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 2048 } });
  });

  it.each([
    ['n', { n: 2 }],
    ['logprobs', { logprobs: true }],
    ['top_logprobs', { top_logprobs: 2 }],
    ['seed', { seed: 7 }],
  ])('refuses %s with a 400 naming it', async (param, extra) => {
    const err = await openai.chat.completions
      .create({ model: CLAUDE, messages: [{ role: 'user', content: 'hi' }], ...extra })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, param, code: 'unsupported_parameter' });
  });
});
