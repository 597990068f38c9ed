// Anthropic streaming events → OpenAI chat.completion.chunk objects, one event at a time.
// Usage is collected from message_start (input and cache tokens) and message_delta (output
// tokens, and on newer API versions cumulative input counts too); the final usage chunk is added
// by the caller once the stream has ended, from the reconciled figures.
import type { GatewayError } from '../errors.ts';
import { statusForAnthropicErrorType, toFinishReason } from './anthropic-response.ts';
import type { AnthropicStreamEvent, AnthropicUsage } from './anthropic-types.ts';
import type { StreamStateInit } from './chat-stream.ts';
import type { ChatCompletionChunk, ChunkDelta, FinishReason } from './types.ts';
import { mapUpstreamFailure, sanitizeUpstreamMessage, upstreamProtocolError } from './upstream-errors.ts';

export interface AnthropicStreamState extends StreamStateInit {
  id: string;
  usage: AnthropicUsage;
  /** Anthropic content block index → OpenAI tool_calls index. */
  toolIndexByBlock: Map<number, number>;
  finishReason: FinishReason | null;
  completionChars: number;
  sawStart: boolean;
  sawStop: boolean;
}

export function createAnthropicStreamState(init: StreamStateInit): AnthropicStreamState {
  return {
    ...init,
    id: '',
    usage: {},
    toolIndexByBlock: new Map(),
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

function chunk(state: AnthropicStreamState, delta: ChunkDelta, finishReason: FinishReason | null = null): ChatCompletionChunk {
  return {
    id: state.id,
    object: 'chat.completion.chunk',
    created: state.created,
    model: state.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
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

function onBlockStart(state: AnthropicStreamState, event: AnthropicStreamEvent): ChatCompletionChunk[] {
  const block = event.content_block;
  if (block?.type === 'text' && typeof block.text === 'string' && block.text !== '') {
    state.completionChars += block.text.length;
    return [chunk(state, { content: block.text })];
  }
  if (block?.type !== 'tool_use' || typeof block.id !== 'string' || typeof block.name !== 'string') return [];
  const toolIndex = state.toolIndexByBlock.size;
  state.toolIndexByBlock.set(event.index ?? -1, toolIndex);
  state.completionChars += block.name.length;
  return [chunk(state, { tool_calls: [{ index: toolIndex, id: block.id, type: 'function', function: { name: block.name, arguments: '' } }] })];
}

function onBlockDelta(state: AnthropicStreamState, event: AnthropicStreamEvent): ChatCompletionChunk[] {
  const delta = event.delta;
  if (delta?.type === 'text_delta' && typeof delta.text === 'string') {
    state.completionChars += delta.text.length;
    return [chunk(state, { content: delta.text })];
  }
  if (delta?.type !== 'input_json_delta' || typeof delta.partial_json !== 'string' || delta.partial_json === '') return [];
  const toolIndex = state.toolIndexByBlock.get(event.index ?? -1);
  if (toolIndex === undefined) throw upstreamProtocolError(state.provider, 'tool input arrived for an unknown content block');
  state.completionChars += delta.partial_json.length;
  return [chunk(state, { tool_calls: [{ index: toolIndex, function: { arguments: delta.partial_json } }] })];
}

function onMessageDelta(state: AnthropicStreamState, event: AnthropicStreamEvent): ChatCompletionChunk[] {
  state.usage = mergeAnthropicUsage(state.usage, event.usage);
  const reason = toFinishReason(event.delta?.stop_reason);
  if (reason === null) return [];
  state.finishReason = reason;
  return [chunk(state, {}, reason)];
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
