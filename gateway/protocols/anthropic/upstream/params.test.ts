// Every top-level parameter of OpenAI's chat request, against a claude model: honoured,
// translated or refused with a 400 naming it, never dropped. The table is typed against the
// official `openai` SDK's request type, so `tsc` fails when the SDK grows a parameter nobody has
// decided about; at run time an undecided parameter is refused (the last test).
import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { GatewayError } from '../../../errors.ts';
import { NO_EFFECT_PARAMS, REFUSED_PARAMS, TRANSLATED_PARAMS } from './params.ts';
import { DEFAULT_MAX_TOKENS, toAnthropicRequest } from './request.ts';
import { STRUCTURED_OUTPUT_TOOL } from './structured-output.ts';
import type { AnthropicRequest } from '../types.ts';
import type { ChatCompletionRequest } from '../../openai/types.ts';

type Case =
  /** Sent as `value` (alongside `with`), the Anthropic request contains `expected`. */
  | { decision: 'translated'; value: unknown; expected: Partial<AnthropicRequest>; with?: Record<string, unknown> }
  /** Sent as `value`, the request is refused with a 400 naming the parameter; `harmless` values change nothing. */
  | { decision: 'refused'; value: unknown; harmless: unknown[] }
  /** Accepted and, by design, changes nothing upstream (see NO_EFFECT_PARAMS for why). */
  | { decision: 'no effect'; value: unknown };

const SCHEMA = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
const TOOL = { type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } };

const FIELDS = {
  model: { decision: 'translated', value: 'my-claude', expected: { model: 'claude-upstream' } },
  messages: {
    decision: 'translated',
    value: [{ role: 'user', content: 'hello' }],
    expected: { messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }] },
  },
  max_tokens: { decision: 'translated', value: 77, expected: { max_tokens: 77 } },
  max_completion_tokens: { decision: 'translated', value: 88, expected: { max_tokens: 88 } },
  temperature: { decision: 'translated', value: 0.4, expected: { temperature: 0.4 } },
  top_p: { decision: 'translated', value: 0.8, expected: { top_p: 0.8 } },
  stop: { decision: 'translated', value: 'END', expected: { stop_sequences: ['END'] } },
  stream: { decision: 'translated', value: true, expected: { stream: true } },
  // Honoured by the gateway: the final usage chunk is built from Anthropic's figures.
  stream_options: { decision: 'translated', value: { include_usage: true }, expected: {} },
  tools: {
    decision: 'translated',
    value: [TOOL],
    expected: { tools: [{ name: 'lookup', input_schema: { type: 'object', properties: {} } }] },
  },
  // Without tools there is nothing to choose from, on OpenAI as on Anthropic.
  tool_choice: { decision: 'translated', value: 'required', expected: { tool_choice: { type: 'any' } }, with: { tools: [TOOL] } },
  parallel_tool_calls: {
    decision: 'translated',
    value: false,
    expected: { tool_choice: { type: 'auto', disable_parallel_tool_use: true } },
    with: { tools: [TOOL] },
  },
  response_format: {
    decision: 'translated',
    value: { type: 'json_schema', json_schema: { name: 'answer', schema: SCHEMA, strict: true } },
    expected: {
      tools: [expect.objectContaining({ name: STRUCTURED_OUTPUT_TOOL, input_schema: SCHEMA }) as never],
      tool_choice: { type: 'tool', name: STRUCTURED_OUTPUT_TOOL },
    },
  },
  reasoning_effort: {
    decision: 'translated',
    value: 'low',
    expected: { thinking: { type: 'enabled', budget_tokens: 2048 }, max_tokens: 2048 + DEFAULT_MAX_TOKENS },
  },
  user: { decision: 'translated', value: 'end-user-1', expected: { metadata: { user_id: 'end-user-1' } } },
  safety_identifier: { decision: 'translated', value: 'end-user-2', expected: { metadata: { user_id: 'end-user-2' } } },
  service_tier: { decision: 'translated', value: 'default', expected: { service_tier: 'standard_only' } },
  metadata: { decision: 'no effect', value: { run: 'nightly' } },
  prompt_cache_key: { decision: 'no effect', value: 'tenant-1' },
  prompt_cache_retention: { decision: 'no effect', value: '24h' },
  prompt_cache_options: { decision: 'no effect', value: { ttl: '1h' } },
  n: { decision: 'refused', value: 2, harmless: [1, null] },
  logprobs: { decision: 'refused', value: true, harmless: [false, null] },
  top_logprobs: { decision: 'refused', value: 3, harmless: [null] },
  seed: { decision: 'refused', value: 42, harmless: [null] },
  frequency_penalty: { decision: 'refused', value: 0.5, harmless: [0, null] },
  presence_penalty: { decision: 'refused', value: -0.5, harmless: [0, null] },
  logit_bias: { decision: 'refused', value: { 50256: -100 }, harmless: [{}, null] },
  audio: { decision: 'refused', value: { voice: 'alloy', format: 'mp3' }, harmless: [null] },
  modalities: { decision: 'refused', value: ['text', 'audio'], harmless: [['text'], null] },
  prediction: { decision: 'refused', value: { type: 'content', content: 'old text' }, harmless: [null] },
  functions: { decision: 'refused', value: [{ name: 'f', parameters: {} }], harmless: [null] },
  function_call: { decision: 'refused', value: 'auto', harmless: [null] },
  store: { decision: 'refused', value: true, harmless: [false, null] },
  verbosity: { decision: 'refused', value: 'low', harmless: ['medium', null] },
  web_search_options: { decision: 'refused', value: {}, harmless: [null] },
  moderation: { decision: 'refused', value: {}, harmless: [null] },
} satisfies Record<keyof OpenAI.Chat.ChatCompletionCreateParams, Case>;

/** Anthropic's own parameters, which the /v1/messages ingress (and some OpenAI clients) send. */
const NATIVE = {
  top_k: { decision: 'translated', value: 5, expected: { top_k: 5 } },
  thinking: {
    decision: 'translated',
    value: { type: 'enabled', budget_tokens: 1024 },
    expected: { thinking: { type: 'enabled', budget_tokens: 1024 } },
  },
} satisfies Record<string, Case>;

const CASES: [string, Case][] = Object.entries({ ...FIELDS, ...NATIVE });

const base = (extra: Record<string, unknown> = {}): ChatCompletionRequest => ({
  model: 'my-claude',
  messages: [{ role: 'user', content: 'hi' }],
  ...extra,
});
// The provider streams (chatStream) exactly when the request says stream: true.
const translate = (extra: Record<string, unknown>): AnthropicRequest =>
  toAnthropicRequest(base(extra), 'claude-upstream', extra.stream === true);
const baseline = translate({});

function refusal(extra: Record<string, unknown>): GatewayError {
  try {
    translate(extra);
  } catch (err) {
    return err as GatewayError;
  }
  throw new Error(`expected ${JSON.stringify(extra)} to be refused`);
}

describe('every OpenAI chat parameter on a claude model', () => {
  it('has exactly one decision in params.ts, the one this table tests', () => {
    const decided = [...TRANSLATED_PARAMS, ...Object.keys(NO_EFFECT_PARAMS), ...Object.keys(REFUSED_PARAMS)].sort();
    expect(decided).toEqual(CASES.map(([field]) => field).sort());
    expect(new Set(decided).size).toBe(decided.length);
  });

  it.each(CASES.filter(([, c]) => c.decision === 'translated'))('translates %s', (field, c) => {
    if (c.decision !== 'translated') throw new Error('unreachable');
    expect(translate({ ...c.with, [field]: c.value })).toMatchObject(c.expected);
    if (c.with) expect(translate(c.with)).not.toMatchObject(c.expected);
  });

  it.each(CASES.filter(([, c]) => c.decision === 'refused'))('refuses %s with a 400 naming it, and takes its no-op values', (field, c) => {
    if (c.decision !== 'refused') throw new Error('unreachable');
    expect(refusal({ [field]: c.value })).toMatchObject({
      status: 400,
      type: 'invalid_request_error',
      code: 'unsupported_parameter',
      param: field,
    });
    expect(refusal({ [field]: c.value }).message).toMatch(/not supported by provider "anthropic"/);
    for (const value of c.harmless) expect(translate({ [field]: value })).toEqual(baseline);
  });

  it.each(CASES.filter(([, c]) => c.decision === 'no effect'))('accepts %s, which cannot change the reply', (field, c) => {
    expect(translate({ [field]: c.value })).toEqual(baseline);
  });

  it('refuses a parameter nobody has decided about, naming it, instead of dropping it', () => {
    expect(refusal({ repetition_penalty: 1.1 })).toMatchObject({ status: 400, param: 'repetition_penalty' });
    expect(refusal({ repetition_penalty: 1.1 }).message).toContain('"repetition_penalty" is not a parameter this gateway can translate');
    // Names that exist on every object are parameters like any other.
    expect(refusal({ constructor: 1 })).toMatchObject({ status: 400, param: 'constructor' });
  });
});
