// The Responses API passed through to an upstream that speaks it (OpenAI), instead of translated
// onto the chat path: reasoning items, reasoning summaries and the upstream's own output items
// survive, which a chat translation loses. Pure; the route decides per upstream target.
//
// The gateway stays the one that keeps state, exactly as on the chat path: the upstream gets the
// whole context statelessly (`store: false`, no previous_response_id), reasoning items go back with
// the encrypted content the upstream issued (OpenAI's documented stateless use), and every object
// the client sees carries the gateway's response id and the request's own settings.
import type { ProviderKind, ResponsesUpstreamBody, UpstreamResponseEvent } from '../providers/provider-client.ts';
import type { Usage } from '../protocols/openai/types.ts';
import { inProgressResponse, toResponseUsage, type ResponseContext } from './response.ts';
import type { ContextItem, Json, MessageItem, OutputItem, ResponseObject, ResponseStatus } from './types.ts';
import { isObject } from '../json-object.ts';

/** Upstream kinds whose Responses API the gateway calls directly. */
export function speaksResponses(kind: ProviderKind): boolean {
  return kind === 'openai';
}

/** Fields of the client's request that are the gateway's to act on, never the upstream's. */
const GATEWAY_FIELDS = new Set(['input', 'store', 'previous_response_id', 'stream', 'conversation_id', 'memory']);

/** An item as the upstream takes it back: our ids and statuses left out, reasoning only with its encrypted content. */
function upstreamItem(item: ContextItem): Json | undefined {
  switch (item.type) {
    case 'message':
      return { type: 'message', role: item.role, content: item.content };
    case 'function_call':
      return { type: 'function_call', call_id: item.call_id, name: item.name, arguments: item.arguments };
    case 'function_call_output':
      return { type: 'function_call_output', call_id: item.call_id, output: item.output };
    case 'reasoning':
      // Without its encrypted content a reasoning item means nothing to a stateless upstream (it
      // would answer 400 "item not found"): the model simply reasons afresh.
      return typeof item.encrypted_content === 'string'
        ? { type: 'reasoning', id: item.id, summary: item.summary, encrypted_content: item.encrypted_content }
        : undefined;
  }
}

function isInstruction(item: Json): boolean {
  return item.type === 'message' && (item.role === 'system' || item.role === 'developer');
}

/**
 * The memory block put in the input the way the chat path puts it in the messages
 * (memory/prompt/inject-memories.ts): after the leading system/developer items, appended to the
 * last of them, or as a developer message first. `instructions` stay untouched and first, so the
 * application's own prompt keeps its cached prefix.
 */
export function withMemoryBlock(input: readonly Json[], block: string | undefined): Json[] {
  if (block === undefined || block === '') return [...input];
  const at = input.findIndex((item) => !isInstruction(item));
  const end = at === -1 ? input.length : at;
  const last = input[end - 1];
  if (!last) return [{ type: 'message', role: 'developer', content: [{ type: 'input_text', text: block }] }, ...input];
  const content = last.content as MessageItem['content'];
  const appended = { ...last, content: [...content, { type: 'input_text', text: `\n\n${block}` }] };
  return [...input.slice(0, end - 1), appended, ...input.slice(end)];
}

/** What the upstream is sent: the client's settings, the whole context, and encrypted reasoning asked for. */
export function nativeBody(
  request: Json & { model: string },
  context: readonly ContextItem[],
  memoryBlock: string | undefined,
): ResponsesUpstreamBody {
  const settings = Object.fromEntries(Object.entries(request).filter(([field]) => !GATEWAY_FIELDS.has(field)));
  const include = Array.isArray(request.include) ? (request.include as unknown[]) : [];
  const input = context.flatMap((item): Json[] => {
    const sent = upstreamItem(item);
    return sent ? [sent] : [];
  });
  return {
    ...settings,
    model: request.model,
    input: withMemoryBlock(input, memoryBlock),
    store: false,
    include: [...new Set([...include, 'reasoning.encrypted_content'])],
  };
}

const STATUSES = new Set<ResponseStatus>(['in_progress', 'completed', 'incomplete', 'failed']);

/**
 * The client's view of an upstream response object: the upstream's outcome (status, output,
 * error, incomplete details) under the gateway's id, with the request's settings echoed. `usage`
 * is the gateway's reconciled figure where it has one (what it accounts), else the upstream's.
 */
export function nativeResponse(ctx: ResponseContext, upstream: Json, usage?: Usage): ResponseObject {
  const status = STATUSES.has(upstream.status as ResponseStatus) ? (upstream.status as ResponseStatus) : 'completed';
  return {
    ...inProgressResponse(ctx),
    status,
    completed_at: typeof upstream.completed_at === 'number' ? upstream.completed_at : null,
    error: (upstream.error as ResponseObject['error']) ?? null,
    incomplete_details: (upstream.incomplete_details as ResponseObject['incomplete_details']) ?? null,
    output: Array.isArray(upstream.output) ? (upstream.output as OutputItem[]) : [],
    usage: usage ? toResponseUsage(usage) : ((upstream.usage as ResponseObject['usage']) ?? null),
  };
}

/** An upstream event for the client: the response it carries (lifecycle events) shown as ours. */
export function nativeEvent(ctx: ResponseContext, event: UpstreamResponseEvent): UpstreamResponseEvent {
  const { response } = event;
  if (!isObject(response)) return event;
  return { ...event, response: nativeResponse(ctx, response) };
}

/** What the client's answer says, for memory: the assistant's text, not its reasoning or calls. */
export function answerText(output: unknown): string {
  if (!Array.isArray(output)) return '';
  return output
    .filter((item): item is MessageItem => isObject(item) && item.type === 'message')
    .flatMap((item) => item.content.map((part) => (part.type === 'output_text' ? part.text : '')))
    .join('');
}

/** Where a passed-through stream stands: the next sequence number and the response as last seen. */
export interface NativeStreamState {
  nextSequence: number;
  response: Json | undefined;
}

export function createNativeStreamState(): NativeStreamState {
  return { nextSequence: 0, response: undefined };
}

/** The events that end a stream with a response worth keeping. */
const FINISHED_EVENTS = new Set(['response.completed', 'response.incomplete']);

/**
 * One upstream event for the client (nativeEvent), noted in the state; `finished` is the response
 * to store before the event is sent, when the event ends the stream with one.
 */
export function nativeStreamEvent(
  ctx: ResponseContext,
  state: NativeStreamState,
  event: UpstreamResponseEvent,
): { event: UpstreamResponseEvent; finished: ResponseObject | undefined } {
  state.nextSequence = Math.max(state.nextSequence, event.sequence_number + 1);
  const shown = nativeEvent(ctx, event);
  if (shown !== event) state.response = event.response as Json;
  const finished = FINISHED_EVENTS.has(event.type) ? (shown.response as ResponseObject) : undefined;
  return { event: shown, finished };
}

/** A failure after a passed-through stream started: response.failed, numbered after what the client saw. */
export function nativeFailEvent(
  ctx: ResponseContext,
  state: NativeStreamState,
  error: { code: string; message: string },
): UpstreamResponseEvent {
  const response = { ...nativeResponse(ctx, state.response ?? {}), status: 'failed' as const, completed_at: null, error };
  return { type: 'response.failed', sequence_number: state.nextSequence++, response };
}
