import { describe, expect, it } from 'vitest';
import type { ChatCompletionChunk, ChunkDelta, FinishReason, Usage } from '../protocols/openai/types.ts';
import { outputItemIds } from './ids.ts';
import type { ResponseContext } from './response.ts';
import {
  closeStream,
  createResponseStreamState,
  failStream,
  streamedResponse,
  terminalEvent,
  translateChunk,
  type ResponseStreamState,
} from './stream.ts';
import type { ResponseStreamEvent } from './types.ts';

const ctx: ResponseContext = {
  id: 'resp_abc',
  createdAt: 100,
  request: { model: 'my-model', input: 'hi' },
  outputIds: outputItemIds('resp_abc'),
};
const usage: Usage = { prompt_tokens: 20, completion_tokens: 4, total_tokens: 24 };

function chunk(delta: ChunkDelta, finish: FinishReason | null = null): ChatCompletionChunk {
  return {
    id: 'chatcmpl-7',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'x',
    choices: [{ index: 0, delta, finish_reason: finish }],
  };
}

function run(chunks: ChatCompletionChunk[], state: ResponseStreamState = createResponseStreamState(ctx)): ResponseStreamEvent[] {
  const events = [...chunks.flatMap((c) => translateChunk(state, c)), ...closeStream(state)];
  return [...events, ...terminalEvent(state, streamedResponse(state, usage, 200))];
}

/** The events without the response objects, which are checked apart. */
function shapes(events: ResponseStreamEvent[]): unknown[] {
  return events.map(({ response, ...rest }) =>
    response === undefined ? rest : { ...rest, response: (response as { status: string }).status },
  );
}

describe('the Responses event stream', () => {
  it("streams text in OpenAI's order, numbered from 0, closing with usage", () => {
    const events = run([chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hel' }), chunk({ content: 'lo' }), chunk({}, 'stop')]);
    const where = { item_id: 'msg_abc_out0', output_index: 0, content_index: 0 };
    expect(shapes(events)).toEqual([
      { type: 'response.created', sequence_number: 0, response: 'in_progress' },
      { type: 'response.in_progress', sequence_number: 1, response: 'in_progress' },
      {
        type: 'response.output_item.added',
        sequence_number: 2,
        output_index: 0,
        item: { id: 'msg_abc_out0', type: 'message', role: 'assistant', status: 'in_progress', content: [] },
      },
      { type: 'response.content_part.added', sequence_number: 3, ...where, part: { type: 'output_text', text: '', annotations: [] } },
      { type: 'response.output_text.delta', sequence_number: 4, ...where, delta: 'Hel', logprobs: [] },
      { type: 'response.output_text.delta', sequence_number: 5, ...where, delta: 'lo', logprobs: [] },
      { type: 'response.output_text.done', sequence_number: 6, ...where, text: 'Hello', logprobs: [] },
      { type: 'response.content_part.done', sequence_number: 7, ...where, part: { type: 'output_text', text: 'Hello', annotations: [] } },
      {
        type: 'response.output_item.done',
        sequence_number: 8,
        output_index: 0,
        item: {
          id: 'msg_abc_out0',
          type: 'message',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: 'Hello', annotations: [] }],
        },
      },
      { type: 'response.completed', sequence_number: 9, response: 'completed' },
    ]);
    expect(events.at(-1)?.response).toMatchObject({
      id: 'resp_abc',
      status: 'completed',
      completed_at: 200,
      usage: { input_tokens: 20, output_tokens: 4, total_tokens: 24 },
    });
    // The first event's response is a snapshot: later output does not leak into it.
    expect(events[0]?.response).toMatchObject({ status: 'in_progress', output: [], usage: null });
  });

  it('streams text then parallel tool calls as function_call items, arguments as deltas', () => {
    const events = run([
      chunk({ content: 'Checking.' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'a', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_2', type: 'function', function: { name: 'b', arguments: '{"y"' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"x":1}' } }] }),
      chunk({ tool_calls: [{ index: 1, function: { arguments: ':2}' } }] }),
      chunk({}, 'tool_calls'),
    ]);
    const types = events.map((e) => `${e.type}${typeof e.output_index === 'number' ? `@${e.output_index}` : ''}`);
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added@0',
      'response.content_part.added@0',
      'response.output_text.delta@0',
      'response.output_item.added@1',
      'response.output_item.added@2',
      'response.function_call_arguments.delta@2',
      'response.function_call_arguments.delta@1',
      'response.function_call_arguments.delta@2',
      'response.output_text.done@0',
      'response.content_part.done@0',
      'response.output_item.done@0',
      'response.function_call_arguments.done@1',
      'response.output_item.done@1',
      'response.function_call_arguments.done@2',
      'response.output_item.done@2',
      'response.completed',
    ]);
    expect((events.at(-1)?.response as { output: unknown[] }).output).toEqual([
      {
        id: 'msg_abc_out0',
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'Checking.', annotations: [] }],
      },
      { id: 'fc_abc_out0', type: 'function_call', call_id: 'call_1', name: 'a', arguments: '{"x":1}', status: 'completed' },
      { id: 'fc_abc_out1', type: 'function_call', call_id: 'call_2', name: 'b', arguments: '{"y":2}', status: 'completed' },
    ]);
  });

  it('ends with response.incomplete when the output hit max_output_tokens', () => {
    const events = run([chunk({ content: 'Hel' }), chunk({}, 'length')]);
    expect(events.at(-1)).toMatchObject({
      type: 'response.incomplete',
      response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, output: [{ status: 'incomplete' }] },
    });
  });

  it('answers an empty stream with a blank message, as without streaming', () => {
    const events = run([]);
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
  });

  it('tells a failure after the start with response.failed, keeping the numbering', () => {
    const state = createResponseStreamState(ctx);
    const started = translateChunk(state, chunk({ content: 'Hel' }));
    const failed = failStream(state, { code: 'upstream_error', message: 'The upstream stream broke.' });
    expect(failed).toEqual([
      {
        type: 'response.failed',
        sequence_number: started.length,
        response: expect.objectContaining({
          status: 'failed',
          error: { code: 'upstream_error', message: 'The upstream stream broke.' },
        }) as unknown,
      },
    ]);
  });
});
