import { describe, expect, it } from 'vitest';
import { takeExtensions, validateChatRequest } from './validate-request.ts';

const ok = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };

describe('validateChatRequest', () => {
  it('accepts a plain request and leaves unknown fields alone', () => {
    const body = { ...ok, logit_bias: { 1: 2 }, seed: 7 };
    expect(validateChatRequest(body)).toBe(body);
  });

  it('accepts the model names providers use', () => {
    for (const model of ['ft:gpt-4o-mini:acme::abc123', 'meta-llama/Llama-3.1-8B-Instruct', 'claude-sonnet-4-5@20250929'])
      expect(() => validateChatRequest({ ...ok, model })).not.toThrow();
  });

  it('says what a model name may hold', () => {
    expect(() => validateChatRequest({ ...ok, model: 'gpt-模型' })).toThrow(
      /^"model" must be 1 to 256 characters, only ASCII letters, digits/,
    );
  });

  it('accepts an assistant turn that only calls tools', () => {
    expect(() =>
      validateChatRequest({
        ...ok,
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: null, tool_calls: [] },
        ],
      }),
    ).not.toThrow();
  });

  it.each([
    [null, 'invalid_body', undefined],
    [{ messages: ok.messages }, 'missing_model', 'model'],
    [{ model: 'm', messages: [] }, 'invalid_messages', 'messages'],
    [{ ...ok, model: '  ' }, 'missing_model', 'model'],
    [{ ...ok, model: 'gpt-模型' }, 'invalid_model', 'model'],
    [{ ...ok, model: 'gpt-4o\nx-injected: 1' }, 'invalid_model', 'model'],
    [{ ...ok, model: 'gpt-4o\u0000' }, 'invalid_model', 'model'],
    [{ ...ok, model: 'g'.repeat(257) }, 'invalid_model', 'model'],
    [{ model: 'm', messages: [{ role: 'wizard', content: 'x' }] }, 'invalid_message', 'messages[0].role'],
    [{ model: 'm', messages: [{ role: 'user', content: 3 }] }, 'invalid_message', 'messages[0].content'],
    [{ model: 'm', messages: [{ role: 'user', content: null }] }, 'invalid_message', 'messages[0].content'],
    [{ ...ok, stream: 'yes' }, 'invalid_type', 'stream'],
    [{ ...ok, max_tokens: 0 }, 'invalid_value', 'max_tokens'],
    [{ ...ok, temperature: 3 }, 'invalid_value', 'temperature'],
  ])('rejects %j with a 400 naming the parameter', (body, code, param) => {
    expect(() => validateChatRequest(body)).toThrow(expect.objectContaining({ status: 400, code, param }) as Error);
  });
});

describe('takeExtensions', () => {
  const none = (): undefined => undefined;

  it('takes Perpetual fields out of the body so upstreams never see them', () => {
    const body = validateChatRequest({ ...ok, conversation_id: 'c1', memory: { enabled: false, top_k: 3 } });
    expect(takeExtensions(body, none)).toEqual({ conversationId: 'c1', memory: { enabled: false, topK: 3, conversationOnly: false } });
    expect(body).not.toHaveProperty('conversation_id');
    expect(body).not.toHaveProperty('memory');
  });

  it('reads the same controls from headers', () => {
    const headers: Record<string, string> = {
      'x-conversation-id': 'c2',
      'x-perpetual-memory': 'off',
      'x-perpetual-memory-top-k': '0',
      'x-perpetual-memory-scope': 'conversation',
    };
    expect(takeExtensions(validateChatRequest({ ...ok }), (name) => headers[name])).toEqual({
      conversationId: 'c2',
      memory: { enabled: false, topK: 0, conversationOnly: true },
    });
  });

  it('rejects a conversation scope without a conversation', () => {
    expect(() => takeExtensions(validateChatRequest({ ...ok, memory: { scope: 'conversation' } }), none)).toThrow(
      /needs a conversation id/,
    );
  });

  it('rejects a bad top_k', () => {
    expect(() => takeExtensions(validateChatRequest({ ...ok, memory: { top_k: 500 } }), none)).toThrow(/top_k/);
  });
});
