import { describe, expect, it } from 'vitest';
import { createAnthropicStreamState, mergeAnthropicUsage, translateAnthropicEvent } from './stream.ts';
import { STRUCTURED_OUTPUT_TOOL } from './structured-output.ts';
import type { AnthropicStreamEvent } from '../types.ts';
import type { ChatCompletionChunk } from '../../openai/types.ts';

const textEvents: AnthropicStreamEvent[] = [
  {
    type: 'message_start',
    message: {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      content: [],
      model: 'claude-x',
      stop_reason: null,
      usage: { input_tokens: 25, output_tokens: 1, cache_read_input_tokens: 5 },
    },
  },
  { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  { type: 'ping' },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ' world' } },
  { type: 'content_block_stop', index: 0 },
  { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} } },
  { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '' } },
  { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"city":' } },
  { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '"Paris"}' } },
  { type: 'content_block_stop', index: 1 },
  { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 15 } },
  { type: 'message_stop' },
];

function run(
  events: AnthropicStreamEvent[],
  includeUsage: boolean,
): { chunks: ChatCompletionChunk[]; state: ReturnType<typeof createAnthropicStreamState> } {
  const state = createAnthropicStreamState({
    model: 'my-claude',
    includeUsage,
    provider: 'anthropic',
    secrets: ['sk-ant-secret'],
    created: 1,
  });
  const chunks = events.flatMap((event) => translateAnthropicEvent(state, event));
  return { chunks, state };
}

describe('translateAnthropicEvent', () => {
  it('turns a text + tool_use stream into OpenAI chunks', () => {
    const { chunks, state } = run(textEvents, false);
    expect(chunks.map((c) => c.choices[0]?.delta)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Hello' },
      { content: ' world' },
      { tool_calls: [{ index: 0, id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] },
      {},
    ]);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('tool_calls');
    expect(chunks.every((c) => c.id === 'msg_1' && c.model === 'my-claude')).toBe(true);
    expect(new Set(chunks.map((c) => c.object))).toEqual(new Set(['chat.completion.chunk']));
    expect(chunks.every((c) => !('usage' in c))).toBe(true);
    expect(state.sawStop).toBe(true);
  });

  it('takes input usage from message_start and output usage from message_delta', () => {
    const { state } = run(textEvents, true);
    expect(state.usage).toEqual({ input_tokens: 25, output_tokens: 15, cache_read_input_tokens: 5 });
  });

  it('adds usage: null to every chunk when the client asked for usage', () => {
    const { chunks } = run(textEvents, true);
    expect(chunks.every((c) => c.usage === null)).toBe(true);
  });

  it('numbers several tool calls by their order, not by content block index', () => {
    const { chunks } = run(
      [
        { type: 'message_start', message: { id: 'm' } },
        { type: 'content_block_start', index: 3, content_block: { type: 'tool_use', id: 'a', name: 'f', input: {} } },
        { type: 'content_block_start', index: 5, content_block: { type: 'tool_use', id: 'b', name: 'g', input: {} } },
        { type: 'content_block_delta', index: 5, delta: { type: 'input_json_delta', partial_json: '{}' } },
      ],
      false,
    );
    expect(chunks.slice(1).map((c) => c.choices[0]?.delta.tool_calls?.[0]?.index)).toEqual([0, 1, 1]);
  });

  it('throws an in-stream error event as a GatewayError without leaking the key', () => {
    const state = createAnthropicStreamState({
      model: 'm',
      includeUsage: false,
      provider: 'anthropic',
      secrets: ['sk-ant-secret'],
      created: 1,
    });
    const attempt = (): unknown =>
      translateAnthropicEvent(state, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded for sk-ant-secret' } });
    expect(attempt).toThrow(expect.objectContaining({ status: 503, code: 'provider_overloaded' }) as Error);
    expect(attempt).not.toThrow(/sk-ant-secret/);
  });

  it('ignores unknown events and block types', () => {
    const { chunks } = run(
      [{ type: 'brand_new_event' }, { type: 'content_block_start', index: 0, content_block: { type: 'server_tool_use' } }],
      false,
    );
    expect(chunks).toEqual([]);
  });

  it('streams thinking as reasoning_content closed by its signature, and redacted thinking whole', () => {
    const { chunks } = run(
      [
        { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hmm' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'sig-1' } },
        { type: 'content_block_stop', index: 0 },
        { type: 'content_block_start', index: 1, content_block: { type: 'redacted_thinking', data: 'opaque' } },
        { type: 'content_block_stop', index: 1 },
      ],
      false,
    );
    expect(chunks.map((c) => c.choices[0]?.delta)).toEqual([
      { reasoning_content: 'hmm' },
      { reasoning_signature: 'sig-1' },
      { redacted_thinking: 'opaque' },
    ]);
  });

  it("reports a matched stop sequence as the finishing chunk's stop_reason", () => {
    const { chunks } = run(
      [{ type: 'message_delta', delta: { stop_reason: 'stop_sequence', stop_sequence: 'END' }, usage: { output_tokens: 2 } }],
      false,
    );
    expect(chunks[0]?.choices[0]).toMatchObject({ finish_reason: 'stop', stop_reason: 'END' });
  });

  it('streams a structured_output call as content and finishes with stop', () => {
    const state = createAnthropicStreamState(
      { model: 'my-claude', includeUsage: false, provider: 'anthropic', secrets: [], created: 1 },
      true,
    );
    const chunks = [
      {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'tool_use', id: 'toolu_1', name: STRUCTURED_OUTPUT_TOOL, input: {} },
      },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"city":' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '"Paris"}' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null } },
    ].flatMap((event) => translateAnthropicEvent(state, event));
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('{"city":"Paris"}');
    expect(chunks.some((c) => c.choices[0]?.delta.tool_calls)).toBe(false);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
  });
});

describe('mergeAnthropicUsage', () => {
  it('keeps the largest of cumulative counts, so a later zero cannot erase input tokens', () => {
    expect(mergeAnthropicUsage({ input_tokens: 25, output_tokens: 1 }, { input_tokens: 0, output_tokens: 15 })).toEqual({
      input_tokens: 25,
      output_tokens: 15,
    });
    expect(mergeAnthropicUsage({ input_tokens: 25 }, undefined)).toEqual({ input_tokens: 25 });
  });
});
