import { describe, expect, it } from 'vitest';
import { outputItemIds } from './ids.ts';
import { toContextItems } from './input-items.ts';
import { nativeBody, nativeEvent, nativeResponse, speaksResponses, withMemoryBlock } from './native.ts';
import type { ResponseContext } from './response.ts';
import type { ContextItem, ResponsesRequest } from './types.ts';

const request: ResponsesRequest = {
  model: 'my-model',
  input: 'x',
  instructions: 'be brief',
  reasoning: { effort: 'low', summary: 'auto' },
  store: true,
  previous_response_id: 'resp_prev',
  stream: true,
  conversation_id: 'c1',
  memory: { enabled: true },
  metadata: { k: 'v' },
  include: ['message.output_text.logprobs'],
};
const ctx: ResponseContext = { id: 'resp_ours', createdAt: 100, request, outputIds: outputItemIds('resp_ours') };

const context: ContextItem[] = [
  { id: 'msg_1', type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text: 'hi' }] },
  { id: 'rs_up', type: 'reasoning', summary: [{ type: 'summary_text', text: 'thought' }], encrypted_content: 'enc_abc' },
  { id: 'rs_bare', type: 'reasoning', summary: [] },
  { id: 'fc_1', type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}', status: 'completed' },
  { id: 'fco_1', type: 'function_call_output', call_id: 'call_1', output: '42', status: 'completed' },
];

describe('which upstreams get the Responses API itself', () => {
  it('is OpenAI; Anthropic and OpenAI-compatible servers get the chat translation', () => {
    expect(speaksResponses('openai')).toBe(true);
    expect(speaksResponses('anthropic')).toBe(false);
    expect(speaksResponses('openai-compatible')).toBe(false);
  });
});

describe('the upstream body', () => {
  it('sends the whole context statelessly: no previous_response_id, store false, encrypted reasoning asked for, gateway fields kept back', () => {
    const body = nativeBody(request, context, undefined);
    expect(body).toEqual({
      model: 'my-model',
      instructions: 'be brief',
      reasoning: { effort: 'low', summary: 'auto' },
      metadata: { k: 'v' },
      include: ['message.output_text.logprobs', 'reasoning.encrypted_content'],
      store: false,
      input: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] },
        { type: 'reasoning', id: 'rs_up', summary: [{ type: 'summary_text', text: 'thought' }], encrypted_content: 'enc_abc' },
        { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: '42' },
      ],
    });
  });

  it('reads reasoning items from a client that sends them back, and refuses a malformed one naming the field', () => {
    const ids = outputItemIds('resp_x');
    const items = toContextItems(
      [{ type: 'reasoning', id: 'rs_9', summary: [{ type: 'summary_text', text: 's' }], encrypted_content: 'e' }],
      ids,
    );
    expect(items).toEqual([{ id: 'rs_9', type: 'reasoning', summary: [{ type: 'summary_text', text: 's' }], encrypted_content: 'e' }]);
    expect(() => toContextItems([{ type: 'reasoning', id: 'rs_9', summary: 'no' }], ids)).toThrow(/input\[0\]\.summary/);
  });
});

describe('memory in the input', () => {
  const user = { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'q' }] };
  const system = { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'rules' }] };

  it('appends the block to the last leading system or developer item, keeping its text first', () => {
    expect(withMemoryBlock([system, user], 'MEM')).toEqual([
      {
        ...system,
        content: [
          { type: 'input_text', text: 'rules' },
          { type: 'input_text', text: '\n\nMEM' },
        ],
      },
      user,
    ]);
  });

  it('puts a developer message first when the input has none, and changes nothing without a block', () => {
    expect(withMemoryBlock([user], 'MEM')).toEqual([
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'MEM' }] },
      user,
    ]);
    expect(withMemoryBlock([user], undefined)).toEqual([user]);
  });
});

describe("the client's view of the upstream's response", () => {
  const upstream = {
    id: 'resp_upstream',
    object: 'response',
    status: 'completed',
    completed_at: 123,
    model: 'my-model',
    store: false,
    previous_response_id: null,
    output: [
      { id: 'rs_1', type: 'reasoning', summary: [], encrypted_content: 'enc' },
      {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'ok', annotations: [] }],
      },
    ],
    usage: {
      input_tokens: 3,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 2,
      output_tokens_details: { reasoning_tokens: 1 },
      total_tokens: 5,
    },
  };

  it("carries the gateway's id and the request's settings, with the upstream's output and outcome", () => {
    const response = nativeResponse(ctx, upstream, {
      prompt_tokens: 3,
      completion_tokens: 2,
      total_tokens: 5,
      completion_tokens_details: { reasoning_tokens: 1 },
    });
    expect(response).toMatchObject({
      id: 'resp_ours',
      store: true,
      previous_response_id: 'resp_prev',
      metadata: { k: 'v' },
      status: 'completed',
      completed_at: 123,
      output: upstream.output,
    });
    expect(response.usage).toEqual(upstream.usage);
  });

  it('rewrites the response inside lifecycle events and leaves item events as they are', () => {
    const created = nativeEvent(ctx, {
      type: 'response.created',
      sequence_number: 0,
      response: { ...upstream, status: 'in_progress', output: [], usage: null },
    });
    expect(created.response).toMatchObject({ id: 'resp_ours', status: 'in_progress', usage: null });
    const delta = { type: 'response.output_text.delta', sequence_number: 5, item_id: 'msg_1', delta: 'o' };
    expect(nativeEvent(ctx, delta)).toBe(delta);
  });
});
