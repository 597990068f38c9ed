// The gateway's internal OpenAI completion → an Anthropic `message` object. Pure. The usage is the
// reconciled report the gateway accounts with (the upstream's figures where it sent them), split
// the way Anthropic counts: cached input apart from input_tokens.
import { GatewayError } from '../../../errors.ts';
import type { AnthropicMessage, AnthropicResponseBlock, AnthropicUsage } from '../types.ts';
import type { ChatCompletion, ChatCompletionChoice, FinishReason, ResponseMessage, ToolCall, Usage } from '../../openai/types.ts';

export interface IngressContext {
  /** The model name the client asked for, echoed back as Anthropic does. */
  model: string;
  /** The request's stop_sequences, to tell which one ended the reply. */
  stopSequences: readonly string[];
  /** Names the message when the upstream gave no id. */
  requestId: string;
}

/** Anthropic ids start with "msg_"; other upstreams' ids are kept after that prefix. */
export function messageId(upstreamId: unknown, requestId: string): string {
  const id = typeof upstreamId === 'string' && upstreamId !== '' ? upstreamId : requestId;
  return id.startsWith('msg_') ? id : `msg_${id}`;
}

// Typed loosely on purpose: compatible servers send finish reasons OpenAI does not ("eos", ...).
const STOP_REASONS: Readonly<Record<string, string | undefined>> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'refusal',
};

export interface StopFields {
  stop_reason: string;
  stop_sequence: string | null;
}

/**
 * OpenAI's "stop" does not say whether a stop sequence matched. vLLM does, in a `stop_reason`
 * field holding the matched string; it counts when it is one of the request's sequences.
 */
export function matchedStopSequence(stopReason: unknown, stopSequences: readonly string[]): string | undefined {
  return typeof stopReason === 'string' && stopSequences.includes(stopReason) ? stopReason : undefined;
}

export function toStopFields(finish: FinishReason | null | undefined, matched: string | undefined): StopFields {
  if (finish === 'stop' && matched !== undefined) return { stop_reason: 'stop_sequence', stop_sequence: matched };
  return { stop_reason: STOP_REASONS[finish ?? 'stop'] ?? 'end_turn', stop_sequence: null };
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

/**
 * OpenAI's prompt_tokens include cached input (cached_tokens; cache_creation_tokens where the
 * Anthropic upstream reported cache writes); Anthropic's input_tokens leave both out.
 */
export function toAnthropicUsage(usage: Usage): AnthropicUsage & { input_tokens: number; output_tokens: number } {
  const cacheRead = count(usage.prompt_tokens_details?.cached_tokens);
  const cacheWrite = count(usage.prompt_tokens_details?.cache_creation_tokens);
  return {
    input_tokens: Math.max(0, count(usage.prompt_tokens) - cacheRead - cacheWrite),
    output_tokens: count(usage.completion_tokens),
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
  };
}

/** Anthropic's tool_use input is an object; OpenAI's arguments are a JSON string the model wrote. */
export function toolInput(call: Pick<ToolCall, 'function'>): Record<string, unknown> {
  const text = call.function.arguments.trim();
  if (text === '') return {};
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    input = undefined;
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new GatewayError(
      `The model called tool "${call.function.name}" with arguments that are not a JSON object, which the Messages API format requires. Retry the request.`,
      {
        status: 502,
        type: 'upstream_error',
        code: 'invalid_tool_arguments',
      },
    );
  }
  return input as Record<string, unknown>;
}

/**
 * The reply's reasoning as Anthropic blocks: Anthropic's own, whole with their signatures; or the
 * `reasoning_content` of vLLM and DeepSeek (`reasoning` on newer vLLM) as one thinking block,
 * with an empty signature since nobody signed it.
 */
export function reasoningBlocks(message: Partial<ResponseMessage> | undefined): AnthropicResponseBlock[] {
  if (Array.isArray(message?.thinking_blocks) && message.thinking_blocks.length > 0)
    return message.thinking_blocks.map((block) => ({ ...block }));
  const text = message?.reasoning_content ?? message?.reasoning;
  return typeof text === 'string' && text !== '' ? [{ type: 'thinking', thinking: text, signature: '' }] : [];
}

function contentBlocks(choice: ChatCompletionChoice | undefined): AnthropicResponseBlock[] {
  const message = choice?.message;
  const text = typeof message?.content === 'string' && message.content !== '' ? message.content : message?.refusal;
  const blocks: AnthropicResponseBlock[] = reasoningBlocks(message);
  if (typeof text === 'string' && text !== '') blocks.push({ type: 'text', text });
  for (const call of message?.tool_calls ?? [])
    blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input: toolInput(call) });
  return blocks;
}

export function toAnthropicMessage(completion: ChatCompletion, usage: Usage, ctx: IngressContext): AnthropicMessage {
  const choice = completion.choices[0];
  return {
    id: messageId(completion.id, ctx.requestId),
    type: 'message',
    role: 'assistant',
    model: ctx.model,
    content: contentBlocks(choice),
    ...toStopFields(choice?.finish_reason, matchedStopSequence(choice?.stop_reason, ctx.stopSequences)),
    usage: toAnthropicUsage(usage),
  };
}
