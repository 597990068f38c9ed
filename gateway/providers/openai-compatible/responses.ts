// OpenAI's Responses API, passed through to upstreams that speak it (OpenAI itself; vLLM has a
// subset). The body goes as the gateway built it (whole context, stateless); what changes is the
// model name (the upstream's on the way out, the client's on the way back) and usage, which is
// read from the final response and estimated (flagged) when the upstream leaves it out.
import { guardStream, makeChatStream } from '../chat-stream.ts';
import { providerLabel } from '../provider-client.ts';
import type {
  ProviderTarget,
  ResponsesResult,
  ResponsesStream,
  ResponsesUpstreamBody,
  UpstreamResponseEvent,
  UsageReport,
} from '../provider-client.ts';
import { parseServerSentEvents } from '../transport/sse.ts';
import { upstreamProtocolError } from '../transport/upstream-errors.ts';
import { headerValue } from '../transport/upstream-http.ts';
import type { UpstreamHttp, UpstreamResponse } from '../transport/upstream-http.ts';
import type { Usage } from '../../protocols/openai/types.ts';
import { CHARS_PER_TOKEN, estimateTokens, reconcileUsage } from '../usage.ts';
import { call, readJson } from './calls.ts';
import { isObject } from '../../json-object.ts';

type Json = Record<string, unknown>;

/** The events that end a stream; each carries the whole response. */
const TERMINAL_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/** Responses usage in the gateway's (Chat Completions) shape, for accounting. */
export function chatUsage(usage: unknown): Partial<Usage> | undefined {
  if (!isObject(usage)) return undefined;
  const input = isObject(usage.input_tokens_details) ? usage.input_tokens_details : {};
  const output = isObject(usage.output_tokens_details) ? usage.output_tokens_details : {};
  return {
    ...(typeof usage.input_tokens === 'number' ? { prompt_tokens: usage.input_tokens } : {}),
    ...(typeof usage.output_tokens === 'number' ? { completion_tokens: usage.output_tokens } : {}),
    ...(typeof input.cached_tokens === 'number' ? { prompt_tokens_details: { cached_tokens: input.cached_tokens } } : {}),
    ...(typeof output.reasoning_tokens === 'number' ? { completion_tokens_details: { reasoning_tokens: output.reasoning_tokens } } : {}),
  };
}

/** A rough prompt size, for when the upstream reports none: everything the model reads. */
export function estimateResponsesPromptTokens(body: ResponsesUpstreamBody): number {
  const instructions = typeof body.instructions === 'string' ? body.instructions : '';
  const tools = Array.isArray(body.tools) ? JSON.stringify(body.tools) : '';
  return estimateTokens(JSON.stringify(body.input) + instructions + tools);
}

/** The text a response's output items carry: answers, refusals, call arguments, reasoning summaries. */
export function outputText(output: unknown): string {
  if (!Array.isArray(output)) return '';
  let text = '';
  for (const item of output) {
    if (!isObject(item)) continue;
    if (typeof item.arguments === 'string') text += item.arguments;
    const parts: unknown[] = [
      ...(Array.isArray(item.content) ? (item.content as unknown[]) : []),
      ...(Array.isArray(item.summary) ? (item.summary as unknown[]) : []),
    ];
    for (const part of parts) {
      if (isObject(part)) text += typeof part.text === 'string' ? part.text : typeof part.refusal === 'string' ? part.refusal : '';
    }
  }
  return text;
}

function upstreamBody(body: ResponsesUpstreamBody, target: ProviderTarget, stream: boolean): Json {
  return { ...body, model: target.upstreamModel, stream };
}

function withClientModel(response: Json, model: string): Json {
  return { ...response, model };
}

function report(response: Json | undefined, body: ResponsesUpstreamBody, streamedChars: number): UsageReport {
  const completionChars = response ? outputText(response.output).length : streamedChars;
  return reconcileUsage(chatUsage(response?.usage), {
    promptTokens: estimateResponsesPromptTokens(body),
    completionTokens: Math.ceil(completionChars / CHARS_PER_TOKEN),
  });
}

export async function postResponse(
  http: UpstreamHttp,
  body: ResponsesUpstreamBody,
  target: ProviderTarget,
  signal: AbortSignal,
): Promise<ResponsesResult> {
  const provider = providerLabel(target);
  const res = await http.postJson(call({ target, path: '/responses', body: upstreamBody(body, target, false), signal, model: body.model }));
  const answer = await readJson(res, provider);
  if (answer.object !== 'response' || !Array.isArray(answer.output))
    throw upstreamProtocolError(provider, 'the body is not a response object');
  return {
    response: withClientModel(answer, body.model),
    ...report(answer, body, 0),
    upstreamRequestId: headerValue(res.headers, 'x-request-id'),
  };
}

interface EventStreamState {
  final: Json | undefined;
  streamedChars: number;
}

function parseEvent(data: string, provider: string): UpstreamResponseEvent {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw upstreamProtocolError(provider, 'a stream event is not JSON');
  }
  if (!isObject(value) || typeof value.type !== 'string') throw upstreamProtocolError(provider, 'a stream event has no type');
  return value as UpstreamResponseEvent;
}

async function* readEvents(
  res: UpstreamResponse,
  state: EventStreamState,
  model: string,
  provider: string,
): AsyncGenerator<UpstreamResponseEvent> {
  for await (const sse of parseServerSentEvents(res.body as AsyncIterable<Uint8Array>)) {
    // Read on to the end of the body rather than break: leaving a body early destroys its socket.
    if (state.final || sse.data === '[DONE]') continue;
    const event = parseEvent(sse.data, provider);
    if (typeof event.delta === 'string') state.streamedChars += event.delta.length;
    if (isObject(event.response)) {
      const response = withClientModel(event.response, model);
      event.response = response;
      if (TERMINAL_EVENTS.has(event.type)) state.final = response;
    }
    yield event;
  }
  if (!state.final) throw upstreamProtocolError(provider, 'the stream ended before the response was complete');
}

export async function openResponseStream(
  http: UpstreamHttp,
  body: ResponsesUpstreamBody,
  target: ProviderTarget,
  signal: AbortSignal,
): Promise<ResponsesStream> {
  const upstream = call({ target, path: '/responses', body: upstreamBody(body, target, true), signal, model: body.model });
  upstream.headers.accept = 'text/event-stream';
  const res = await http.postJson(upstream);
  const state: EventStreamState = { final: undefined, streamedChars: 0 };
  const events = guardStream(readEvents(res, state, body.model, upstream.provider), res, upstream);
  return makeChatStream(events, () => report(state.final, body, state.streamedChars), headerValue(res.headers, 'x-request-id'));
}
