// Anthropic Messages response → OpenAI ChatCompletion. Pure. Thinking blocks come back whole as
// `thinking_blocks` (and their text as `reasoning_content`), the structured_output tool's input as
// the content, and a matched stop sequence as the choice's `stop_reason` (vLLM's field for it).
import { STRUCTURED_OUTPUT_TOOL } from './structured-output.ts';
import type { AnthropicMessage, AnthropicResponseBlock, AnthropicUsage } from '../types.ts';
import type {
  ChatCompletion,
  ChatCompletionChoice,
  FinishReason,
  ResponseMessage,
  ThinkingBlock,
  ToolCall,
  Usage,
} from '../../openai/types.ts';

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

export function thinkingBlock(block: AnthropicResponseBlock): ThinkingBlock | undefined {
  if (block.type === 'thinking' && typeof block.thinking === 'string') {
    return { type: 'thinking', thinking: block.thinking, signature: typeof block.signature === 'string' ? block.signature : '' };
  }
  if (block.type === 'redacted_thinking' && typeof block.data === 'string') return { type: 'redacted_thinking', data: block.data };
  return undefined;
}

export interface CompletionContext {
  /** The client's model name. */
  model: string;
  /** Unix seconds. */
  created: number;
  /** The request had response_format json_schema/json_object: the structured_output call is the answer. */
  structuredOutput?: boolean;
}

function isStructuredAnswer(block: AnthropicResponseBlock, ctx: CompletionContext): boolean {
  return ctx.structuredOutput === true && block.type === 'tool_use' && block.name === STRUCTURED_OUTPUT_TOOL;
}

/** A structured answer ends the turn as a reply, not as a tool call the client must run. */
export function structuredFinishReason(reason: FinishReason | null, answered: boolean, clientToolCalls: number): FinishReason | null {
  return reason === 'tool_calls' && answered && clientToolCalls === 0 ? 'stop' : reason;
}

function responseMessage(message: AnthropicMessage, ctx: CompletionContext): ResponseMessage {
  let text = '';
  const toolCalls: ToolCall[] = [];
  const thinking: ThinkingBlock[] = [];
  for (const block of message.content) {
    if (block.type === 'text' && typeof block.text === 'string') text += block.text;
    else if (isStructuredAnswer(block, ctx)) text += JSON.stringify(block.input ?? {});
    else {
      const call = toolCall(block);
      const thought = thinkingBlock(block);
      if (call) toolCalls.push(call);
      if (thought) thinking.push(thought);
    }
  }
  const reasoning = thinking.flatMap((b) => (b.type === 'thinking' ? [b.thinking] : [])).join('');
  return {
    role: 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    refusal: null,
    ...(thinking.length > 0 ? { reasoning_content: reasoning, thinking_blocks: thinking } : {}),
  };
}

function choice(message: AnthropicMessage, ctx: CompletionContext): ChatCompletionChoice {
  const answered = message.content.some((block) => isStructuredAnswer(block, ctx));
  const responded = responseMessage(message, ctx);
  const finish = structuredFinishReason(toFinishReason(message.stop_reason), answered, responded.tool_calls?.length ?? 0) ?? 'stop';
  const matched =
    message.stop_reason === 'stop_sequence' && typeof message.stop_sequence === 'string' ? { stop_reason: message.stop_sequence } : {};
  return { index: 0, message: responded, logprobs: null, finish_reason: finish, ...matched };
}

export function toChatCompletion(message: AnthropicMessage, ctx: CompletionContext): ChatCompletion {
  return {
    id: message.id,
    object: 'chat.completion',
    created: ctx.created,
    model: ctx.model,
    choices: [choice(message, ctx)],
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
