import { describe, expect, it } from 'vitest';
import { statusForAnthropicErrorType, toChatCompletion, toFinishReason, toOpenAIUsage } from './response.ts';
import { STRUCTURED_OUTPUT_TOOL } from './structured-output.ts';
import type { AnthropicMessage } from '../types.ts';

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
  it('maps thinking, text, tool_use and the stop reason, under the client model name', () => {
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
            reasoning_content: 'hmm',
            thinking_blocks: [{ type: 'thinking', thinking: 'hmm', signature: 's' }],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
    });
  });

  it('gives null content for a tool-only answer', () => {
    const completion = toChatCompletion(
      {
        id: 'm',
        type: 'message',
        role: 'assistant',
        model: 'c',
        content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }],
        stop_reason: 'tool_use',
      },
      { model: 'c', created: 0 },
    );
    expect(completion.choices[0]?.message.content).toBeNull();
  });

  const message = (
    content: AnthropicMessage['content'],
    stop: Partial<AnthropicMessage> = { stop_reason: 'end_turn' },
  ): AnthropicMessage => ({ id: 'm', type: 'message', role: 'assistant', model: 'c', content, stop_reason: null, ...stop });

  it('keeps redacted thinking whole, and thinking text apart from the content', () => {
    const completion = toChatCompletion(
      message([
        { type: 'redacted_thinking', data: 'opaque' },
        { type: 'thinking', thinking: 'a', signature: 'x' },
        { type: 'thinking', thinking: 'b', signature: 'y' },
        { type: 'text', text: 'hi' },
      ]),
      { model: 'c', created: 0 },
    );
    expect(completion.choices[0]?.message).toMatchObject({
      content: 'hi',
      reasoning_content: 'ab',
      thinking_blocks: [
        { type: 'redacted_thinking', data: 'opaque' },
        { type: 'thinking', thinking: 'a', signature: 'x' },
        { type: 'thinking', thinking: 'b', signature: 'y' },
      ],
    });
    expect(toChatCompletion(message([{ type: 'text', text: 'hi' }]), { model: 'c', created: 0 }).choices[0]?.message).not.toHaveProperty(
      'thinking_blocks',
    );
  });

  it("reports the stop sequence that matched as the choice's stop_reason", () => {
    const stopped = toChatCompletion(
      message([{ type: 'text', text: 'one two' }], { stop_reason: 'stop_sequence', stop_sequence: 'THREE' }),
      { model: 'c', created: 0 },
    );
    expect(stopped.choices[0]).toMatchObject({ finish_reason: 'stop', stop_reason: 'THREE' });
    expect(toChatCompletion(message([{ type: 'text', text: 'x' }]), { model: 'c', created: 0 }).choices[0]).not.toHaveProperty(
      'stop_reason',
    );
  });

  it('answers a structured_output call as JSON content with finish_reason stop, only when response_format asked for it', () => {
    const answer = message([{ type: 'tool_use', id: 't', name: STRUCTURED_OUTPUT_TOOL, input: { city: 'Paris' } }], {
      stop_reason: 'tool_use',
    });
    const structured = toChatCompletion(answer, { model: 'c', created: 0, structuredOutput: true });
    expect(structured.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: '{"city":"Paris"}' } });
    expect(structured.choices[0]?.message).not.toHaveProperty('tool_calls');
    expect(toChatCompletion(answer, { model: 'c', created: 0 }).choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: { content: null },
    });
  });

  it('leaves a client tool call as a tool call while response_format is set', () => {
    const call = message([{ type: 'tool_use', id: 't', name: 'lookup', input: {} }], { stop_reason: 'tool_use' });
    expect(toChatCompletion(call, { model: 'c', created: 0, structuredOutput: true }).choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: { tool_calls: [{ function: { name: 'lookup' } }] },
    });
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
