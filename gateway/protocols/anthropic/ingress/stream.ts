// The gateway's internal OpenAI chunks → Anthropic's streaming events, in Anthropic's order:
// message_start, then per content block content_block_start / _delta... / _stop, then
// message_delta (stop_reason and usage) and message_stop. OpenAI reports the finish reason and the
// usage at the end, in separate chunks, so the closing events wait for `finishStream`, which gets
// the reconciled usage once the upstream stream is over. Reasoning streams as thinking blocks:
// `reasoning_content` text as thinking_delta (`reasoning` from newer vLLM too), Anthropic's
// signature as signature_delta, which closes the block, and redacted thinking as a whole block.
import { GatewayError } from '../../../errors.ts';
import type { AnthropicStreamEvent } from '../types.ts';
import type { ChatCompletionChunk, ChunkDelta, FinishReason, ToolCallDelta, Usage } from '../../openai/types.ts';
import { matchedStopSequence, messageId, toAnthropicUsage, toStopFields, type IngressContext } from './response.ts';

interface OpenBlock {
  index: number;
  kind: 'text' | 'tool' | 'thinking';
  /** A thinking block whose signature arrived takes no more text. */
  signed?: boolean;
}

export interface IngressStreamState {
  ctx: IngressContext;
  started: boolean;
  /** The content block being written; Anthropic blocks never interleave. */
  open: OpenBlock | undefined;
  blockCount: number;
  /** OpenAI tool_calls index → Anthropic content block index. */
  toolBlocks: Map<number, number>;
  finishReason: FinishReason | null;
  stopSequence: string | undefined;
}

export function createIngressStreamState(ctx: IngressContext): IngressStreamState {
  return { ctx, started: false, open: undefined, blockCount: 0, toolBlocks: new Map(), finishReason: null, stopSequence: undefined };
}

function messageStart(state: IngressStreamState, chunk: ChatCompletionChunk | undefined): AnthropicStreamEvent {
  state.started = true;
  return {
    type: 'message_start',
    message: {
      id: messageId(chunk?.id, state.ctx.requestId),
      type: 'message',
      role: 'assistant',
      model: state.ctx.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      // The real counts arrive with the last chunk and go out in message_delta.
      usage: { input_tokens: chunk?.usage?.prompt_tokens ?? 0, output_tokens: 0 },
    },
  };
}

function closeOpen(state: IngressStreamState): AnthropicStreamEvent[] {
  const open = state.open;
  if (!open) return [];
  state.open = undefined;
  return [{ type: 'content_block_stop', index: open.index }];
}

function openBlock(
  state: IngressStreamState,
  block: OpenBlock,
  contentBlock: AnthropicStreamEvent['content_block'],
): AnthropicStreamEvent[] {
  const events = closeOpen(state);
  state.open = block;
  state.blockCount++;
  events.push({ type: 'content_block_start', index: block.index, content_block: contentBlock });
  return events;
}

function textEvents(state: IngressStreamState, text: string): AnthropicStreamEvent[] {
  const events = state.open?.kind === 'text' ? [] : openBlock(state, { index: state.blockCount, kind: 'text' }, { type: 'text', text: '' });
  const index = state.open?.index ?? 0;
  events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
  return events;
}

function thinkingEvents(state: IngressStreamState, thinking: string): AnthropicStreamEvent[] {
  const reusable = state.open?.kind === 'thinking' && state.open.signed !== true;
  const events = reusable
    ? []
    : openBlock(state, { index: state.blockCount, kind: 'thinking' }, { type: 'thinking', thinking: '', signature: '' });
  events.push({ type: 'content_block_delta', index: state.open?.index ?? 0, delta: { type: 'thinking_delta', thinking } });
  return events;
}

function signatureEvents(state: IngressStreamState, signature: string): AnthropicStreamEvent[] {
  // A signature with no thinking text before it still belongs to a thinking block of its own.
  const reusable = state.open?.kind === 'thinking' && state.open.signed !== true;
  const events = reusable
    ? []
    : openBlock(state, { index: state.blockCount, kind: 'thinking' }, { type: 'thinking', thinking: '', signature: '' });
  const open = state.open as OpenBlock;
  open.signed = true;
  events.push({ type: 'content_block_delta', index: open.index, delta: { type: 'signature_delta', signature } });
  return events;
}

function redactedEvents(state: IngressStreamState, data: string): AnthropicStreamEvent[] {
  const events = openBlock(state, { index: state.blockCount, kind: 'thinking', signed: true }, { type: 'redacted_thinking', data });
  events.push(...closeOpen(state));
  return events;
}

function reasoningEvents(state: IngressStreamState, delta: ChunkDelta): AnthropicStreamEvent[] {
  const text = delta.reasoning_content ?? delta.reasoning;
  const events = typeof text === 'string' && text !== '' ? thinkingEvents(state, text) : [];
  if (typeof delta.reasoning_signature === 'string' && delta.reasoning_signature !== '')
    events.push(...signatureEvents(state, delta.reasoning_signature));
  if (typeof delta.redacted_thinking === 'string') events.push(...redactedEvents(state, delta.redacted_thinking));
  return events;
}

function interleaved(): GatewayError {
  return new GatewayError(
    'The upstream streamed several tool calls interleaved, which the Messages API stream format cannot express. Retry without streaming.',
    {
      status: 502,
      type: 'upstream_error',
      code: 'upstream_bad_response',
    },
  );
}

function toolEvents(state: IngressStreamState, call: ToolCallDelta): AnthropicStreamEvent[] {
  let index = state.toolBlocks.get(call.index);
  const events: AnthropicStreamEvent[] = [];
  if (index === undefined) {
    index = state.blockCount;
    state.toolBlocks.set(call.index, index);
    const id = call.id ?? `toolu_${String(call.index)}_${state.ctx.requestId}`;
    events.push(...openBlock(state, { index, kind: 'tool' }, { type: 'tool_use', id, name: call.function?.name ?? '', input: {} }));
  } else if (state.open?.index !== index) {
    throw interleaved();
  }
  const json = call.function?.arguments;
  if (typeof json === 'string' && json !== '')
    events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: json } });
  return events;
}

/** The Anthropic events for one OpenAI chunk; the first chunk also opens the message. */
export function translateChunk(state: IngressStreamState, chunk: ChatCompletionChunk): AnthropicStreamEvent[] {
  const events = state.started ? [] : [messageStart(state, chunk)];
  const choice = chunk.choices[0];
  if (!choice) return events;
  const { content, refusal, tool_calls: calls } = choice.delta;
  events.push(...reasoningEvents(state, choice.delta));
  if (typeof content === 'string' && content !== '') events.push(...textEvents(state, content));
  if (typeof refusal === 'string' && refusal !== '') events.push(...textEvents(state, refusal));
  for (const call of calls ?? []) events.push(...toolEvents(state, call));
  if (choice.finish_reason) {
    state.finishReason = choice.finish_reason;
    state.stopSequence = matchedStopSequence(choice.stop_reason, state.ctx.stopSequences);
  }
  return events;
}

/** The closing events, once the upstream stream has ended normally and its usage is known. */
export function finishStream(state: IngressStreamState, usage: Usage): AnthropicStreamEvent[] {
  const events = state.started ? [] : [messageStart(state, undefined)];
  events.push(...closeOpen(state));
  events.push({
    type: 'message_delta',
    delta: { ...toStopFields(state.finishReason, state.stopSequence) },
    usage: toAnthropicUsage(usage),
  });
  events.push({ type: 'message_stop' });
  return events;
}
