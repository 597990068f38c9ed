import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../errors.ts';
import {
  DEFAULT_MAX_TOKENS,
  THINKING_BUDGETS,
  toAnthropicMessages,
  toAnthropicRequest,
  toAnthropicSystem,
  toAnthropicToolChoice,
} from './request.ts';
import { STRUCTURED_OUTPUT_TOOL } from './structured-output.ts';
import type { ChatCompletionRequest, ChatMessage } from '../../openai/types.ts';

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
    expect(toAnthropicRequest(base({ stop: ['a', 'b'], max_tokens: 7 }), 'c', false)).toMatchObject({
      stop_sequences: ['a', 'b'],
      max_tokens: 7,
    });
  });

  it('sends nothing Anthropic would reject as an extra input for parameters that ask for nothing', () => {
    const out = toAnthropicRequest(
      base({ n: 1, presence_penalty: 0, logprobs: false, seed: null, stream_options: { include_usage: true } }),
      'c',
      true,
    );
    expect(Object.keys(out).sort()).toEqual(['max_tokens', 'messages', 'model', 'stream']);
  });

  it('maps tools, tool_choice and parallel_tool_calls', () => {
    const out = toAnthropicRequest(
      base({
        tools: [
          {
            type: 'function',
            function: {
              name: 'get_weather',
              description: 'Weather',
              parameters: { type: 'object', properties: { city: { type: 'string' } } },
              strict: true,
            },
          },
        ],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
        parallel_tool_calls: false,
      }),
      'c',
      false,
    );
    expect(out.tools).toEqual([
      { name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
    ]);
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
    expect(() => attempt(base({ temperature: 1.5 }))).toThrow(
      expect.objectContaining({
        status: 400,
        param: 'temperature',
        message: expect.stringContaining("Anthropic's range is 0 to 1") as string,
      }) as GatewayError,
    );
    expect(() => attempt(base({ service_tier: 'flex' }))).toThrow(
      expect.objectContaining({ status: 400, param: 'service_tier' }) as GatewayError,
    );
    expect(() => attempt(base({ response_format: { type: 'xml' } as never }))).toThrow(
      expect.objectContaining({ param: 'response_format' }) as GatewayError,
    );
    const audio: ChatMessage = { role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] };
    expect(() => attempt(base({ messages: [audio] }))).toThrow(
      expect.objectContaining({ param: 'messages[0].content[0]' }) as GatewayError,
    );
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
    expect(
      toAnthropicSystem([
        {
          role: 'system',
          content: [
            { type: 'text', text: 'static', cache_control: { type: 'ephemeral' } },
            { type: 'text', text: 'dynamic' },
          ],
        },
      ]),
    ).toEqual([
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
    expect(
      toAnthropicMessages([
        { role: 'assistant', content: '', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      ]),
    ).toEqual([{ role: 'assistant', content: [{ type: 'tool_use', id: 'c', name: 'f', input: {} }] }]);
    expect(() =>
      toAnthropicMessages([{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '[1]' } }] }]),
    ).toThrow(expect.objectContaining({ code: 'invalid_tool_arguments', param: 'messages[0].tool_calls[0]' }) as GatewayError);
  });
});

describe('response_format as a forced structured_output tool', () => {
  const SCHEMA = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
  const jsonSchema = {
    type: 'json_schema' as const,
    json_schema: { name: 'place', description: 'Where it is.', schema: SCHEMA, strict: true },
  };
  const LOOKUP = { type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: {} } } };

  it('turns json_schema into a tool whose input_schema is the schema, and forces it', () => {
    const out = toAnthropicRequest(base({ response_format: jsonSchema }), 'c', false);
    expect(out.tools).toEqual([
      { name: STRUCTURED_OUTPUT_TOOL, description: expect.stringContaining('"place"') as string, input_schema: SCHEMA },
    ]);
    expect(out.tools?.[0]?.description).toContain('Where it is.');
    expect(out.tool_choice).toEqual({ type: 'tool', name: STRUCTURED_OUTPUT_TOOL });
  });

  it('turns json_object into a tool that takes any object', () => {
    const out = toAnthropicRequest(base({ response_format: { type: 'json_object' } }), 'c', false);
    expect(out.tools).toEqual([
      expect.objectContaining({ name: STRUCTURED_OUTPUT_TOOL, input_schema: { type: 'object', additionalProperties: true } }),
    ]);
    expect(out.tool_choice).toEqual({ type: 'tool', name: STRUCTURED_OUTPUT_TOOL });
  });

  it("lets the model call the client's tools first, and honours their tool_choice", () => {
    expect(toAnthropicRequest(base({ response_format: jsonSchema, tools: [LOOKUP] }), 'c', false)).toMatchObject({
      tools: [{ name: 'lookup' }, { name: STRUCTURED_OUTPUT_TOOL }],
      tool_choice: { type: 'any' },
    });
    expect(toAnthropicRequest(base({ response_format: jsonSchema, tools: [LOOKUP], tool_choice: 'none' }), 'c', false).tool_choice).toEqual(
      { type: 'tool', name: STRUCTURED_OUTPUT_TOOL },
    );
    expect(
      toAnthropicRequest(
        base({
          response_format: jsonSchema,
          tools: [LOOKUP],
          tool_choice: { type: 'function', function: { name: 'lookup' } },
          parallel_tool_calls: false,
        }),
        'c',
        false,
      ).tool_choice,
    ).toEqual({
      type: 'tool',
      name: 'lookup',
      disable_parallel_tool_use: true,
    });
  });

  it('does not force the tool while thinking is on, which Anthropic refuses', () => {
    expect(toAnthropicRequest(base({ response_format: jsonSchema, reasoning_effort: 'low' }), 'c', false).tool_choice).toEqual({
      type: 'auto',
    });
    expect(
      toAnthropicRequest(base({ response_format: jsonSchema, thinking: { type: 'enabled', budget_tokens: 1024 } }), 'c', false).tool_choice,
    ).toEqual({ type: 'auto' });
  });

  it.each([
    [
      'a schema that is not an object',
      { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'array' } } },
      'response_format.json_schema.schema',
    ],
    ['no schema', { type: 'json_schema', json_schema: { name: 'x' } }, 'response_format.json_schema.schema'],
  ])('refuses %s, naming the field', (_what, format, param) => {
    expect(() => toAnthropicRequest(base({ response_format: format as never }), 'c', false)).toThrow(
      expect.objectContaining({ status: 400, param }) as GatewayError,
    );
  });

  it('refuses a client tool that takes the reserved name', () => {
    const clash = { type: 'function' as const, function: { name: STRUCTURED_OUTPUT_TOOL } };
    expect(() => toAnthropicRequest(base({ response_format: jsonSchema, tools: [clash] }), 'c', false)).toThrow(
      expect.objectContaining({ status: 400, param: 'tools[0]' }) as GatewayError,
    );
  });
});

describe('reasoning_effort as extended thinking', () => {
  it.each(Object.entries(THINKING_BUDGETS))('%s → budget %s', (effort, budget) => {
    const out = toAnthropicRequest(base({ reasoning_effort: effort, max_completion_tokens: 40_000 }), 'c', false);
    expect(out.thinking).toEqual(budget === undefined ? undefined : { type: 'enabled', budget_tokens: budget });
    expect(out.max_tokens).toBe(40_000);
  });

  it('refuses a budget that does not fit under max_tokens, an unknown effort, and both effort and thinking', () => {
    expect(() => toAnthropicRequest(base({ reasoning_effort: 'high', max_tokens: 1000 }), 'c', false)).toThrow(
      expect.objectContaining({
        status: 400,
        param: 'reasoning_effort',
        message: expect.stringContaining('Raise max_tokens') as string,
      }) as GatewayError,
    );
    expect(() => toAnthropicRequest(base({ reasoning_effort: 'extreme' }), 'c', false)).toThrow(
      expect.objectContaining({ status: 400, param: 'reasoning_effort' }) as GatewayError,
    );
    expect(() =>
      toAnthropicRequest(base({ reasoning_effort: 'low', thinking: { type: 'enabled', budget_tokens: 1024 } }), 'c', false),
    ).toThrow(expect.objectContaining({ param: 'reasoning_effort' }) as GatewayError);
  });
});

describe('thinking history and documents', () => {
  it('sends thinking blocks back first and unchanged, and leaves an unsigned reasoning_content out', () => {
    const messages: ChatMessage[] = [
      { role: 'user', content: 'q' },
      {
        role: 'assistant',
        content: 'a',
        reasoning_content: 'ignored: not signed',
        thinking_blocks: [
          { type: 'thinking', thinking: 'step 1', signature: 'sig' },
          { type: 'redacted_thinking', data: 'opaque' },
        ],
        tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 't1', content: 'r' },
      { role: 'assistant', content: 'b', reasoning_content: 'from vLLM' },
    ];
    const out = toAnthropicMessages(messages);
    expect(out[1]?.content).toEqual([
      { type: 'thinking', thinking: 'step 1', signature: 'sig' },
      { type: 'redacted_thinking', data: 'opaque' },
      { type: 'text', text: 'a' },
      { type: 'tool_use', id: 't1', name: 'f', input: {} },
    ]);
    expect(out[3]?.content).toEqual([{ type: 'text', text: 'b' }]);
    expect(() =>
      toAnthropicMessages([
        { role: 'assistant', content: 'x', thinking_blocks: [{ type: 'thinking', thinking: 'no signature' } as never] },
      ]),
    ).toThrow(expect.objectContaining({ status: 400, param: 'messages[0].thinking_blocks[0]' }) as GatewayError);
  });

  it('maps an inline PDF or text file part to a document block, passes document parts whole, and refuses a file id', () => {
    const out = toAnthropicMessages([
      {
        role: 'user',
        content: [
          { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0x', filename: 'a.pdf' } },
          { type: 'file', file: { file_data: `data:text/plain;base64,${Buffer.from('plain words').toString('base64')}` } },
          { type: 'document', source: { type: 'url', url: 'https://example.com/b.pdf' }, title: 'B' },
        ],
      },
    ]);
    expect(out[0]?.content).toEqual([
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0x' }, title: 'a.pdf' },
      { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain words' } },
      { type: 'document', source: { type: 'url', url: 'https://example.com/b.pdf' }, title: 'B' },
    ]);
    expect(() => toAnthropicMessages([{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-1' } }] }])).toThrow(
      expect.objectContaining({ status: 400, param: 'messages[0].content[0]' }) as GatewayError,
    );
  });
});
