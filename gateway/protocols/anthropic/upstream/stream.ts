// Anthropic streaming events → OpenAI chat.completion.chunk objects, one event at a time.
// Usage is collected from message_start (input and cache tokens) and message_delta (output
// tokens, and on newer API versions cumulative input counts too); the final usage chunk is added
// by the caller once the stream has ended, from the reconciled figures. Thinking streams as
// `reasoning_content` deltas closed by a `reasoning_signature`; the structured_output tool's input
// streams as content (see structured-output.ts).
import type { GatewayError } from '../../../errors.ts';
import { statusForAnthropicErrorType, structuredFinishReason, toFinishReason } from './response.ts';
import { STRUCTURED_OUTPUT_TOOL } from './structured-output.ts';
import type { AnthropicStreamEvent, AnthropicUsage } from '../types.ts';
import type { StreamStateInit } from '../../../providers/chat-stream.ts';
import type { ChatCompletionChunk, ChunkDelta, FinishReason } from '../../openai/types.ts';
import { mapUpstreamFailure, sanitizeUpstreamMessage, upstreamProtocolError } from '../../../providers/transport/upstream-errors.ts';

export interface AnthropicStreamState extends StreamStateInit {
  id: string;
  usage: AnthropicUsage;
  /** Anthropic content block index → OpenAI tool_calls index. */
  toolIndexByBlock: Map<number, number>;
  /** The request had response_format: a structured_output call streams as content. */
  structuredOutput: boolean;
  /** The content block index of the structured_output call, once it started. */
  structuredBlock: number | undefined;
  finishReason: FinishReason | null;
  completionChars: number;
  sawStart: boolean;
  sawStop: boolean;
}

export function createAnthropicStreamState(init: StreamStateInit, structuredOutput = false): AnthropicStreamState {
  return {
    ...init,
    id: '',
    usage: {},
    toolIndexByBlock: new Map(),
    structuredOutput,
    structuredBlock: undefined,
    finishReason: null,
    completionChars: 0,
    sawStart: false,
    sawStop: false,
  };
}

const USAGE_FIELDS = ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const;

/** Counts are cumulative, so the larger of what was seen and what arrives is the current one. */
export function mergeAnthropicUsage(seen: AnthropicUsage, next: AnthropicUsage | undefined): AnthropicUsage {
  const out: AnthropicUsage = { ...seen };
  for (const field of USAGE_FIELDS) {
    const value = next?.[field];
    if (typeof value === 'number') out[field] = Math.max(value, seen[field] ?? 0);
  }
  return out;
}

function chunk(
  state: AnthropicStreamState,
  delta: ChunkDelta,
  finishReason: FinishReason | null = null,
  extra: Record<string, unknown> = {},
): ChatCompletionChunk {
  return {
    id: state.id,
    object: 'chat.completion.chunk',
    created: state.created,
    model: state.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason, ...extra }],
    // OpenAI sends `usage: null` on every chunk but the last when usage was asked for.
    ...(state.includeUsage ? { usage: null } : {}),
  };
}

function onMessageStart(state: AnthropicStreamState, event: AnthropicStreamEvent): ChatCompletionChunk[] {
  state.sawStart = true;
  if (typeof event.message?.id === 'string') state.id = event.message.id;
  state.usage = mergeAnthropicUsage(state.usage, event.message?.usage);
  return [chunk(state, { role: 'assistant', content: '' })];
}

/** Text that opens a block (usually empty: it arrives in deltas). */
function opening(state: AnthropicStreamState, text: unknown, delta: (text: string) => ChunkDelta): ChatCompletionChunk[] {
  if (typeof text !== 'string' || text === '') return [];
  state.completionChars += text.length;
  return [chunk(state, delta(text))];
}

function onToolStart(state: AnthropicStreamState, index: number, id: string, name: string): ChatCompletionChunk[] {
  if (state.structuredOutput && name === STRUCTURED_OUTPUT_TOOL) {
    state.structuredBlock = index;
    return [];
  }
  const toolIndex = state.toolIndexByBlock.size;
  state.toolIndexByBlock.set(index, toolIndex);
  state.completionChars += name.length;
  return [chunk(state, { tool_calls: [{ index: toolIndex, id, type: 'function', function: { name, arguments: '' } }] })];
}

function onBlockStart(state: AnthropicStreamState, event: AnthropicStreamEvent): ChatCompletionChunk[] {
  const block = event.content_block;
  if (block?.type === 'text') return opening(state, block.text, (content) => ({ content }));
  if (block?.type === 'thinking') return opening(state, block.thinking, (reasoning) => ({ reasoning_content: reasoning }));
  if (block?.type === 'redacted_thinking') return typeof block.data === 'string' ? [chunk(state, { redacted_thinking: block.data })] : [];
  if (block?.type !== 'tool_use' || typeof block.id !== 'string' || typeof block.name !== 'string') return [];
  return onToolStart(state, event.index ?? -1, block.id, block.name);
}

/** Tool input: the client's tool call arguments, or the structured answer's content. */
function onInputJson(state: AnthropicStreamState, index: number, json: string): ChatCompletionChunk[] {
  state.completionChars += json.length;
  if (state.structuredBlock !== undefined && index === state.structuredBlock) return [chunk(state, { content: json })];
  const toolIndex = state.toolIndexByBlock.get(index);
  if (toolIndex === undefined) throw upstreamProtocolError(state.provider, 'tool input arrived for an unknown content block');
  return [chunk(state, { tool_calls: [{ index: toolIndex, function: { arguments: json } }] })];
}

/** A text-like delta's chunk: its text counts towards the output estimate. */
function generated(state: AnthropicStreamState, text: string, delta: ChunkDelta): ChatCompletionChunk[] {
  state.completionChars += text.length;
  return [chunk(state, delta)];
}

function onBlockDelta(state: AnthropicStreamState, event: AnthropicStreamEvent): ChatCompletionChunk[] {
  const delta = event.delta;
  if (delta?.type === 'text_delta' && typeof delta.text === 'string') return generated(state, delta.text, { content: delta.text });
  if (delta?.type === 'thinking_delta' && typeof delta.thinking === 'string')
    return generated(state, delta.thinking, { reasoning_content: delta.thinking });
  if (delta?.type === 'signature_delta' && typeof delta.signature === 'string')
    return [chunk(state, { reasoning_signature: delta.signature })];
  if (delta?.type === 'input_json_delta' && typeof delta.partial_json === 'string' && delta.partial_json !== '')
    return onInputJson(state, event.index ?? -1, delta.partial_json);
  return [];
}

function onMessageDelta(state: AnthropicStreamState, event: AnthropicStreamEvent): ChatCompletionChunk[] {
  state.usage = mergeAnthropicUsage(state.usage, event.usage);
  const reason = structuredFinishReason(
    toFinishReason(event.delta?.stop_reason),
    state.structuredBlock !== undefined,
    state.toolIndexByBlock.size,
  );
  if (reason === null) return [];
  state.finishReason = reason;
  const matched =
    event.delta?.stop_reason === 'stop_sequence' && typeof event.delta.stop_sequence === 'string'
      ? { stop_reason: event.delta.stop_sequence }
      : {};
  return [chunk(state, {}, reason, matched)];
}

function errorEvent(state: AnthropicStreamState, event: AnthropicStreamEvent): GatewayError {
  const message = event.error?.message;
  return mapUpstreamFailure({
    provider: state.provider,
    status: statusForAnthropicErrorType(event.error?.type),
    message: message === undefined ? undefined : sanitizeUpstreamMessage(message, state.secrets),
    code: event.error?.type,
    model: state.model,
  });
}

/** The OpenAI chunks for one Anthropic event (often none). An `error` event is thrown. */
export function translateAnthropicEvent(state: AnthropicStreamState, event: AnthropicStreamEvent): ChatCompletionChunk[] {
  switch (event.type) {
    case 'message_start':
      return onMessageStart(state, event);
    case 'content_block_start':
      return onBlockStart(state, event);
    case 'content_block_delta':
      return onBlockDelta(state, event);
    case 'message_delta':
      return onMessageDelta(state, event);
    case 'message_stop':
      state.sawStop = true;
      return [];
    case 'error':
      throw errorEvent(state, event);
    default:
      // ping, content_block_stop, and event types added after this was written.
      return [];
  }
}
