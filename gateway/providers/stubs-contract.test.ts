// The protocol stubs against the official SDKs: if `openai` and `@anthropic-ai/sdk` accept the
// stubs' answers (including their streaming accumulators, which check event order) and get the
// stubs' errors as the right error classes, tests that use the stubs test the real protocols.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startAnthropicUpstream, stubSignature } from '../../test/stubs/anthropic-upstream.ts';
import type { AnthropicUpstream } from '../../test/stubs/anthropic-upstream.ts';
import { startOpenAIUpstream } from '../../test/stubs/openai-upstream.ts';
import type { OpenAIUpstream } from '../../test/stubs/openai-upstream.ts';

describe('OpenAI stub with the openai SDK', () => {
  let stub: OpenAIUpstream;
  let client: OpenAI;

  beforeAll(async () => {
    stub = await startOpenAIUpstream();
    client = new OpenAI({ apiKey: 'sk-contract-test', baseURL: stub.url, maxRetries: 0, timeout: 10_000 });
  });
  afterAll(async () => {
    await stub.close();
  });
  beforeEach(() => {
    stub.behaviour = {};
  });

  it('answers a chat completion with content and usage', async () => {
    const completion = await client.chat.completions.create({ model: 'gpt-stub', messages: [{ role: 'user', content: 'hello there' }] });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('gpt-stub');
    expect(completion.choices[0]?.message.content).toBe('echo: hello there');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage?.total_tokens).toBe((completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0));
    expect(stub.requests.at(-1)?.headers.authorization).toBe('Bearer sk-contract-test');
  });

  it('streams without a usage chunk unless asked', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-stub',
      stream: true,
      messages: [{ role: 'user', content: 'one two three' }],
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('echo: one two three');
    expect(chunks.every((c) => !('usage' in c))).toBe(true);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('streams a final usage-only chunk when include_usage is set, and usage: null before it', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-stub',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'count me' }],
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.completion_tokens).toBe(3);
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  it("accumulates a streamed tool call with the SDK's stream helper", async () => {
    stub.behaviour = { toolCall: { name: 'get_weather', arguments: '{"city": "Paris", "unit": "celsius"}' }, deltas: 3 };
    const stream = client.chat.completions.stream({
      model: 'gpt-stub',
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }],
    });
    const final = await stream.finalChatCompletion();
    const call = final.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' ? JSON.parse(call.function.arguments) : undefined).toEqual({ city: 'Paris', unit: 'celsius' });
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('embeds deterministically, as floats and as the base64 the SDK asks for by default', async () => {
    const viaBase64 = await client.embeddings.create({ model: 'text-embedding-stub', input: ['alpha', 'beta'] });
    const viaFloat = await client.embeddings.create({ model: 'text-embedding-stub', input: ['alpha', 'beta'], encoding_format: 'float' });
    expect(stub.requests.at(-2)?.body).toMatchObject({ encoding_format: 'base64' });
    expect(viaBase64.data).toHaveLength(2);
    const decoded = Array.from(viaBase64.data[0]?.embedding ?? []);
    const floats = viaFloat.data[0]?.embedding ?? [];
    expect(decoded).toHaveLength(8);
    decoded.forEach((v, i) => {
      expect(v).toBeCloseTo(floats[i] ?? NaN, 5);
    });
    expect(viaFloat.data[0]?.embedding).not.toEqual(viaFloat.data[1]?.embedding);
  });

  it('lists models, and retrieves one or answers 404 model_not_found', async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toEqual(['gpt-stub']);
    expect(await client.models.retrieve('gpt-stub')).toEqual({ id: 'gpt-stub', object: 'model', created: 1700000000, owned_by: 'stub' });
    const missing = await client.models.retrieve('gpt-nope').catch((err: unknown) => err);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect(missing).toMatchObject({ code: 'model_not_found', param: 'model' });
  });

  it('answers a legacy completion, one choice per prompt, with usage', async () => {
    const completion = await client.completions.create({ model: 'gpt-stub', prompt: 'def fib(n):' });
    expect(completion.object).toBe('text_completion');
    expect(completion.choices).toEqual([{ text: 'echo: def fib(n):', index: 0, logprobs: null, finish_reason: 'stop' }]);
    expect(completion.usage?.total_tokens).toBe((completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0));
    const batch = await client.completions.create({ model: 'gpt-stub', prompt: ['a', 'b'] });
    expect(batch.choices.map((c) => c.text)).toEqual(['echo: a', 'echo: b']);
    await expect(client.completions.create({ model: 'gpt-stub', prompt: { not: 'a prompt' } as unknown as string })).rejects.toBeInstanceOf(
      OpenAI.BadRequestError,
    );
  });

  it('streams a legacy completion, with a final usage-only chunk only when asked', async () => {
    const withUsage = await client.completions.create({
      model: 'gpt-stub',
      prompt: 'one two three',
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of withUsage) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.text ?? '').join('')).toBe('echo: one two three');
    expect(new Set(chunks.map((c) => c.object))).toEqual(new Set(['text_completion']));
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 4 } });
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    const without = await client.completions.create({ model: 'gpt-stub', prompt: 'quiet', stream: true });
    for await (const chunk of without) expect('usage' in chunk).toBe(false);
  });

  it('rejects a wrong key with the error class for 401', async () => {
    stub.behaviour = { apiKey: 'sk-the-right-one' };
    await expect(client.chat.completions.create({ model: 'gpt-stub', messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError,
    );
  });

  it('rejects what OpenAI rejects: stream_options without stream, a tool message without tool_calls', async () => {
    await expect(
      client.chat.completions.create({
        model: 'gpt-stub',
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'hi' }],
      }),
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(
      client.chat.completions.create({ model: 'gpt-stub', messages: [{ role: 'tool', tool_call_id: 'x', content: 'orphan' }] }),
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('answers unknown models with 404 when it serves a fixed list', async () => {
    stub.behaviour = { models: ['gpt-stub'] };
    await expect(client.chat.completions.create({ model: 'gpt-nope', messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(
      OpenAI.NotFoundError,
    );
  });
});

describe('OpenAI stub: the Responses API with the openai SDK', () => {
  let stub: OpenAIUpstream;
  let client: OpenAI;

  beforeAll(async () => {
    stub = await startOpenAIUpstream();
    client = new OpenAI({ apiKey: 'sk-contract-test', baseURL: stub.url, maxRetries: 0, timeout: 10_000 });
  });
  afterAll(async () => {
    await stub.close();
  });
  beforeEach(() => {
    stub.behaviour = {};
  });

  it('answers a response with a message item, output_text and usage', async () => {
    const response = await client.responses.create({ model: 'gpt-stub', instructions: 'Be brief.', input: 'hello there', store: false });
    expect(response.object).toBe('response');
    expect(response.status).toBe('completed');
    expect(response.output_text).toBe('echo: hello there');
    expect(response.usage?.total_tokens).toBe((response.usage?.input_tokens ?? 0) + (response.usage?.output_tokens ?? 0));
    expect(response).toMatchObject({ store: false });
  });

  it("streams events the SDK's responses.stream accumulator takes, numbered in order", async () => {
    stub.behaviour = { reasoning: 'think about it' };
    const stream = client.responses.stream({
      model: 'gpt-stub',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'one two three' }] }],
      include: ['reasoning.encrypted_content'],
    });
    const types: string[] = [];
    const numbers: number[] = [];
    for await (const event of stream) {
      types.push(event.type);
      numbers.push(event.sequence_number);
    }
    const final = await stream.finalResponse();
    expect(final.output_text).toBe('echo: one two three');
    expect(final.output[0]?.type).toBe('reasoning');
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(numbers).toEqual(numbers.map((_, i) => i));
  });

  it('streams a function call whose arguments the SDK assembles', async () => {
    stub.behaviour = { toolCall: { name: 'get_weather', arguments: '{"city": "Oslo"}' } };
    const final = await client.responses
      .stream({ model: 'gpt-stub', input: 'weather?', tools: [{ type: 'function', name: 'get_weather', parameters: {}, strict: false }] })
      .finalResponse();
    const call = final.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ name: 'get_weather', arguments: '{"city": "Oslo"}', call_id: 'call_stub_1' });
  });

  it('takes back a reasoning item only with the encrypted content it issued, as stateless callers must', async () => {
    stub.behaviour = { reasoning: 'a thought' };
    const first = await client.responses.create({ model: 'gpt-stub', input: 'hi', store: false, include: ['reasoning.encrypted_content'] });
    const reasoning = first.output.find((item) => item.type === 'reasoning');
    expect(reasoning?.type === 'reasoning' ? reasoning.encrypted_content : undefined).toMatch(/^enc_/);
    const history = [{ role: 'user' as const, content: 'hi' }, ...first.output, { role: 'user' as const, content: 'and then?' }];
    const second = await client.responses.create({ model: 'gpt-stub', input: history as never, store: false });
    expect(second.output_text).toBe('echo: and then?');
    const stripped = history.map((item) => ('type' in item && item.type === 'reasoning' ? { ...item, encrypted_content: null } : item));
    await expect(client.responses.create({ model: 'gpt-stub', input: stripped as never, store: false })).rejects.toBeInstanceOf(
      OpenAI.BadRequestError,
    );
  });

  it('knows no previous_response_id, so a gateway that leaks one gets a 400 naming it', async () => {
    const err = await client.responses
      .create({ model: 'gpt-stub', input: 'x', previous_response_id: 'resp_elsewhere' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('previous_response_id');
  });
});

describe('Anthropic stub with the @anthropic-ai/sdk', () => {
  let stub: AnthropicUpstream;
  let client: Anthropic;

  beforeAll(async () => {
    stub = await startAnthropicUpstream();
    client = new Anthropic({ apiKey: 'sk-ant-contract-test', baseURL: stub.url, maxRetries: 0, timeout: 10_000 });
  });
  afterAll(async () => {
    await stub.close();
  });
  beforeEach(() => {
    stub.behaviour = {};
  });

  it('answers a message with text and usage', async () => {
    stub.behaviour = { cacheReadTokens: 7 };
    const message = await client.messages.create({
      model: 'claude-stub',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hello there' }],
    });
    expect(message.content).toEqual([{ type: 'text', text: 'echo: hello there' }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(message.usage.cache_read_input_tokens).toBe(7);
    expect(message.usage.output_tokens).toBe(3);
  });

  it("streams the exact event sequence the SDK's MessageStream accumulates", async () => {
    stub.behaviour = { deltas: 2 };
    const stream = client.messages.stream({ model: 'claude-stub', max_tokens: 64, messages: [{ role: 'user', content: 'one two three' }] });
    const events: string[] = [];
    stream.on('streamEvent', (event) => {
      events.push(event.type);
    });
    const message = await stream.finalMessage();
    expect(message.content).toMatchObject([{ type: 'text', text: 'echo: one two three' }]);
    expect(message.usage.output_tokens).toBe(2);
    // The SDK hides pings; the wire carries one after the first content_block_start, as Anthropic's does.
    expect(events).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
  });

  it('names every SSE event with an event: line matching its data type', async () => {
    const res = await fetch(`${stub.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-stub', max_tokens: 8, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const frames = (await res.text()).split('\n\n').filter(Boolean);
    const pairs = frames.map((frame) => {
      const [eventLine, dataLine] = frame.split('\n');
      return [eventLine?.replace('event: ', ''), (JSON.parse(dataLine?.replace('data: ', '') ?? '{}') as { type: string }).type];
    });
    expect(pairs.every(([name, type]) => name === type)).toBe(true);
    expect(pairs.map(([name]) => name)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
  });

  it('streams tool input as input_json_delta that the SDK parses', async () => {
    stub.behaviour = { toolUse: { name: 'get_weather', input: { city: 'Paris' } } };
    const stream = client.messages.stream({
      model: 'claude-stub',
      max_tokens: 64,
      tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: {} } }],
      messages: [{ role: 'user', content: 'weather?' }],
    });
    const message = await stream.finalMessage();
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content.find((b) => b.type === 'tool_use')).toMatchObject({ name: 'get_weather', input: { city: 'Paris' } });
  });

  it('rejects what Anthropic rejects, as BadRequestError', async () => {
    const systemInMessages = client.messages.create({
      model: 'claude-stub',
      max_tokens: 64,
      messages: [{ role: 'system' as 'user', content: 'be nice' }],
    });
    await expect(systemInMessages).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    await expect(systemInMessages).rejects.toThrow(/top-level `system` parameter/);
    const noMaxTokens = client.messages.create({
      model: 'claude-stub',
      messages: [{ role: 'user', content: 'hi' }],
    } as unknown as Anthropic.MessageCreateParamsNonStreaming);
    await expect(noMaxTokens).rejects.toThrow(/max_tokens: Field required/);
    const orphanResult = client.messages.create({
      model: 'claude-stub',
      max_tokens: 64,
      messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_x', content: 'sunny' }] }],
    });
    await expect(orphanResult).rejects.toThrow(/corresponding `tool_use` block/);
  });

  it('checks the API version: the SDK sends a current one, and sampling parameters are refused on 2026-10-21', async () => {
    await client.messages.create({ model: 'claude-stub', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] });
    const version = stub.requests.at(-1)?.headers['anthropic-version'];
    expect(typeof version).toBe('string');
    const withTemperature = client.messages.create(
      {
        model: 'claude-stub',
        max_tokens: 8,
        messages: [{ role: 'user', content: 'hi' }],
        temperature: 0.5,
      } as Anthropic.MessageCreateParamsNonStreaming,
      { headers: { 'anthropic-version': '2026-10-21' } },
    );
    await expect(withTemperature).rejects.toBeInstanceOf(Anthropic.BadRequestError);
  });

  it('rejects a wrong key as AuthenticationError', async () => {
    stub.behaviour = { apiKey: 'sk-ant-the-right-one' };
    await expect(
      client.messages.create({ model: 'claude-stub', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it('delivers an in-stream error event as an SDK error', async () => {
    stub.behaviour = { errorAfterDeltas: 1 };
    const stream = client.messages.stream({ model: 'claude-stub', max_tokens: 64, messages: [{ role: 'user', content: 'one two three' }] });
    await expect(stream.finalMessage()).rejects.toThrow(/Overloaded/);
  });

  it('streams thinking and redacted thinking that the SDK accumulates with the signature, and takes them back only unaltered', async () => {
    stub.behaviour = { thinking: 'Let me think this through.', redactedThinking: 'EncryptedOpaque==' };
    const params = {
      model: 'claude-stub',
      max_tokens: 2048,
      thinking: { type: 'enabled' as const, budget_tokens: 1024 },
      messages: [{ role: 'user' as const, content: 'hard question' }],
    };
    const streamed = await client.messages.stream(params).finalMessage();
    const created = await client.messages.create(params);
    expect(streamed.content).toEqual(created.content);
    expect(created.content.slice(0, 2)).toEqual([
      { type: 'thinking', thinking: 'Let me think this through.', signature: stubSignature('Let me think this through.') },
      { type: 'redacted_thinking', data: 'EncryptedOpaque==' },
    ]);
    const history = (content: Anthropic.ContentBlockParam[]): Anthropic.MessageCreateParamsNonStreaming => ({
      ...params,
      messages: [params.messages[0] as Anthropic.MessageParam, { role: 'assistant', content }, { role: 'user', content: 'go on' }],
    });
    await expect(client.messages.create(history(created.content))).resolves.toMatchObject({ type: 'message' });
    const altered = created.content.map((b) => (b.type === 'thinking' ? { ...b, thinking: 'something else' } : b));
    await expect(client.messages.create(history(altered))).rejects.toThrow(/Invalid `signature`/);
  });

  it('refuses a forced tool while thinking is on, as Anthropic does', async () => {
    const forced = client.messages.create({
      model: 'claude-stub',
      max_tokens: 2048,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      tools: [{ name: 'f', input_schema: { type: 'object' } }],
      tool_choice: { type: 'any' },
      messages: [{ role: 'user', content: 'hi' }],
    });
    await expect(forced).rejects.toThrow(/tool_choice forces tool use/);
  });

  it('ends the reply at a stop sequence and says which, JSON and streamed', async () => {
    const params = {
      model: 'claude-stub',
      max_tokens: 64,
      stop_sequences: ['three', 'two'],
      messages: [{ role: 'user' as const, content: 'one two three' }],
    };
    const created = await client.messages.create(params);
    expect(created).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'two', content: [{ type: 'text', text: 'echo: one ' }] });
    const streamed = await client.messages.stream(params).finalMessage();
    expect(streamed).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'two', content: [{ type: 'text', text: 'echo: one ' }] });
  });

  it('counts tokens for the prompt side of a request, and refuses generation settings there', async () => {
    const counted = await client.messages.countTokens({
      model: 'claude-stub',
      system: 'be brief',
      messages: [{ role: 'user', content: 'count these words please' }],
    });
    expect(counted.input_tokens).toBeGreaterThan(0);
    const withMaxTokens = client.messages.countTokens({
      model: 'claude-stub',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'hi' }],
    } as Anthropic.MessageCountTokensParams);
    await expect(withMaxTokens).rejects.toThrow(/max_tokens: Extra inputs are not permitted/);
  });

  it('takes PDF, URL and text documents and refuses an unknown document source', async () => {
    const documents: Anthropic.DocumentBlockParam[] = [
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0x' }, title: 'a' },
      { type: 'document', source: { type: 'url', url: 'https://example.com/b.pdf' } },
      { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain words' } },
    ];
    await expect(
      client.messages.create({
        model: 'claude-stub',
        max_tokens: 8,
        messages: [{ role: 'user', content: [...documents, { type: 'text', text: 'summarise' }] }],
      }),
    ).resolves.toMatchObject({ type: 'message' });
    const unknown = { type: 'document', source: { type: 'ftp', url: 'ftp://x' } } as unknown as Anthropic.DocumentBlockParam;
    await expect(
      client.messages.create({ model: 'claude-stub', max_tokens: 8, messages: [{ role: 'user', content: [unknown] }] }),
    ).rejects.toBeInstanceOf(Anthropic.BadRequestError);
  });
});
