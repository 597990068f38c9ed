import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.ts';
import { validateResponsesRequest } from './validate.ts';

function refusal(body: unknown): GatewayError | undefined {
  try {
    validateResponsesRequest(body);
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  return undefined;
}

const base = { model: 'gpt-4o-mini', input: 'hi' };

describe('validateResponsesRequest', () => {
  it('accepts what the gateway implements, taking null as absent', () => {
    const body = {
      ...base,
      instructions: 'x',
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object' }, strict: null }],
      tool_choice: 'required',
      parallel_tool_calls: true,
      text: { format: { type: 'json_object' } },
      reasoning: { effort: 'medium', summary: 'auto' },
      store: false,
      previous_response_id: 'resp_1',
      stream: true,
      max_output_tokens: 10,
      temperature: 1,
      top_p: 0.5,
      user: 'u',
      safety_identifier: 's',
      metadata: { a: 'b' },
      truncation: 'disabled',
      include: [],
      conversation_id: 'c',
      memory: false,
      background: null,
      prompt: null,
    };
    expect(refusal(body)).toBeUndefined();
    expect(validateResponsesRequest(body)).not.toHaveProperty('background');
  });

  it.each([
    [{ ...base, background: true }, 'background', 'unsupported_parameter'],
    [{ ...base, conversation: 'conv_1' }, 'conversation', 'unsupported_parameter'],
    [{ ...base, tools: [{ type: 'file_search', vector_store_ids: [] }] }, 'tools[0].type', 'unsupported_parameter'],
    [{ ...base, tools: [{ type: 'function' }] }, 'tools[0].name', 'invalid_value'],
    [{ ...base, tool_choice: { type: 'web_search_preview' } }, 'tool_choice.type', 'unsupported_parameter'],
    [{ ...base, text: { verbosity: 'low' } }, 'text.verbosity', 'unsupported_parameter'],
    [{ ...base, text: { format: { type: 'xml' } } }, 'text.format.type', 'invalid_value'],
    [{ ...base, reasoning: { effort: 'extreme' } }, 'reasoning.effort', 'invalid_value'],
    [{ ...base, truncation: 'auto' }, 'truncation', 'unsupported_parameter'],
    [{ ...base, include: ['reasoning.encrypted_content'] }, 'include', 'unsupported_parameter'],
    [{ ...base, input: [] }, 'input', 'invalid_value'],
    [{ ...base, input: { role: 'user' } }, 'input', 'invalid_value'],
    [{ ...base, stream: 'yes' }, 'stream', 'invalid_type'],
    [{ ...base, max_output_tokens: 0 }, 'max_output_tokens', 'invalid_value'],
    [{ ...base, temperature: 3 }, 'temperature', 'invalid_value'],
    [{ ...base, previous_response_id: 'x'.repeat(129) }, 'previous_response_id', 'invalid_value'],
    [{ ...base, metadata: { k: 5 } }, 'metadata.k', 'invalid_value'],
    [{ ...base, metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }, 'metadata', 'invalid_value'],
    [{ input: 'hi' }, 'model', 'missing_model'],
  ])('refuses %j naming %s', (body, param, code) => {
    expect(refusal(body)).toMatchObject({ status: 400, param, code });
  });

  it('refuses a body that is not an object', () => {
    expect(refusal([])).toMatchObject({ status: 400, code: 'invalid_body' });
  });
});
