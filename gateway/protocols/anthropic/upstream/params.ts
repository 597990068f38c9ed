// What the OpenAI → Anthropic translation does with every top-level Chat Completions parameter,
// decided one by one so that none is dropped silently: each is translated, refused with a 400
// naming it (unless its value asks for nothing: null or OpenAI's default), or listed as a hint
// that cannot change the reply. A parameter this file does not know is refused as well, so a new
// OpenAI parameter fails loudly until someone decides what it means for Claude. Pure.
import { badRequest } from '../../../errors.ts';
import type { GatewayError } from '../../../errors.ts';
import type { ChatCompletionRequest } from '../../openai/types.ts';

/** Mapped onto Anthropic's request by request.ts (or, for stream_options, honoured by the gateway). */
export const TRANSLATED_PARAMS = [
  'model',
  'messages',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'stop',
  'stream',
  'stream_options',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'reasoning_effort',
  'user',
  'safety_identifier',
  'service_tier',
  // Anthropic's own parameters, which /v1/messages clients (and OpenAI clients, as extra fields) send.
  'top_k',
  'thinking',
] as const;

/**
 * Hints to OpenAI's infrastructure (its prompt cache, its stored completions) that can never change
 * the reply. Anthropic has no counterpart: its cache is steered by cache_control breakpoints, which
 * the translation keeps. Accepted so that clients which always send them keep working.
 */
export const NO_EFFECT_PARAMS: Readonly<Record<string, string>> = {
  metadata: "tags for OpenAI's stored completions; without store: true OpenAI ignores them too",
  prompt_cache_key: "a routing hint for OpenAI's prompt cache",
  prompt_cache_retention: 'how long OpenAI keeps its prompt cache',
  prompt_cache_options: "breakpoints and lifetime of OpenAI's prompt cache",
};

interface Refusal {
  /** The values that ask for nothing Anthropic lacks. */
  accepts: (value: unknown) => boolean;
  /** What the parameter asks for, and what to do instead. */
  what: string;
}

const absent = (value: unknown): boolean => value === null || value === undefined;
const absentOr =
  (...defaults: unknown[]) =>
  (value: unknown): boolean =>
    absent(value) || defaults.includes(value);
const emptyObject = (value: unknown): boolean =>
  absent(value) || (typeof value === 'object' && value !== null && Object.keys(value).length === 0);
const textOnly = (value: unknown): boolean => absent(value) || (Array.isArray(value) && value.every((m) => m === 'text'));

export const REFUSED_PARAMS: Readonly<Record<string, Refusal>> = {
  n: { accepts: absentOr(1), what: 'More than one choice (n > 1); send n separate requests instead' },
  logprobs: { accepts: absentOr(false), what: 'Log probabilities (logprobs)' },
  top_logprobs: { accepts: absent, what: 'Log probabilities (top_logprobs)' },
  seed: { accepts: absent, what: 'Reproducible sampling (seed)' },
  frequency_penalty: { accepts: absentOr(0), what: 'frequency_penalty' },
  presence_penalty: { accepts: absentOr(0), what: 'presence_penalty' },
  logit_bias: { accepts: emptyObject, what: 'logit_bias' },
  audio: { accepts: absent, what: 'Audio output (audio)' },
  modalities: { accepts: textOnly, what: 'Audio output (modalities other than "text")' },
  prediction: { accepts: absent, what: 'Predicted outputs (prediction)' },
  functions: { accepts: absent, what: 'The legacy "functions" parameter (use "tools")' },
  function_call: { accepts: absent, what: 'The legacy "function_call" parameter (use "tool_choice")' },
  store: { accepts: absentOr(false), what: 'Stored completions (store: true)' },
  verbosity: { accepts: absentOr('medium'), what: 'verbosity (say how long the answer should be in the prompt)' },
  web_search_options: { accepts: absent, what: "OpenAI's web search (web_search_options)" },
  moderation: { accepts: absent, what: "OpenAI's moderation (moderation)" },
};

const TRANSLATED = new Set<string>(TRANSLATED_PARAMS);

export function unsupported(what: string, param: string): GatewayError {
  return badRequest(
    `${what} is not supported by provider "anthropic". Remove it, or use a model from another provider.`,
    'unsupported_parameter',
    param,
  );
}

/** Throws the 400 for the first parameter the translation would otherwise have to drop. */
export function refuseUntranslatable(req: ChatCompletionRequest): void {
  for (const [param, value] of Object.entries(req)) {
    if (value === undefined || TRANSLATED.has(param) || Object.hasOwn(NO_EFFECT_PARAMS, param)) continue;
    const refusal = Object.hasOwn(REFUSED_PARAMS, param) ? REFUSED_PARAMS[param] : undefined;
    if (refusal === undefined) {
      throw badRequest(
        `"${param}" is not a parameter this gateway can translate for provider "anthropic". Remove it, or use a model from another provider.`,
        'unsupported_parameter',
        param,
      );
    }
    if (!refusal.accepts(value)) throw unsupported(refusal.what, param);
  }
}
