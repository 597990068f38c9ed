// The gateway's internal OpenAI chunks → the Responses API's streaming events, in OpenAI's order:
//   response.created, response.in_progress
//   per output item: response.output_item.added, then
//     message:       response.content_part.added, response.output_text.delta... (or refusal deltas)
//     function call: response.function_call_arguments.delta...
//   at the end, per item in output order: response.output_text.done / response.refusal.done,
//     response.content_part.done, or response.function_call_arguments.done; response.output_item.done
//   response.completed (or response.incomplete when cut short), with usage.
// Every event carries the next sequence_number. Items stay open until the upstream is done: chat
// streams may interleave parallel tool calls, which item_id and output_index can express. A
// failure after the start is told with response.failed. Pure apart from the state it updates.
import type { ChatCompletionChunk, FinishReason, ToolCallDelta, Usage } from '../protocols/openai/types.ts';
import {
  failedResponse,
  finishedResponse,
  functionCallItem,
  inProgressResponse,
  incompleteReason,
  type ResponseContext,
} from './response.ts';
import type { FunctionCallItem, MessageContent, MessageItem, OutputItem, ResponseObject, ResponseStreamEvent } from './types.ts';

interface MessageState {
  outputIndex: number;
  item: MessageItem & { role: 'assistant' };
  /** content_index of the text part and of the refusal part, once opened. */
  text: number | undefined;
  refusal: number | undefined;
}

export interface ResponseStreamState {
  ctx: ResponseContext;
  sequence: number;
  started: boolean;
  /** The output items as they stand, in output_index order. */
  output: OutputItem[];
  message: MessageState | undefined;
  /** Chat tool_calls index → output_index of its function_call item. */
  calls: Map<number, number>;
  finishReason: FinishReason | null;
}

export function createResponseStreamState(ctx: ResponseContext): ResponseStreamState {
  return { ctx, sequence: 0, started: false, output: [], message: undefined, calls: new Map(), finishReason: null };
}

/** An event before it is numbered. */
interface EventBody {
  type: string;
  [field: string]: unknown;
}

function emit(state: ResponseStreamState, events: ResponseStreamEvent[], body: EventBody): void {
  events.push({ ...body, sequence_number: state.sequence++ });
}

function start(state: ResponseStreamState, events: ResponseStreamEvent[]): void {
  if (state.started) return;
  state.started = true;
  const response = inProgressResponse(state.ctx);
  emit(state, events, { type: 'response.created', response });
  emit(state, events, { type: 'response.in_progress', response });
}

function openMessage(state: ResponseStreamState, events: ResponseStreamEvent[]): MessageState {
  if (state.message) return state.message;
  const item: MessageState['item'] = {
    id: state.ctx.outputIds('msg', 0),
    type: 'message',
    role: 'assistant',
    status: 'in_progress',
    content: [],
  };
  state.message = { outputIndex: state.output.length, item, text: undefined, refusal: undefined };
  state.output.push(item);
  emit(state, events, { type: 'response.output_item.added', output_index: state.message.outputIndex, item: { ...item, content: [] } });
  return state.message;
}

function openPart(state: ResponseStreamState, events: ResponseStreamEvent[], message: MessageState, part: MessageContent): number {
  const index = message.item.content.length;
  message.item.content.push(part);
  emit(state, events, {
    type: 'response.content_part.added',
    item_id: message.item.id,
    output_index: message.outputIndex,
    content_index: index,
    part: { ...part },
  });
  return index;
}

function textDelta(state: ResponseStreamState, events: ResponseStreamEvent[], delta: string): void {
  const message = openMessage(state, events);
  message.text ??= openPart(state, events, message, { type: 'output_text', text: '', annotations: [] });
  const part = message.item.content[message.text];
  if (part?.type === 'output_text') part.text += delta;
  emit(state, events, {
    type: 'response.output_text.delta',
    item_id: message.item.id,
    output_index: message.outputIndex,
    content_index: message.text,
    delta,
    logprobs: [],
  });
}

function refusalDelta(state: ResponseStreamState, events: ResponseStreamEvent[], delta: string): void {
  const message = openMessage(state, events);
  message.refusal ??= openPart(state, events, message, { type: 'refusal', refusal: '' });
  const part = message.item.content[message.refusal];
  if (part?.type === 'refusal') part.refusal += delta;
  emit(state, events, {
    type: 'response.refusal.delta',
    item_id: message.item.id,
    output_index: message.outputIndex,
    content_index: message.refusal,
    delta,
  });
}

function callDelta(state: ResponseStreamState, events: ResponseStreamEvent[], call: ToolCallDelta): void {
  let outputIndex = state.calls.get(call.index);
  if (outputIndex === undefined) {
    outputIndex = state.output.length;
    state.calls.set(call.index, outputIndex);
    const item = functionCallItem(
      state.ctx.outputIds,
      call.index,
      { id: call.id, name: call.function?.name ?? '', arguments: '' },
      'in_progress',
    );
    state.output.push(item);
    emit(state, events, { type: 'response.output_item.added', output_index: outputIndex, item: { ...item } });
  }
  const item = state.output[outputIndex] as FunctionCallItem;
  // Some compatible servers send the name in a later delta than the first.
  if (item.name === '' && typeof call.function?.name === 'string') item.name = call.function.name;
  const delta = call.function?.arguments;
  if (typeof delta !== 'string' || delta === '') return;
  item.arguments += delta;
  emit(state, events, { type: 'response.function_call_arguments.delta', item_id: item.id, output_index: outputIndex, delta });
}

/** The events for one chat chunk; the first chunk also announces the response. */
export function translateChunk(state: ResponseStreamState, chunk: ChatCompletionChunk): ResponseStreamEvent[] {
  const events: ResponseStreamEvent[] = [];
  start(state, events);
  const choice = chunk.choices[0];
  if (!choice) return events;
  const { content, refusal, tool_calls: calls } = choice.delta;
  if (typeof content === 'string' && content !== '') textDelta(state, events, content);
  if (typeof refusal === 'string' && refusal !== '') refusalDelta(state, events, refusal);
  for (const call of calls ?? []) callDelta(state, events, call);
  if (choice.finish_reason) state.finishReason = choice.finish_reason;
  return events;
}

function closeMessage(
  state: ResponseStreamState,
  events: ResponseStreamEvent[],
  message: MessageState,
  status: MessageItem['status'],
): void {
  const { item, outputIndex } = message;
  item.content.forEach((part, contentIndex) => {
    const where = { item_id: item.id, output_index: outputIndex, content_index: contentIndex };
    if (part.type === 'output_text') emit(state, events, { type: 'response.output_text.done', ...where, text: part.text, logprobs: [] });
    if (part.type === 'refusal') emit(state, events, { type: 'response.refusal.done', ...where, refusal: part.refusal });
    emit(state, events, { type: 'response.content_part.done', ...where, part: { ...part } });
  });
  item.status = status;
  emit(state, events, {
    type: 'response.output_item.done',
    output_index: outputIndex,
    item: { ...item, content: item.content.map((part) => ({ ...part })) },
  });
}

function closeCall(
  state: ResponseStreamState,
  events: ResponseStreamEvent[],
  { item, outputIndex }: { item: FunctionCallItem; outputIndex: number },
  status: MessageItem['status'],
): void {
  emit(state, events, {
    type: 'response.function_call_arguments.done',
    item_id: item.id,
    output_index: outputIndex,
    name: item.name,
    arguments: item.arguments,
  });
  item.status = status;
  emit(state, events, { type: 'response.output_item.done', output_index: outputIndex, item: { ...item } });
}

/**
 * The events that close the output items, once the upstream stream has ended normally. The
 * terminal event follows (terminalEvent), after the finished response has been stored: a client
 * that saw response.completed may continue from it at once.
 */
export function closeStream(state: ResponseStreamState): ResponseStreamEvent[] {
  const events: ResponseStreamEvent[] = [];
  start(state, events);
  // A reply with neither text nor calls is still a (blank) message, as without streaming.
  if (state.output.length === 0) {
    const message = openMessage(state, events);
    message.text = openPart(state, events, message, { type: 'output_text', text: '', annotations: [] });
  }
  const status = incompleteReason(state.finishReason) ? 'incomplete' : 'completed';
  state.output.forEach((item, outputIndex) => {
    if (item.type === 'function_call') closeCall(state, events, { item, outputIndex }, status);
    else if (state.message) closeMessage(state, events, state.message, status);
  });
  return events;
}

/** The finished response, after closeStream: what response.completed carries and what is stored. */
export function streamedResponse(state: ResponseStreamState, usage: Usage, completedAt: number): ResponseObject {
  return finishedResponse(state.ctx, { output: state.output, usage, finish: state.finishReason, completedAt });
}

/** response.completed, or response.incomplete when the output was cut short. */
export function terminalEvent(state: ResponseStreamState, response: ResponseObject): ResponseStreamEvent[] {
  const events: ResponseStreamEvent[] = [];
  emit(state, events, { type: response.status === 'completed' ? 'response.completed' : 'response.incomplete', response });
  return events;
}

/** The event for a failure after the stream started: the response, failed, with what it had so far. */
export function failStream(state: ResponseStreamState, error: { code: string; message: string }): ResponseStreamEvent[] {
  const events: ResponseStreamEvent[] = [];
  start(state, events);
  emit(state, events, { type: 'response.failed', response: failedResponse(state.ctx, state.output, error) });
  return events;
}
