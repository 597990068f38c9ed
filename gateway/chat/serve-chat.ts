// The request path every model-calling endpoint shares once its route has checked the request and
// put it in OpenAI's shape: memory recall, routing with fallback, the upstream call (JSON or
// streamed), accounting, and the memory write after a complete answer. It knows nothing of HTTP
// servers: it takes the caller (chat/caller.ts), the request and a Responder, which each route
// binds to its response and its dialect (how a result, a chunk, the end of a stream and a
// mid-stream failure look on its wire). Rate limits are applied before it, by the middleware
// server.ts lists on each endpoint.
//
// The response starts only when the upstream has answered, so a failure before the first byte is
// still a proper HTTP error (and may go to the fallback model); a client that disconnects aborts
// the upstream call at once. One exception: a streaming request held while its ModelServer scales
// from zero gets its event stream (and keep-alive comments) as soon as the wait begins, so a
// failure after that is told in the stream.
import type { Logger } from 'pino';
import type { MemoryService, Recall } from '../memory/memory-service.ts';
import type { ChatCompletionChunk, ChatCompletionRequest } from '../protocols/openai/types.ts';
import type { ChatResult, ChatStream, ProviderClient, ProviderTarget, UsageReport } from '../providers/provider-client.ts';
import { toGatewayError } from '../middleware/error-handler.ts';
import type { TokenClocks } from '../observability/token-latency.ts';
import { inSpan } from '../observability/tracing.ts';
import { upstreamSpans, type GenAiOperation, type UpstreamSpans } from '../observability/upstream-span.ts';
import { endpointPath, type Accounting, type Endpoint } from './accounting.ts';
import type { Caller } from './caller.ts';
import type { Responder } from './responder.ts';
import { callWithFallback, type Attempt, type UpstreamDeps, type UpstreamRequest } from './upstream-call.ts';
import type { ChatExtensions } from './validate-request.ts';
import { startWaitingStream } from './waiting-stream.ts';
import { ChildSignal } from '../child-signal.ts';

export interface ChatDeps extends UpstreamDeps {
  accounting: Accounting;
  /** Long-term memory; absent when no vector store is configured. */
  memory?: MemoryService;
  log: Logger;
  keepAliveMs?: number;
  /** SSE comment interval while a streaming request is held for a ModelServer replica. */
  holdKeepAliveMs?: number;
  /** Times each stream's tokens for the TTFT and inter-token latency histograms. */
  tokenClocks?: TokenClocks;
}

/** How one kind of request is sent upstream (on a target the routing chose), and the text of its answer. */
export interface UpstreamCalls<Result extends UsageReport, Chunk> {
  json: (client: ProviderClient, target: ProviderTarget) => Promise<Result>;
  /** Absent for requests that never stream (embeddings). */
  stream?: (client: ProviderClient, target: ProviderTarget) => Promise<ChatStream<Chunk>>;
  /** What the model said, in a whole result and in one chunk: memory stores it. */
  resultText: (result: Result) => string | undefined;
  chunkText: (chunk: Chunk) => string;
}

/** A conversation: its messages are recalled into and remembered from. */
export interface ConversationRequest {
  body: ChatCompletionRequest;
  ext: ChatExtensions;
  /** Whose memories, within the account (chat/end-user.ts); undefined for the account's own. */
  endUser: string | undefined;
  endpoint: Exclude<Endpoint, 'embeddings' | 'completions'>;
  /** The body sent to one upstream target when it must differ by provider; the body as is otherwise. */
  bodyFor?: (body: ChatCompletionRequest, target: ProviderTarget) => ChatCompletionRequest;
}

/** What a conversation's upstream calls start from: the body with memories recalled into it, and the recall. */
export interface Recalled {
  body: ChatCompletionRequest;
  recall: Recall | undefined;
}

/**
 * A conversation sent upstream in a shape of its own (the Responses API passed through to upstreams
 * that speak it): its calls are made from what was recalled, bound to the signal that ends them.
 */
export interface OwnCallsConversation<Result extends UsageReport, Chunk> extends ConversationRequest {
  calls: (recalled: Recalled, signal: AbortSignal) => UpstreamCalls<Result, Chunk>;
}

/** A request served without memory (the legacy completions, embeddings): only what routing and accounting read. */
export interface UpstreamServe<Result extends UsageReport, Chunk> {
  /** The model the client named. */
  model: string;
  stream: boolean;
  ext: ChatExtensions;
  endpoint: Endpoint;
  /** Prefix routing: the prompt as sent upstream (completions); absent where no KV cache is reused (embeddings). */
  prompt?: UpstreamRequest['prompt'];
  /** The calls, bound to the signal that ends them (the client's, or the gateway's when nobody will read). */
  calls: (signal: AbortSignal) => UpstreamCalls<Result, Chunk>;
}

type MemoryFacts = { calls: number; latencyMs: number | null; tokens: number };

const NO_MEMORY: MemoryFacts = { calls: 0, latencyMs: null, tokens: 0 };

/** Memory off both ways, for requests that are not a conversation. */
export const NO_EXTENSIONS: ChatExtensions = {
  conversationId: undefined,
  memory: { enabled: false, topK: undefined, conversationOnly: false },
};

/** One request on its way: who asked, what for, and how to answer. */
interface Exchange<Result extends UsageReport, Chunk> {
  caller: Caller;
  model: string;
  ext: ChatExtensions;
  endpoint: Endpoint;
  memory: MemoryFacts;
  calls: UpstreamCalls<Result, Chunk>;
  upstream: UpstreamRequest;
  responder: Responder<Result, Chunk>;
  /**
   * The upstream call's own signal (upstream.signal): it aborts when the client goes away, or when
   * the gateway cancels it (a stream that will never be read, which would hold its connection otherwise).
   */
  ending: ChildSignal;
  /** The upstream calls' trace spans. */
  spans: UpstreamSpans;
}

const OPERATIONS: Record<Endpoint, GenAiOperation> = {
  chat: 'chat',
  messages: 'chat',
  responses: 'chat',
  completions: 'text_completion',
  embeddings: 'embeddings',
};

/** What accounting records of every outcome. */
function facts<Result extends UsageReport, Chunk>(exchange: Exchange<Result, Chunk>) {
  const { caller } = exchange;
  return {
    principal: caller.principal,
    requestId: caller.requestId,
    serverRequestId: caller.serverRequestId,
    startedAt: caller.startedAt,
    ext: exchange.ext,
    body: { model: exchange.model },
    endpoint: exchange.endpoint,
    memory: exchange.memory,
  };
}

/** Time the gateway spent before calling upstream (auth, limits, routing, memory), not counting a cold-start wait. */
function overheadMs(caller: Caller, attempt: Pick<Attempt<unknown>, 'upstreamStartedAt' | 'heldMs'>): string {
  return Math.max(0, attempt.upstreamStartedAt - caller.startedAt - attempt.heldMs).toFixed(2);
}

/** The response headers that say how the request was served. */
function servedHeaders(caller: Caller, attempt: Attempt<unknown>): Record<string, string> {
  return {
    'x-perpetual-overhead-ms': overheadMs(caller, attempt),
    'x-perpetual-model': attempt.model.name,
    // How long the request waited for its ModelServer to get a ready replica (scale from zero).
    ...(attempt.heldMs > 0 ? { 'x-perpetual-held-ms': String(Math.round(attempt.heldMs)) } : {}),
  };
}

/** The headers that say what memory did for a request. */
function memoryHeaders(recall: Recall): Record<string, string> {
  return {
    'x-perpetual-memory': recall.result,
    'x-perpetual-memory-ids': recall.memoryIds.join(','),
    'x-perpetual-memory-tokens': String(recall.memoryTokens),
    ...(recall.retrievalMs !== null ? { 'x-perpetual-retrieval-ms': recall.retrievalMs.toFixed(2) } : {}),
  };
}

/** Recalls memories into the body sent upstream. */
async function withMemory(deps: ChatDeps, caller: Caller, request: ConversationRequest, signal: AbortSignal): Promise<Recalled> {
  const memory = deps.memory;
  if (!memory) return { body: request.body, recall: undefined };
  const recall = await inSpan('memory.recall', {}, async (span) => {
    const found = await memory.recall({
      userId: caller.principal.userId,
      endUser: request.endUser,
      conversationId: request.ext.conversationId,
      messages: request.body.messages,
      enabled: request.ext.memory.enabled,
      topK: request.ext.memory.topK,
      conversationOnly: request.ext.memory.conversationOnly,
      signal,
    });
    span.setAttributes({
      'perpetual.memory.result': found.result,
      'perpetual.memory.count': found.memoryIds.length,
      'perpetual.memory.tokens': found.memoryTokens,
    });
    return found;
  });
  return { body: { ...request.body, messages: recall.messages }, recall };
}

/**
 * The recall, started while the rate limit decides when the decision was left to this use case
 * (caller.admission): the two waits overlap. Refused, the recall is cancelled and the 429 thrown.
 */
async function recallWhileAdmitting(deps: ChatDeps, caller: Caller, request: ConversationRequest, ending: ChildSignal): Promise<Recalled> {
  const recalling = withMemory(deps, caller, request, ending.signal);
  try {
    await caller.admission;
  } catch (err) {
    ending.cancel(err);
    await recalling;
    throw err;
  }
  return await recalling;
}

/**
 * A conversation (/v1/chat/completions, /v1/messages, /v1/responses): memories recalled into it,
 * answered JSON or streamed through `responder`, accounted, and the turn remembered when the
 * answer completed.
 */
export function serveConversation(
  deps: ChatDeps,
  caller: Caller,
  request: ConversationRequest,
  responder: Responder<ChatResult, ChatCompletionChunk>,
): Promise<void> {
  return serveOwnCalls(deps, caller, { ...request, calls: (recalled, signal) => chatCalls(request, recalled, signal) }, responder);
}

/** The chat calls of a conversation: Chat Completions on every upstream (each provider translates). */
export function chatCalls(
  request: Pick<ConversationRequest, 'bodyFor'>,
  recalled: Recalled,
  signal: AbortSignal,
): UpstreamCalls<ChatResult, ChatCompletionChunk> {
  const bodyFor = (target: ProviderTarget): ChatCompletionRequest =>
    request.bodyFor ? request.bodyFor(recalled.body, target) : recalled.body;
  return {
    json: (client, target) => client.chat(bodyFor(target), target, signal),
    stream: (client, target) => client.chatStream(bodyFor(target), target, signal),
    resultText: (result) => result.response.choices[0]?.message.content ?? undefined,
    chunkText: (chunk) => chunk.choices[0]?.delta.content ?? '',
  };
}

/** serveConversation with calls of the request's own: memory, routing, accounting and the memory write as for chat. */
export async function serveOwnCalls<Result extends UsageReport, Chunk>(
  deps: ChatDeps,
  caller: Caller,
  request: OwnCallsConversation<Result, Chunk>,
  responder: Responder<Result, Chunk>,
): Promise<void> {
  const ending = new ChildSignal(caller.signal);
  const { signal } = ending;
  const recalled = await recallWhileAdmitting(deps, caller, request, ending);
  const { recall } = recalled;
  if (recall) responder.setHeaders(memoryHeaders(recall));
  const memory = { calls: recall?.calls ?? 0, latencyMs: recall?.retrievalMs ?? null, tokens: recall?.memoryTokens ?? 0 };
  const calls = request.calls(recalled, signal);
  const model = request.body.model;
  const upstream: UpstreamRequest = {
    userId: caller.principal.userId,
    model,
    conversationId: request.ext.conversationId,
    prompt: recalled.body,
    signal,
  };
  const exchange = {
    caller,
    model,
    ext: request.ext,
    endpoint: request.endpoint,
    memory,
    calls,
    upstream,
    responder,
    ending,
    spans: upstreamSpans(OPERATIONS[request.endpoint], model),
  };
  const text = await answer(deps, exchange, request.body.stream === true);
  // Memory off for this request means off both ways: nothing recalled, nothing stored. Points are
  // keyed on the gateway's id: a replayed X-Request-Id must add memories, never overwrite them.
  if (text !== undefined && request.ext.memory.enabled !== false) {
    deps.memory?.remember({
      userId: caller.principal.userId,
      endUser: request.endUser,
      conversationId: request.ext.conversationId,
      requestId: caller.serverRequestId,
      apiKeyId: caller.principal.keyId,
      messages: request.body.messages,
      responseText: text,
      tier: caller.principal.tier,
    });
  }
}

/** The same path without memory, for requests that are not a conversation (the legacy /v1/completions, /v1/embeddings). */
export async function serveUpstream<Result extends UsageReport, Chunk>(
  deps: ChatDeps,
  caller: Caller,
  request: UpstreamServe<Result, Chunk>,
  responder: Responder<Result, Chunk>,
): Promise<void> {
  const ending = new ChildSignal(caller.signal);
  const { signal } = ending;
  const upstream: UpstreamRequest = {
    userId: caller.principal.userId,
    model: request.model,
    conversationId: request.ext.conversationId,
    prompt: request.prompt,
    signal,
  };
  const exchange = {
    caller,
    model: request.model,
    ext: request.ext,
    endpoint: request.endpoint,
    memory: NO_MEMORY,
    calls: request.calls(signal),
    upstream,
    responder,
    ending,
    spans: upstreamSpans(OPERATIONS[request.endpoint], request.model),
  };
  await answer(deps, exchange, request.stream);
}

/** Answers, JSON or streamed, and accounts for it; returns the answer's text when it completed. */
async function answer<Result extends UsageReport, Chunk>(
  deps: ChatDeps,
  exchange: Exchange<Result, Chunk>,
  stream: boolean,
): Promise<string | undefined> {
  const streamCall = exchange.calls.stream;
  // Admitted before anything is sent upstream, whichever path the request came by.
  if (exchange.caller.admission) await exchange.caller.admission;
  return stream && streamCall ? serveStream(deps, exchange, exchange.spans.around(streamCall)) : serveJson(deps, exchange);
}

/** Answers with one JSON body; returns the assistant's text for memory. */
async function serveJson<Result extends UsageReport, Chunk>(
  deps: ChatDeps,
  exchange: Exchange<Result, Chunk>,
): Promise<string | undefined> {
  const { caller, calls, upstream, responder } = exchange;
  let attempt: Attempt<Result> | undefined;
  try {
    attempt = await callWithFallback(deps, upstream, exchange.spans.around(calls.json));
    exchange.spans.finish({ usage: attempt.result.usage, result: attempt.result });
    const upstreamMs = performance.now() - attempt.upstreamStartedAt;
    responder.setHeaders(servedHeaders(caller, attempt));
    await responder.json(attempt.result);
    deps.accounting.completed({ ...facts(exchange), attempt, status: 200, report: attempt.result, upstreamMs });
    return calls.resultText(attempt.result);
  } catch (err) {
    deps.accounting.failed({ ...facts(exchange), ...(attempt ? { attempt } : {}), status: toGatewayError(err, caller.requestId).status });
    throw err;
  }
}

type StreamCall<Chunk> = NonNullable<UpstreamCalls<UsageReport, Chunk>['stream']>;

/**
 * The upstream stream. Undefined when the request failed after a held request's event stream had
 * started: the error was then written into the stream, which is closed.
 */
async function openStream<Result extends UsageReport, Chunk>(
  deps: ChatDeps,
  exchange: Exchange<Result, Chunk>,
  call: StreamCall<Chunk>,
): Promise<Attempt<ChatStream<Chunk>> | undefined> {
  const { caller, responder, upstream } = exchange;
  let stopWaiting = (): void => undefined;
  const onHold = (): void => {
    const headers = { 'x-perpetual-model': exchange.model, 'x-perpetual-overhead-ms': (performance.now() - caller.startedAt).toFixed(2) };
    stopWaiting = startWaitingStream(responder, headers, deps.holdKeepAliveMs ?? 3000);
  };
  try {
    return await callWithFallback(deps, { ...upstream, keepLease: true, onHold }, call);
  } catch (err) {
    const error = toGatewayError(err, caller.requestId);
    deps.accounting.failed({ ...facts(exchange), status: error.status });
    if (!responder.started) throw err;
    if (!upstream.signal?.aborted) await responder.writer().fail(error);
    responder.end();
    return undefined;
  } finally {
    stopWaiting();
  }
}

/** Answers with an event stream; returns the assistant's text when the stream completed. */
async function serveStream<Result extends UsageReport, Chunk>(
  deps: ChatDeps,
  exchange: Exchange<Result, Chunk>,
  call: StreamCall<Chunk>,
): Promise<string | undefined> {
  const attempt = await openStream(deps, exchange, call);
  if (!attempt) return undefined;
  // The stream kept its in-flight count and replica claim (keepLease); they end here however the
  // stream ends, even when it never started: a leak would skew the autoscaler and least-load.
  try {
    return await relayStream(deps, exchange, attempt);
  } finally {
    attempt.release();
  }
}

/** Starts the event stream (unless a held request's already did) and relays the upstream's chunks into it. */
async function relayStream<Result extends UsageReport, Chunk>(
  deps: ChatDeps,
  exchange: Exchange<Result, Chunk>,
  attempt: Attempt<ChatStream<Chunk>>,
): Promise<string | undefined> {
  const { caller, responder } = exchange;
  const signal = exchange.upstream.signal;
  try {
    // A held request's stream started while it waited.
    if (!responder.started) responder.startStream(servedHeaders(caller, attempt));
  } catch (err) {
    // Nothing was sent, so the client still gets a proper error status; nobody will read the
    // upstream's stream, so it is cancelled rather than left open until the body timeout.
    exchange.ending.cancel(err);
    exchange.spans.finish({ error: err });
    deps.accounting.failed({ ...facts(exchange), attempt, status: toGatewayError(err, caller.requestId).status });
    throw err;
  }
  const stopKeepAlive = responder.keepAlive(deps.keepAliveMs ?? 15_000);
  const writer = responder.writer();
  const clock = deps.tokenClocks?.(attempt.model.name, endpointPath(deps.config.prefix, exchange.endpoint), caller.startedAt);
  let status = 200;
  let text = '';
  try {
    for await (const chunk of attempt.result) {
      const piece = exchange.calls.chunkText(chunk);
      if (piece !== '') clock?.token();
      exchange.spans.chunk(chunk);
      text += piece;
      await writer.chunk(chunk);
    }
    await writer.end(attempt.result.usage());
  } catch (err) {
    const error = toGatewayError(err, caller.requestId);
    status = signal?.aborted ? 499 : error.status;
    if (!signal?.aborted) await writer.fail(error);
  } finally {
    stopKeepAlive();
    responder.end();
  }
  const report: UsageReport = attempt.result.usage();
  exchange.spans.finish({ usage: report.usage, ...(status === 200 ? {} : { error: `stream ended with status ${String(status)}` }) });
  deps.accounting.completed({ ...facts(exchange), attempt, status, report, upstreamMs: performance.now() - attempt.upstreamStartedAt });
  return status === 200 ? text : undefined;
}
