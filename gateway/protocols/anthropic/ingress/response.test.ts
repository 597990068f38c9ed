import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../errors.ts';
import type { ChatCompletion, ResponseMessage, Usage } from '../../openai/types.ts';
import { messageId, toAnthropicMessage, toAnthropicUsage, toStopFields, toolInput, type IngressContext } from './response.ts';

const ctx: IngressContext = { model: 'my-model', stopSequences: ['END'], requestId: 'req_abc' };
const usage: Usage = { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 };

function completion(
  message: Partial<ResponseMessage>,
  finish: ChatCompletion['choices'][number]['finish_reason'] = 'stop',
  extra: Record<string, unknown> = {},
): ChatCompletion {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'upstream-name',
    choices: [{ index: 0, message: { role: 'assistant', content: null, ...message }, finish_reason: finish, ...extra }],
  };
}

describe('toAnthropicMessage', () => {
  it("answers text as a message with the client's model name and Anthropic's usage", () => {
    expect(toAnthropicMessage(completion({ content: 'hello' }), usage, ctx)).toEqual({
      id: 'msg_chatcmpl-1',
      type: 'message',
      role: 'assistant',
      model: 'my-model',
      content: [{ type: 'text', text: 'hello' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
  });

  it('answers tool calls as tool_use blocks after the text', () => {
    const message = toAnthropicMessage(
      completion(
        {
          content: 'Checking.',
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
        },
        'tool_calls',
      ),
      usage,
      ctx,
    );
    expect(message.content).toEqual([
      { type: 'text', text: 'Checking.' },
      { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
    ]);
    expect(message.stop_reason).toBe('tool_use');
  });

  it('maps the other finish reasons', () => {
    expect(toAnthropicMessage(completion({ content: 'cut' }, 'length'), usage, ctx).stop_reason).toBe('max_tokens');
    const refused = toAnthropicMessage(completion({ content: null, refusal: 'I cannot help with that.' }, 'content_filter'), usage, ctx);
    expect(refused).toMatchObject({ stop_reason: 'refusal', content: [{ type: 'text', text: 'I cannot help with that.' }] });
    expect(toAnthropicMessage(completion({ content: '' }, null), usage, ctx)).toMatchObject({ stop_reason: 'end_turn', content: [] });
  });

  it("reports a matched stop sequence when the upstream says which (vLLM's stop_reason)", () => {
    expect(toAnthropicMessage(completion({ content: 'a' }, 'stop', { stop_reason: 'END' }), usage, ctx)).toMatchObject({
      stop_reason: 'stop_sequence',
      stop_sequence: 'END',
    });
    // vLLM puts the stop token id there when a token stopped it: not a stop sequence.
    expect(toAnthropicMessage(completion({ content: 'a' }, 'stop', { stop_reason: 128001 }), usage, ctx)).toMatchObject({
      stop_reason: 'end_turn',
      stop_sequence: null,
    });
  });
});

describe('toAnthropicUsage', () => {
  it('counts cached input apart, as Anthropic does', () => {
    expect(
      toAnthropicUsage({
        prompt_tokens: 100,
        completion_tokens: 7,
        total_tokens: 107,
        prompt_tokens_details: { cached_tokens: 60, cache_creation_tokens: 30 },
      }),
    ).toEqual({
      input_tokens: 10,
      output_tokens: 7,
      cache_read_input_tokens: 60,
      cache_creation_input_tokens: 30,
    });
  });
});

describe('helpers', () => {
  it("prefixes ids that are not Anthropic's and falls back to the request id", () => {
    expect(messageId('msg_01', 'req_1')).toBe('msg_01');
    expect(messageId('chatcmpl-9', 'req_1')).toBe('msg_chatcmpl-9');
    expect(messageId(undefined, 'req_1')).toBe('msg_req_1');
  });

  it('maps finish reasons, with unknown ones as end_turn', () => {
    expect(toStopFields('tool_calls', undefined)).toEqual({ stop_reason: 'tool_use', stop_sequence: null });
    expect(toStopFields('eos' as 'stop', undefined)).toEqual({ stop_reason: 'end_turn', stop_sequence: null });
  });

  it('parses tool arguments, refusing what is not a JSON object', () => {
    expect(toolInput({ function: { name: 'f', arguments: ' ' } })).toEqual({});
    expect(toolInput({ function: { name: 'f', arguments: '{"a":1}' } })).toEqual({ a: 1 });
    for (const bad of ['[1]', '{"a":', 'null']) {
      expect(() => toolInput({ function: { name: 'f', arguments: bad } })).toThrow(GatewayError);
    }
  });
});

describe('reasoning in the message', () => {
  it("puts Anthropic's thinking blocks first, whole with their signatures", () => {
    const thinking = [
      { type: 'thinking' as const, thinking: 'hm', signature: 'sig' },
      { type: 'redacted_thinking' as const, data: 'opaque' },
    ];
    const message = toAnthropicMessage(completion({ content: 'Answer.', reasoning_content: 'hm', thinking_blocks: thinking }), usage, ctx);
    expect(message.content).toEqual([...thinking, { type: 'text', text: 'Answer.' }]);
  });

  it("turns vLLM's and DeepSeek's reasoning_content (or vLLM's newer `reasoning`) into one unsigned thinking block", () => {
    expect(toAnthropicMessage(completion({ content: 'Answer.', reasoning_content: 'step by step' }), usage, ctx).content).toEqual([
      { type: 'thinking', thinking: 'step by step', signature: '' },
      { type: 'text', text: 'Answer.' },
    ]);
    expect(toAnthropicMessage(completion({ content: 'A', reasoning: 'newer field' }), usage, ctx).content[0]).toEqual({
      type: 'thinking',
      thinking: 'newer field',
      signature: '',
    });
    expect(toAnthropicMessage(completion({ content: 'A', reasoning_content: '' }), usage, ctx).content).toEqual([
      { type: 'text', text: 'A' },
    ]);
  });

  it('reports the matched stop sequence the Anthropic provider puts on the choice', () => {
    expect(toAnthropicMessage(completion({ content: 'x' }, 'stop', { stop_reason: 'END' }), usage, ctx)).toMatchObject({
      stop_reason: 'stop_sequence',
      stop_sequence: 'END',
    });
  });
});
