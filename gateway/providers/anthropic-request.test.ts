import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.ts';
import { DEFAULT_MAX_TOKENS, toAnthropicMessages, toAnthropicRequest, toAnthropicSystem, toAnthropicToolChoice } from './anthropic-request.ts';
import type { ChatCompletionRequest, ChatMessage } from './types.ts';

const base = (extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest => ({
  model: 'my-claude',
  messages: [{ role: 'user', content: 'hi' }],
  ...extra,
});

describe('toAnthropicRequest', () => {
  it('uses the upstream model, defaults max_tokens and leaves out what was not asked for', () => {
    expect(toAnthropicRequest(base(), 'claude-x', false)).toEqual({
      model: 'claude-x',
      max_tokens: DEFAULT_MAX_TOKENS,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    });
  });

  it('maps sampling, stop, user, stream and max_completion_tokens over max_tokens', () => {
    const req = base({ max_tokens: 10, max_completion_tokens: 20, temperature: 0.2, top_p: 0.9, stop: 'END', user: 'u-1', top_k: 5 });
    expect(toAnthropicRequest(req, 'claude-x', true)).toMatchObject({
      max_tokens: 20,
      temperature: 0.2,
      top_p: 0.9,
      top_k: 5,
      stop_sequences: ['END'],
      metadata: { user_id: 'u-1' },
      stream: true,
    });
    expect(toAnthropicRequest(base({ stop: ['a', 'b'], max_tokens: 7 }), 'c', false)).toMatchObject({ stop_sequences: ['a', 'b'], max_tokens: 7 });
  });

  it('drops OpenAI-only fields Anthropic would reject as extra inputs', () => {
    const out = toAnthropicRequest(base({ n: 1, presence_penalty: 0.5, logprobs: true, seed: 3, stream_options: { include_usage: true } }), 'c', true);
    expect(Object.keys(out).sort()).toEqual(['max_tokens', 'messages', 'model', 'stream']);
  });

  it('maps tools, tool_choice and parallel_tool_calls', () => {
    const out = toAnthropicRequest(
      base({
        tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true } }],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
        parallel_tool_calls: false,
      }),
      'c',
      false,
    );
    expect(out.tools).toEqual([{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }]);
    expect(out.tool_choice).toEqual({ type: 'tool', name: 'get_weather', disable_parallel_tool_use: true });
  });

  it.each([
    ['auto', undefined, { type: 'auto' }],
    ['required', undefined, { type: 'any' }],
    ['none', false, { type: 'none' }],
    [undefined, undefined, undefined],
    [undefined, false, { type: 'auto', disable_parallel_tool_use: true }],
  ] as const)('tool_choice %s (parallel %s) → %j', (choice, parallel, expected) => {
    expect(toAnthropicToolChoice(choice, parallel)).toEqual(expected);
  });

  it('refuses what Anthropic cannot do with a 400 naming the parameter', () => {
    const attempt = (req: ChatCompletionRequest): unknown => toAnthropicRequest(req, 'c', false);
    expect(() => attempt(base({ n: 2 }))).toThrow(expect.objectContaining({ status: 400, param: 'n' }) as GatewayError);
    expect(() => attempt(base({ response_format: { type: 'json_object' } }))).toThrow(/response_format "json_object"/);
    const audio: ChatMessage = { role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] };
    expect(() => attempt(base({ messages: [audio] }))).toThrow(expect.objectContaining({ param: 'messages[0].content[0]' }) as GatewayError);
  });
});

describe('toAnthropicSystem', () => {
  it('gathers system and developer messages from anywhere into one string', () => {
    expect(
      toAnthropicSystem([
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'hi' },
        { role: 'developer', content: [{ type: 'text', text: 'Memories: x' }] },
      ]),
    ).toBe('You are terse.\n\nMemories: x');
    expect(toAnthropicSystem([{ role: 'user', content: 'hi' }])).toBeUndefined();
  });

  it('keeps blocks when a cache breakpoint must survive', () => {
    expect(toAnthropicSystem([{ role: 'system', content: [{ type: 'text', text: 'static', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'dynamic' }] }])).toEqual([
      { type: 'text', text: 'static', cache_control: { type: 'ephemeral' } },
      { type: 'text', text: 'dynamic' },
    ]);
  });
});

describe('toAnthropicMessages', () => {
  it('turns a tool round trip into tool_use and one merged user turn of tool_results', () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'sys' },
      { role: 'user', content: 'weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: 'rainy' }] },
      { role: 'user', content: 'thanks' },
    ];
    expect(toAnthropicMessages(messages)).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'weather in Paris and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_2', name: 'get_weather', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: 'sunny' },
          { type: 'tool_result', tool_use_id: 'call_2', content: 'rainy' },
          { type: 'text', text: 'thanks' },
        ],
      },
    ]);
  });

  it('maps images from data URLs and http URLs', () => {
    const out = toAnthropicMessages([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
        ],
      },
    ]);
    expect(out[0]?.content).toEqual([
      { type: 'text', text: 'what is this?' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
    ]);
  });

  it('drops empty text (Anthropic rejects empty text blocks) and rejects bad tool arguments', () => {
    expect(toAnthropicMessages([{ role: 'assistant', content: '', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] }])).toEqual([
      { role: 'assistant', content: [{ type: 'tool_use', id: 'c', name: 'f', input: {} }] },
    ]);
    expect(() => toAnthropicMessages([{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '[1]' } }] }])).toThrow(
      expect.objectContaining({ code: 'invalid_tool_arguments', param: 'messages[0].tool_calls[0]' }) as GatewayError,
    );
  });
});
