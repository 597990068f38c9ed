import { describe, expect, it } from 'vitest';
import { outputItemIds } from './ids.ts';
import { finishedResponse, inProgressResponse, outputItems, toResponseUsage, type ResponseContext } from './response.ts';

const ids = outputItemIds('resp_abc');
const ctx: ResponseContext = {
  id: 'resp_abc',
  createdAt: 100,
  request: { model: 'my-model', input: 'x', instructions: 'be brief', metadata: { k: 'v' } },
  outputIds: ids,
};

describe('the response object', () => {
  it("echoes the request's settings with OpenAI's defaults", () => {
    expect(inProgressResponse(ctx)).toEqual({
      id: 'resp_abc',
      object: 'response',
      created_at: 100,
      status: 'in_progress',
      completed_at: null,
      error: null,
      incomplete_details: null,
      instructions: 'be brief',
      max_output_tokens: null,
      model: 'my-model',
      output: [],
      parallel_tool_calls: true,
      previous_response_id: null,
      reasoning: { effort: null, summary: null },
      store: true,
      temperature: null,
      text: { format: { type: 'text' } },
      tool_choice: 'auto',
      tools: [],
      top_p: null,
      truncation: 'disabled',
      usage: null,
      user: null,
      safety_identifier: null,
      metadata: { k: 'v' },
    });
  });

  it('maps a chat message to a message item, then one function_call item per tool call', () => {
    const message = {
      role: 'assistant' as const,
      content: 'Checking.',
      tool_calls: [
        { id: 'call_9', type: 'function' as const, function: { name: 'f', arguments: '{"a":1}' } },
        { id: '', type: 'function' as const, function: { name: 'g', arguments: '{}' } },
      ],
    };
    expect(outputItems(message, ids, 'completed')).toEqual([
      {
        id: 'msg_abc_out0',
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'Checking.', annotations: [] }],
      },
      { id: 'fc_abc_out0', type: 'function_call', call_id: 'call_9', name: 'f', arguments: '{"a":1}', status: 'completed' },
      // An upstream that gave no call id still leaves the client one to answer with.
      { id: 'fc_abc_out1', type: 'function_call', call_id: 'call_abc_out1', name: 'g', arguments: '{}', status: 'completed' },
    ]);
    expect(outputItems({ role: 'assistant', content: null, refusal: 'No.' }, ids, 'completed')).toEqual([
      { id: 'msg_abc_out0', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'refusal', refusal: 'No.' }] },
    ]);
  });

  it('counts usage the Responses way and marks a cut-short answer incomplete', () => {
    expect(
      toResponseUsage({
        prompt_tokens: 10,
        completion_tokens: 5,
        total_tokens: 15,
        prompt_tokens_details: { cached_tokens: 4 },
        completion_tokens_details: { reasoning_tokens: 2 },
      }),
    ).toEqual({
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 4 },
      output_tokens: 5,
      output_tokens_details: { reasoning_tokens: 2 },
      total_tokens: 15,
    });
    const cut = finishedResponse(ctx, {
      output: [],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      finish: 'length',
      completedAt: 200,
    });
    expect(cut).toMatchObject({ status: 'incomplete', completed_at: null, incomplete_details: { reason: 'max_output_tokens' } });
    expect(
      finishedResponse(ctx, {
        output: [],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        finish: 'stop',
        completedAt: 200,
      }),
    ).toMatchObject({ status: 'completed', completed_at: 200, incomplete_details: null });
  });
});
