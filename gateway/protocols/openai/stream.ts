// The OpenAI-compatible stream, chunk by chunk: what to remember (usage, generated text for the
// fallback estimate) and what the client gets. Upstream is always asked for usage
// (stream_options.include_usage); when the client did not ask for it, the usage-only chunk is
// dropped and the `usage` keys are removed, so the client sees exactly what OpenAI would send it.
import type { GatewayError } from '../../errors.ts';
import type { StreamStateInit } from '../../providers/chat-stream.ts';
import type { ChatCompletionChunk, Usage } from './types.ts';
import {
  mapUpstreamFailure,
  parseUpstreamErrorBody,
  sanitizeUpstreamMessage,
  upstreamProtocolError,
} from '../../providers/transport/upstream-errors.ts';
import { isObject } from '../../json-object.ts';

export interface OpenAIStreamState extends StreamStateInit {
  id: string;
  /** The last usage the upstream reported. */
  usage: Usage | undefined;
  /** Characters generated so far (content, reasoning and tool-call arguments), for the estimate. */
  completionChars: number;
  sawFinishReason: boolean;
  sawDone: boolean;
}

export function createOpenAIStreamState(init: StreamStateInit): OpenAIStreamState {
  return { ...init, id: '', usage: undefined, completionChars: 0, sawFinishReason: false, sawDone: false };
}

function midStreamError(data: string, state: OpenAIStreamState): GatewayError {
  const { message, code, type } = parseUpstreamErrorBody(data);
  return mapUpstreamFailure({
    provider: state.provider,
    status: (code ?? type) === 'rate_limit_exceeded' ? 429 : 502,
    message: message === undefined ? undefined : sanitizeUpstreamMessage(message, state.secrets),
    code,
    type,
  });
}

/** One `data:` payload as a chunk; an in-stream error object is thrown as a GatewayError. */
export function parseChunk(data: string, state: OpenAIStreamState): ChatCompletionChunk {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw upstreamProtocolError(state.provider, 'a stream event is not JSON');
  }
  if (!isObject(value)) throw upstreamProtocolError(state.provider, 'a stream event is not an object');
  if (value.error !== undefined && value.error !== null) throw midStreamError(data, state);
  if (!Array.isArray(value.choices)) throw upstreamProtocolError(state.provider, 'a stream chunk has no choices');
  return value as ChatCompletionChunk;
}

function generatedChars(chunk: ChatCompletionChunk): number {
  let chars = 0;
  for (const choice of chunk.choices) {
    const delta = isObject(choice.delta) ? choice.delta : {};
    if (typeof delta.content === 'string') chars += delta.content.length;
    // Reasoning is output the upstream bills (vLLM and DeepSeek: reasoning_content; newer vLLM: reasoning).
    if (typeof delta.reasoning_content === 'string') chars += delta.reasoning_content.length;
    else if (typeof delta.reasoning === 'string') chars += delta.reasoning.length;
    for (const call of Array.isArray(delta.tool_calls) ? delta.tool_calls : []) {
      chars += (call.function?.name?.length ?? 0) + (call.function?.arguments?.length ?? 0);
    }
  }
  return chars;
}

/** Records what the chunk tells about usage, progress and identity. */
export function observeChunk(state: OpenAIStreamState, chunk: ChatCompletionChunk): void {
  if (typeof chunk.id === 'string' && state.id === '') state.id = chunk.id;
  if (typeof chunk.created === 'number') state.created = chunk.created;
  if (isObject(chunk.usage)) state.usage = chunk.usage;
  // Upstream JSON is unchecked: finish_reason may be absent as well as null.
  if (chunk.choices.some((c) => Boolean(c.finish_reason))) state.sawFinishReason = true;
  state.completionChars += generatedChars(chunk);
}

/** The chunk as the client should see it, or undefined to drop it. */
export function chunkForClient(chunk: ChatCompletionChunk, state: OpenAIStreamState): ChatCompletionChunk | undefined {
  const out: ChatCompletionChunk = { ...chunk, model: state.model };
  if (state.includeUsage) return out;
  if (chunk.choices.length === 0 && isObject(chunk.usage)) return undefined;
  delete out.usage;
  return out;
}

/** A usage-only final chunk in OpenAI's shape, for when the upstream sent none. */
export function usageChunk(state: Pick<OpenAIStreamState, 'id' | 'created' | 'model'>, usage: Usage): ChatCompletionChunk {
  return { id: state.id, object: 'chat.completion.chunk', created: state.created, model: state.model, choices: [], usage };
}
