import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.ts';
import { inputItemIds } from './ids.ts';
import { toContextItems } from './input-items.ts';
import { forTarget, toChatMessages, toChatRequest } from './request.ts';
import type { ResponsesRequest } from './types.ts';

const ids = inputItemIds('resp_abc');

function caught(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    if (err instanceof GatewayError) return err;
  }
  throw new Error('expected a GatewayError');
}

describe('toContextItems', () => {
  it('makes a string input one user message, in the full item shape', () => {
    expect(toContextItems('hi', ids)).toEqual([
      { id: 'msg_abc_in0', type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text: 'hi' }] },
    ]);
  });

  it("reads messages, function calls and their outputs, keeping the client's ids", () => {
    const items = toContextItems(
      [
        { role: 'developer', content: 'rules' },
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'look' },
            { type: 'input_image', image_url: 'https://x/y.png' },
          ],
        },
        { id: 'msg_prev', type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'calling', annotations: [] }] },
        { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'done' },
      ],
      ids,
    );
    expect(items.map((item) => item.id)).toEqual(['msg_abc_in0', 'msg_abc_in1', 'msg_prev', 'fc_abc_in3', 'fco_abc_in4']);
    expect(items[1]).toMatchObject({
      content: [
        { type: 'input_text', text: 'look' },
        { type: 'input_image', image_url: 'https://x/y.png', detail: 'auto' },
      ],
    });
    expect(items[2]).toMatchObject({ role: 'assistant', content: [{ type: 'output_text', text: 'calling', annotations: [] }] });
  });

  it.each([
    [[{ type: 'reasoning', summary: [] }], 'input[0].id', 'invalid_value'],
    [[{ type: 'item_reference', id: 'msg_1' }], 'input[0].type', 'unsupported_parameter'],
    [[{ role: 'user', content: [{ type: 'input_file', file_id: 'f' }] }], 'input[0].content[0].type', 'unsupported_parameter'],
    [[{ role: 'user', content: [{ type: 'input_image', file_id: 'file_1' }] }], 'input[0].content[0].file_id', 'unsupported_parameter'],
    [[{ role: 'system', content: [{ type: 'input_image', image_url: 'u' }] }], 'input[0].content[0].type', 'unsupported_parameter'],
    [[{ role: 'tool', content: 'x' }], 'input[0].role', 'invalid_value'],
    [[{ role: 'user', content: 5 }], 'input[0].content', 'invalid_value'],
    [['text'], 'input[0]', 'invalid_value'],
    [[{ type: 'function_call', name: 'f', arguments: '{}' }], 'input[0].call_id', 'invalid_value'],
    [
      [{ type: 'function_call_output', call_id: 'c', output: [{ type: 'input_image', image_url: 'u' }] }],
      'input[0].output[0].type',
      'unsupported_parameter',
    ],
  ])('refuses %j naming %s', (input, param, code) => {
    expect(caught(() => toContextItems(input, ids))).toMatchObject({ status: 400, param, code });
  });
});

describe('toChatMessages', () => {
  it('puts instructions first and gathers consecutive function calls into the assistant turn before them', () => {
    const items = toContextItems(
      [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: '' },
        { type: 'function_call', call_id: 'c1', name: 'w', arguments: '{"city":"Oslo"}' },
        { type: 'function_call', call_id: 'c2', name: 'w', arguments: '{"city":"Rome"}' },
        { type: 'function_call_output', call_id: 'c1', output: '5C' },
        { type: 'function_call_output', call_id: 'c2', output: [{ type: 'input_text', text: '20C' }] },
        { type: 'function_call', call_id: 'c3', name: 'w', arguments: '{}' },
      ],
      ids,
    );
    expect(toChatMessages(items, 'Be brief.')).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'weather?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'w', arguments: '{"city":"Oslo"}' } },
          { id: 'c2', type: 'function', function: { name: 'w', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: '5C' },
      { role: 'tool', tool_call_id: 'c2', content: [{ type: 'text', text: '20C' }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c3', type: 'function', function: { name: 'w', arguments: '{}' } }] },
    ]);
  });

  it('keeps images as image_url parts and joins text-only content into a string', () => {
    const items = toContextItems(
      [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'a' },
            { type: 'input_text', text: 'b' },
          ],
        },
        { role: 'user', content: [{ type: 'input_image', image_url: 'data:image/png;base64,AA', detail: 'low' }] },
      ],
      ids,
    );
    expect(toChatMessages(items, undefined)).toEqual([
      { role: 'user', content: 'ab' },
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AA', detail: 'low' } }] },
    ]);
  });
});

describe('toChatRequest and forTarget', () => {
  const req: ResponsesRequest = {
    model: 'm',
    input: 'x',
    tools: [{ type: 'function', name: 'f', description: 'does f', parameters: { type: 'object' }, strict: true }],
    tool_choice: { type: 'function', name: 'f' },
    parallel_tool_calls: false,
    text: { format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true } },
    max_output_tokens: 64,
    temperature: 0.5,
    user: 'u1',
    stream: true,
    reasoning: { effort: 'low' },
  };

  it('maps tools, tool choice, text.format, limits and streaming onto chat fields', () => {
    const chat = toChatRequest(req, toContextItems('x', ids));
    expect(chat).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      max_tokens: 64,
      temperature: 0.5,
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } },
      tools: [{ type: 'function', function: { name: 'f', description: 'does f', parameters: { type: 'object' }, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      parallel_tool_calls: false,
      user: 'u1',
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('passes the reasoning effort to OpenAI-dialect upstreams only, and OpenAI gets max_completion_tokens', () => {
    const chat = toChatRequest(req, toContextItems('x', ids));
    expect(forTarget(chat, 'openai', 'low')).toMatchObject({ reasoning_effort: 'low', max_completion_tokens: 64 });
    expect(forTarget(chat, 'openai-compatible', 'low')).toMatchObject({ reasoning_effort: 'low', max_tokens: 64 });
    expect(forTarget(chat, 'anthropic', 'low')).not.toHaveProperty('reasoning_effort');
    expect(forTarget(chat, 'openai', undefined)).not.toHaveProperty('reasoning_effort');
  });
});
