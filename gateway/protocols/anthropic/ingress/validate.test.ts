import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../errors.ts';
import { validateMessagesRequest } from './validate.ts';

const valid = { model: 'claude-x', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };

function refusal(body: unknown): GatewayError {
  try {
    validateMessagesRequest(body);
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a 400');
}

describe('validateMessagesRequest', () => {
  it('accepts a minimal request and ignores fields it does not know', () => {
    expect(validateMessagesRequest({ ...valid, service_tier: 'auto' })).toMatchObject(valid);
  });

  it('accepts a final empty assistant turn, thinking blocks and custom tools', () => {
    const body = {
      ...valid,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'q' }] },
        { role: 'assistant', content: [] },
      ],
      tools: [
        { name: 't', input_schema: { type: 'object' } },
        { type: 'custom', name: 'u', input_schema: { type: 'object' } },
      ],
      tool_choice: { type: 'tool', name: 't' },
      metadata: { user_id: 'u-1' },
    };
    expect(() => validateMessagesRequest(body)).not.toThrow();
  });

  it.each([
    ['a body that is not an object', [], undefined, 'JSON object'],
    ['a missing model', { ...valid, model: undefined }, 'model', 'model'],
    ['a model name with non-ASCII letters', { ...valid, model: 'claude-模型' }, 'model', 'model: must be 1 to 256 characters'],
    ['a model name with a newline', { ...valid, model: 'claude\nx' }, 'model', '"claude\\nx"'],
    ['a model name with a NUL', { ...valid, model: 'claude\u0000' }, 'model', 'only ASCII letters'],
    ['a missing max_tokens', { ...valid, max_tokens: undefined }, 'max_tokens', 'max_tokens: Field required'],
    ['a zero max_tokens', { ...valid, max_tokens: 0 }, 'max_tokens', 'positive integer'],
    ['a fractional max_tokens', { ...valid, max_tokens: 1.5 }, 'max_tokens', 'positive integer'],
    ['no messages', { ...valid, messages: [] }, 'messages', 'non-empty'],
    [
      'a system role in messages',
      {
        ...valid,
        messages: [
          { role: 'user', content: 'a' },
          { role: 'system', content: 'b' },
        ],
      },
      'messages.1.role',
      'top-level "system"',
    ],
    ['an assistant turn first', { ...valid, messages: [{ role: 'assistant', content: 'a' }] }, 'messages.0.role', 'first message'],
    ['an empty user turn', { ...valid, messages: [{ role: 'user', content: [] }] }, 'messages.0.content', 'empty'],
    ['content that is a number', { ...valid, messages: [{ role: 'user', content: 3 }] }, 'messages.0.content', 'string or an array'],
    ['a block without a type', { ...valid, messages: [{ role: 'user', content: [{ text: 'a' }] }] }, 'messages.0.content.0', '"type"'],
    ['a system of numbers', { ...valid, system: [1] }, 'system', 'text blocks'],
    ['a temperature above 1', { ...valid, temperature: 1.5 }, 'temperature', '0 to 1'],
    ['a top_p that is a string', { ...valid, top_p: '0.5' }, 'top_p', '0 to 1'],
    ['a negative top_k', { ...valid, top_k: -1 }, 'top_k', 'non-negative'],
    ['stop_sequences that are not strings', { ...valid, stop_sequences: [1] }, 'stop_sequences', 'strings'],
    ['a stream flag that is a string', { ...valid, stream: 'yes' }, 'stream', 'true or false'],
    ['a metadata user_id that is a number', { ...valid, metadata: { user_id: 3 } }, 'metadata', 'user_id'],
    ['a server tool', { ...valid, tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, 'tools.0', 'web_search_20250305'],
    ['a tool without input_schema', { ...valid, tools: [{ name: 't' }] }, 'tools.0.input_schema', 'JSON Schema'],
    ['an unknown tool_choice', { ...valid, tool_choice: { type: 'some' } }, 'tool_choice', '"auto"'],
    ['a tool_choice naming no tool', { ...valid, tool_choice: { type: 'tool' } }, 'tool_choice.name', 'Field required'],
  ])('refuses %s with a 400 naming the field', (_what, body, param, mentions) => {
    const err = refusal(body);
    expect(err.status).toBe(400);
    expect(err.param).toBe(param);
    expect(err.message).toContain(mentions);
  });
});
