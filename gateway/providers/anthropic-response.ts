// Anthropic Messages response → OpenAI ChatCompletion. Pure.
import type { AnthropicMessage, AnthropicResponseBlock, AnthropicUsage } from './anthropic-types.ts';
import type { ChatCompletion, FinishReason, ToolCall, Usage } from './types.ts';

const FINISH_REASONS: Readonly<Record<string, FinishReason>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

export function toFinishReason(stopReason: string | null | undefined): FinishReason | null {
  if (stopReason === null || stopReason === undefined) return null;
  return FINISH_REASONS[stopReason] ?? 'stop';
}

function tokens(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Anthropic counts cached input apart from input_tokens; OpenAI's prompt_tokens includes it.
 * Cache reads are reported as cached_tokens (OpenAI's field) and cache writes as
 * cache_creation_tokens, since both are priced differently from plain input.
 * Fields Anthropic did not send stay undefined so the caller can estimate them.
 */
export function toOpenAIUsage(usage: AnthropicUsage | undefined): Partial<Usage> | undefined {
  if (!usage) return undefined;
  const input = tokens(usage.input_tokens);
  const output = tokens(usage.output_tokens);
  const cacheRead = tokens(usage.cache_read_input_tokens) ?? 0;
  const cacheWrite = tokens(usage.cache_creation_input_tokens) ?? 0;
  const prompt = input === undefined ? undefined : input + cacheRead + cacheWrite;
  const out: Partial<Usage> = { prompt_tokens: prompt, completion_tokens: output };
  if (prompt !== undefined && output !== undefined) out.total_tokens = prompt + output;
  if (cacheRead > 0 || cacheWrite > 0) out.prompt_tokens_details = { cached_tokens: cacheRead, cache_creation_tokens: cacheWrite };
  return out;
}

function toolCall(block: AnthropicResponseBlock): ToolCall | undefined {
  if (block.type !== 'tool_use' || typeof block.id !== 'string' || typeof block.name !== 'string') return undefined;
  return { id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } };
}

export interface CompletionContext {
  /** The client's model name. */
  model: string;
  /** Unix seconds. */
  created: number;
}

export function toChatCompletion(message: AnthropicMessage, ctx: CompletionContext): ChatCompletion {
  const text = message.content.flatMap((b) => (b.type === 'text' && typeof b.text === 'string' ? [b.text] : [])).join('');
  const toolCalls = message.content.flatMap((b) => toolCall(b) ?? []);
  return {
    id: message.id,
    object: 'chat.completion',
    created: ctx.created,
    model: ctx.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text === '' && toolCalls.length > 0 ? null : text,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          refusal: null,
        },
        logprobs: null,
        finish_reason: toFinishReason(message.stop_reason) ?? 'stop',
      },
    ],
  };
}

const STATUS_BY_ERROR_TYPE: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** The HTTP status Anthropic uses for an error type, for errors that arrive inside a stream. */
export function statusForAnthropicErrorType(type: string | undefined): number {
  return STATUS_BY_ERROR_TYPE[type ?? ''] ?? 500;
}
