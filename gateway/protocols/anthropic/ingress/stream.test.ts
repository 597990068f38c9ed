import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../errors.ts';
import type { AnthropicStreamEvent } from '../types.ts';
import type { ChatCompletionChunk, ChunkDelta, FinishReason, Usage } from '../../openai/types.ts';
import { createIngressStreamState, finishStream, translateChunk, type IngressStreamState } from './stream.ts';

const ctx = { model: 'my-model', stopSequences: ['END'], requestId: 'req_abc' };
const usage: Usage = { prompt_tokens: 20, completion_tokens: 4, total_tokens: 24 };

function chunk(delta: ChunkDelta, finish: FinishReason | null = null, extra: Record<string, unknown> = {}): ChatCompletionChunk {
  return {
    id: 'chatcmpl-7',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'x',
    choices: [{ index: 0, delta, finish_reason: finish, ...extra }],
  };
}

function run(chunks: ChatCompletionChunk[], state: IngressStreamState = createIngressStreamState(ctx)): AnthropicStreamEvent[] {
  return [...chunks.flatMap((c) => translateChunk(state, c)), ...finishStream(state, usage)];
}

describe('translateChunk and finishStream', () => {
  it("stream text in Anthropic's event order, closing with the stop reason and real usage", () => {
    const events = run([
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Hel' }),
      chunk({ content: 'lo' }),
      chunk({}, 'stop'),
      { id: 'chatcmpl-7', object: 'chat.completion.chunk', created: 1, model: 'x', choices: [], usage },
    ]);
    expect(events).toEqual([
      {
        type: 'message_start',
        message: {
          id: 'msg_chatcmpl-7',
          type: 'message',
          role: 'assistant',
          model: 'my-model',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 0, output_tokens: 0 },
        },
      },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'lo' } },
      { type: 'content_block_stop', index: 0 },
      {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { input_tokens: 20, output_tokens: 4, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      },
      { type: 'message_stop' },
    ]);
  });

  it('stream text then tool calls as separate blocks, arguments as input_json_delta', () => {
    const events = run([
      chunk({ role: 'assistant', content: 'Checking.' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{}' } }] }),
      chunk({}, 'tool_calls'),
    ]);
    expect(events.map((e) => [e.type, e.index])).toEqual([
      ['message_start', undefined],
      ['content_block_start', 0],
      ['content_block_delta', 0],
      ['content_block_stop', 0],
      ['content_block_start', 1],
      ['content_block_delta', 1],
      ['content_block_delta', 1],
      ['content_block_stop', 1],
      ['content_block_start', 2],
      ['content_block_delta', 2],
      ['content_block_stop', 2],
      ['message_delta', undefined],
      ['message_stop', undefined],
    ]);
    expect(events[4]).toEqual({
      type: 'content_block_start',
      index: 1,
      content_block: { type: 'tool_use', id: 'call_1', name: 'get_weather', input: {} },
    });
    expect(events[5]).toEqual({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"city":' } });
    expect(events.at(-2)?.delta).toEqual({ stop_reason: 'tool_use', stop_sequence: null });
  });

  it('refuses tool calls whose arguments interleave, which Anthropic blocks cannot express', () => {
    const state = createIngressStreamState(ctx);
    translateChunk(state, chunk({ tool_calls: [{ index: 0, id: 'a', function: { name: 'f', arguments: '{' } }] }));
    translateChunk(state, chunk({ tool_calls: [{ index: 1, id: 'b', function: { name: 'g', arguments: '{' } }] }));
    expect(() => translateChunk(state, chunk({ tool_calls: [{ index: 0, function: { arguments: '}' } }] }))).toThrow(GatewayError);
  });

  it('closes a stream that produced nothing as a whole, empty message', () => {
    expect(run([]).map((e) => e.type)).toEqual(['message_start', 'message_delta', 'message_stop']);
  });

  it('reports max_tokens and a matched stop sequence', () => {
    expect(run([chunk({ content: 'a' }, 'length')]).at(-2)?.delta).toEqual({ stop_reason: 'max_tokens', stop_sequence: null });
    expect(run([chunk({ content: 'a' }, 'stop', { stop_reason: 'END' })]).at(-2)?.delta).toEqual({
      stop_reason: 'stop_sequence',
      stop_sequence: 'END',
    });
  });

  it('stream Anthropic thinking as a thinking block closed by its signature, then redacted thinking whole, then text', () => {
    const events = run([
      chunk({ role: 'assistant', content: '' }),
      chunk({ reasoning_content: 'Let me ' }),
      chunk({ reasoning_content: 'think.' }),
      chunk({ reasoning_signature: 'sig-1' }),
      chunk({ redacted_thinking: 'opaque' }),
      chunk({ content: 'Answer.' }),
      chunk({}, 'stop'),
    ]);
    expect(events.slice(1, -2)).toEqual([
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Let me ' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'think.' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'sig-1' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'redacted_thinking', data: 'opaque' } },
      { type: 'content_block_stop', index: 1 },
      { type: 'content_block_start', index: 2, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 2, delta: { type: 'text_delta', text: 'Answer.' } },
      { type: 'content_block_stop', index: 2 },
    ]);
  });

  it('stream a second thinking block after a signed one as a new block', () => {
    const events = run([
      chunk({ reasoning_content: 'a' }),
      chunk({ reasoning_signature: 's1' }),
      chunk({ reasoning_content: 'b' }),
      chunk({ reasoning_signature: 's2' }),
    ]);
    expect(events.filter((e) => e.type === 'content_block_start').map((e) => e.index)).toEqual([0, 1]);
  });

  it("stream reasoning_content from vLLM or DeepSeek (and vLLM's newer `reasoning`) as an unsigned thinking block before the text", () => {
    for (const field of ['reasoning_content', 'reasoning']) {
      const events = run([chunk({ role: 'assistant', [field]: 'hmm' }), chunk({ content: 'ok' }), chunk({}, 'stop')]);
      expect(events.slice(1, 4)).toEqual([
        { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hmm' } },
        { type: 'content_block_stop', index: 0 },
      ]);
      expect(events[4]).toEqual({ type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } });
    }
  });
});
