import { describe, expect, it } from 'vitest';
import { statusForAnthropicErrorType, toChatCompletion, toFinishReason, toOpenAIUsage } from './anthropic-response.ts';

describe('toFinishReason', () => {
  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    ['pause_turn', 'stop'],
    ['something_new', 'stop'],
    [null, null],
  ])('%s → %s', (stop, finish) => {
    expect(toFinishReason(stop)).toBe(finish);
  });
});

describe('toOpenAIUsage', () => {
  it('folds cache reads and writes into prompt_tokens and reports them apart', () => {
    expect(toOpenAIUsage({ input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 20 })).toEqual({
      prompt_tokens: 130,
      completion_tokens: 5,
      total_tokens: 135,
      prompt_tokens_details: { cached_tokens: 100, cache_creation_tokens: 20 },
    });
  });

  it('leaves missing counts undefined for the estimator', () => {
    expect(toOpenAIUsage({ output_tokens: 5 })).toEqual({ prompt_tokens: undefined, completion_tokens: 5 });
    expect(toOpenAIUsage(undefined)).toBeUndefined();
  });
});

describe('toChatCompletion', () => {
  it('maps text, tool_use and the stop reason, under the client model name', () => {
    const completion = toChatCompletion(
      {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-x',
        content: [
          { type: 'thinking', thinking: 'hmm', signature: 's' },
          { type: 'text', text: 'Let me ' },
          { type: 'text', text: 'check.' },
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
        ],
        stop_reason: 'tool_use',
        stop_sequence: null,
        usage: { input_tokens: 1, output_tokens: 2 },
      },
      { model: 'my-claude', created: 1_700_000_000 },
    );
    expect(completion).toEqual({
      id: 'msg_1',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'my-claude',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Let me check.',
            tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
            refusal: null,
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
    });
  });

  it('gives null content for a tool-only answer', () => {
    const completion = toChatCompletion(
      { id: 'm', type: 'message', role: 'assistant', model: 'c', content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }], stop_reason: 'tool_use' },
      { model: 'c', created: 0 },
    );
    expect(completion.choices[0]?.message.content).toBeNull();
  });
});

describe('statusForAnthropicErrorType', () => {
  it.each([
    ['invalid_request_error', 400],
    ['authentication_error', 401],
    ['permission_error', 403],
    ['not_found_error', 404],
    ['rate_limit_error', 429],
    ['api_error', 500],
    ['overloaded_error', 529],
    [undefined, 500],
  ])('%s → %i', (type, status) => {
    expect(statusForAnthropicErrorType(type)).toBe(status);
  });
});
