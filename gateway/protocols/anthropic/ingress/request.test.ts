import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../errors.ts';
import { toAnthropicRequest } from '../upstream/request.ts';
import { documentBlocks, forTarget, toChatRequest, toOpenAIToolChoice } from './request.ts';
import { validateMessagesRequest, type IngressRequest } from './validate.ts';

const request = (extra: Record<string, unknown> = {}): IngressRequest =>
  validateMessagesRequest({ model: 'claude-x', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], ...extra });

const WEATHER = { name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } };

const TOOL_ROUND = [
  { role: 'user', content: 'weather?' },
  {
    role: 'assistant',
    content: [
      { type: 'thinking', thinking: 'hm', signature: 's' },
      { type: 'text', text: 'Checking.' },
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
    ],
  },
  {
    role: 'user',
    content: [
      { type: 'text', text: 'thanks' },
      { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'sunny' }] },
    ],
  },
];

function refusal(body: IngressRequest): GatewayError {
  try {
    toChatRequest(body);
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a 400');
}

describe('toChatRequest', () => {
  it('translates a minimal request', () => {
    expect(toChatRequest(request())).toEqual({ model: 'claude-x', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
  });

  it('maps sampling, stop sequences, the end user, and asks for usage in streams', () => {
    const out = toChatRequest(
      request({
        temperature: 0.3,
        top_p: 0.9,
        top_k: 5,
        stop_sequences: ['END'],
        metadata: { user_id: 'u-1' },
        stream: true,
        thinking: { type: 'enabled', budget_tokens: 50 },
      }),
    );
    expect(out).toMatchObject({
      temperature: 0.3,
      top_p: 0.9,
      top_k: 5,
      stop: ['END'],
      user: 'u-1',
      stream: true,
      stream_options: { include_usage: true },
      thinking: { type: 'enabled', budget_tokens: 50 },
    });
    expect(toChatRequest(request({ stop_sequences: [], stream: false }))).not.toHaveProperty('stop');
    expect(toChatRequest(request({ stream: false }))).not.toHaveProperty('stream_options');
  });

  it('turns the system prompt into a system message, keeping cache breakpoints', () => {
    expect(toChatRequest(request({ system: 'be brief' })).messages[0]).toEqual({ role: 'system', content: 'be brief' });
    expect(toChatRequest(request({ system: [{ type: 'text', text: 'be brief' }] })).messages[0]).toEqual({
      role: 'system',
      content: 'be brief',
    });
    const cached = toChatRequest(
      request({
        system: [
          { type: 'text', text: 'long', cache_control: { type: 'ephemeral' } },
          { type: 'text', text: 'more' },
        ],
      }),
    );
    expect(cached.messages[0]).toEqual({
      role: 'system',
      content: [
        { type: 'text', text: 'long', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'more' },
      ],
    });
    expect(toChatRequest(request({ system: '' })).messages).toHaveLength(1);
  });

  it('translates images given as base64 or by URL', () => {
    const out = toChatRequest(
      request({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'what is this?' },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0K' } },
              { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
            ],
          },
        ],
      }),
    );
    expect(out.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0K' } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
        ],
      },
    ]);
  });

  it('turns tool_use into tool_calls and tool_result into tool messages placed first, keeping thinking whole', () => {
    expect(toChatRequest(request({ messages: TOOL_ROUND })).messages).toEqual([
      { role: 'user', content: 'weather?' },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
        thinking_blocks: [{ type: 'thinking', thinking: 'hm', signature: 's' }],
        reasoning_content: 'hm',
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'sunny' },
      { role: 'user', content: 'thanks' },
    ]);
  });

  it('sends an assistant turn of tool calls alone with null content, and tool results alone as tool messages only', () => {
    const out = toChatRequest(
      request({
        messages: [
          { role: 'user', content: 'q' },
          {
            role: 'assistant',
            content: [
              { type: 'tool_use', id: 'a', name: 'f', input: {} },
              { type: 'tool_use', id: 'b', name: 'g' },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'a', content: 'one' },
              { type: 'tool_result', tool_use_id: 'b' },
            ],
          },
        ],
      }),
    );
    expect(out.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } },
          { id: 'b', type: 'function', function: { name: 'g', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'a', content: 'one' },
      { role: 'tool', tool_call_id: 'b', content: '' },
    ]);
  });

  it('maps tools and tool_choice, and leaves tool_choice out without tools', () => {
    const out = toChatRequest(request({ tools: [WEATHER], tool_choice: { type: 'any', disable_parallel_tool_use: true } }));
    expect(out).toMatchObject({
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: WEATHER.input_schema } }],
      tool_choice: 'required',
      parallel_tool_calls: false,
    });
    expect(toChatRequest(request({ tool_choice: { type: 'auto' } }))).not.toHaveProperty('tool_choice');
    expect(toOpenAIToolChoice({ type: 'auto' })).toBe('auto');
    expect(toOpenAIToolChoice({ type: 'none' })).toBe('none');
    expect(toOpenAIToolChoice({ type: 'tool', name: 'f' })).toEqual({ type: 'function', function: { name: 'f' } });
  });

  it.each([
    [
      'a document block without a source type',
      [{ role: 'user', content: [{ type: 'document', source: {} }] }],
      'messages.0.content.0.source',
      'document source',
    ],
    [
      'a thinking block without its signature',
      [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'hm' }] },
      ],
      'messages.1.content.0',
      'signature',
    ],
    [
      'a redacted_thinking block without data',
      [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: [{ type: 'redacted_thinking' }] },
      ],
      'messages.1.content.0',
      '"data"',
    ],
    ['an image without a source', [{ role: 'user', content: [{ type: 'image' }] }], 'messages.0.content.0.source', 'base64'],
    ['a text block without text', [{ role: 'user', content: [{ type: 'text' }] }], 'messages.0.content.0.text', 'string'],
    [
      'a tool_result without its id',
      [{ role: 'user', content: [{ type: 'tool_result', content: 'x' }] }],
      'messages.0.content.0.tool_use_id',
      'Field required',
    ],
    [
      'an image inside a tool_result',
      [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', content: [{ type: 'image', source: {} }] }] }],
      'messages.0.content.0.content.0',
      'only text',
    ],
    [
      'a tool_use with array input',
      [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'a', name: 'f', input: [] }] },
      ],
      'messages.1.content.0.input',
      'object',
    ],
    [
      'a server tool result in an assistant turn',
      [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: [{ type: 'web_search_tool_result' }] },
      ],
      'messages.1.content.0',
      'web_search_tool_result',
    ],
  ])('refuses %s with a 400 naming the block', (_what, messages, param, mentions) => {
    const err = refusal(request({ messages }));
    expect(err.status).toBe(400);
    expect(err.param).toBe(param);
    expect(err.message).toContain(mentions);
  });
});

describe('forTarget', () => {
  const body = toChatRequest(
    request({
      top_k: 3,
      system: [{ type: 'text', text: 'sys', cache_control: { type: 'ephemeral' } }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'a', cache_control: { type: 'ephemeral' } },
            { type: 'text', text: 'b' },
          ],
        },
      ],
    }),
  );

  it('gives Anthropic everything', () => {
    expect(forTarget(body, 'anthropic')).toBe(body);
  });

  it('takes Anthropic-only fields off for OpenAI and sends max_completion_tokens', () => {
    const out = forTarget(body, 'openai');
    expect(out).not.toHaveProperty('top_k');
    expect(out).not.toHaveProperty('max_tokens');
    expect(out.max_completion_tokens).toBe(100);
    expect(out.messages).toEqual([
      { role: 'system', content: 'sys' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b' },
        ],
      },
    ]);
    expect(JSON.stringify(body)).toContain('cache_control');
  });

  it('keeps max_tokens for OpenAI-compatible servers', () => {
    const out = forTarget(body, 'openai-compatible');
    expect(out.max_tokens).toBe(100);
    expect(out).not.toHaveProperty('max_completion_tokens');
    expect(JSON.stringify(out)).not.toContain('cache_control');
  });

  const withThinking = toChatRequest(
    request({
      messages: [
        { role: 'user', content: 'q' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'let me see', signature: 'sig-1' },
            { type: 'redacted_thinking', data: 'opaque' },
            { type: 'text', text: 'a' },
          ],
        },
        { role: 'user', content: 'more' },
      ],
    }),
  );

  it('keeps thinking history for Anthropic whole, for vLLM and DeepSeek as reasoning_content, and not at all for OpenAI', () => {
    expect(forTarget(withThinking, 'anthropic').messages[1]).toMatchObject({
      thinking_blocks: [
        { type: 'thinking', thinking: 'let me see', signature: 'sig-1' },
        { type: 'redacted_thinking', data: 'opaque' },
      ],
    });
    expect(forTarget(withThinking, 'openai-compatible').messages[1]).toEqual({
      role: 'assistant',
      content: 'a',
      reasoning_content: 'let me see',
    });
    expect(forTarget(withThinking, 'openai').messages[1]).toEqual({ role: 'assistant', content: 'a' });
  });

  it('refuses document blocks for upstreams other than Anthropic, naming the block', () => {
    const withDocument = request({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'summarise' },
            { type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } },
          ],
        },
      ],
    });
    const documents = documentBlocks(withDocument);
    expect(documents).toEqual(['messages.0.content.1']);
    const chat = toChatRequest(withDocument);
    expect(forTarget(chat, 'anthropic', documents)).toBe(chat);
    for (const kind of ['openai', 'openai-compatible'] as const) {
      expect(() => forTarget(chat, kind, documents)).toThrow(
        expect.objectContaining({
          status: 400,
          param: 'messages.0.content.1',
          message: expect.stringContaining('document blocks are sent to Anthropic models only') as string,
        }),
      );
    }
  });
});

describe('through to the Anthropic upstream', () => {
  it('arrives as the Messages request the client sent', () => {
    const original = {
      model: 'claude-x',
      max_tokens: 100,
      system: [{ type: 'text', text: 'sys', cache_control: { type: 'ephemeral' } }],
      messages: [
        ...TOOL_ROUND.slice(0, 2),
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' },
            { type: 'text', text: 'thanks' },
          ],
        },
      ],
      tools: [WEATHER],
      tool_choice: { type: 'tool', name: 'get_weather' },
      top_k: 4,
      stop_sequences: ['END'],
      thinking: { type: 'enabled', budget_tokens: 1024 },
    };
    const chat = forTarget(toChatRequest(validateMessagesRequest(original)), 'anthropic');
    expect(toAnthropicRequest(chat, 'claude-upstream', false)).toEqual({
      model: 'claude-upstream',
      max_tokens: 100,
      system: [{ type: 'text', text: 'sys', cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'weather?' }] },
        // Thinking goes back first and unchanged: Anthropic checks the signature during tool use.
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hm', signature: 's' },
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' },
            { type: 'text', text: 'thanks' },
          ],
        },
      ],
      tools: [WEATHER],
      tool_choice: { type: 'tool', name: 'get_weather' },
      top_k: 4,
      stop_sequences: ['END'],
      thinking: { type: 'enabled', budget_tokens: 1024 },
    });
  });

  it('carries document blocks whole, title, context and citations included', () => {
    const document = {
      type: 'document',
      source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0x' },
      title: 'Report',
      context: 'Q3',
      citations: { enabled: true },
      cache_control: { type: 'ephemeral' },
    };
    const text = { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain words' } };
    const chat = toChatRequest(
      validateMessagesRequest({
        model: 'claude-x',
        max_tokens: 10,
        messages: [{ role: 'user', content: [document, text, { type: 'text', text: 'summarise' }] }],
      }),
    );
    expect(toAnthropicRequest(chat, 'claude-upstream', false).messages).toEqual([
      { role: 'user', content: [document, text, { type: 'text', text: 'summarise' }] },
    ]);
  });
});
