// The request path both chat dialects share once the request is in OpenAI's shape: rate limit,
// routing with fallback, the upstream call (JSON or streamed) and accounting. Each route brings
// its dialect: how a result, a chunk, the end of a stream and a mid-stream failure look on its
// wire (OpenAI's for /v1/chat/completions, Anthropic's for /v1/messages). The legacy
// /v1/completions takes the same path without memory (serveUpstream), with its own calls.
// The response starts only when the upstream has answered, so a failure before the first byte is
// still a proper HTTP error (and may go to the fallback model); a client that disconnects aborts
// the upstream call at once. One exception: a streaming request held while its ModelServer scales
// from zero gets its event stream (and keep-alive comments) as soon as the wait begins, so a
// failure after that is told in the stream.
import type { Response } from 'express';
import type { Logger } from 'pino';
import type { Accounting, Endpoint } from '../chat/accounting.ts';
import type { MemoryService, Recall } from '../memory/memory-service.ts';
import { keepAlive, startEventStream } from '../chat/sse.ts';
import { callWithFallback, type Attempt, type UpstreamDeps, type UpstreamRequest } from '../chat/upstream-call.ts';
import type { ChatExtensions } from '../chat/validate-request.ts';
import type { GatewayError } from '../errors.ts';
import { principalOf, type Principal } from '../middleware/authenticate.ts';
import { toGatewayError } from '../middleware/error-handler.ts';
import { requestIdOf, serverRequestIdOf, startedAtOf } from '../middleware/request-id.ts';
import { setSafeHeaders } from '../middleware/safe-headers.ts';
import type { ChatResult, ChatStream, ProviderClient, ProviderTarget } from '../providers/provider-client.ts';
import type { UsageReport } from '../providers/provider-client.ts';
import type { ChatCompletionChunk, ChatCompletionRequest } from '../protocols/openai/types.ts';
import { startWaitingStream } from '../routing/waiting-stream.ts';

export interface ChatRouteDeps extends UpstreamDeps {
  /** Throws the 429 when over a limit; returns the X-RateLimit-* headers otherwise. */
  rateLimit: (principal: Principal) => Promise<Record<string, string>>;
  accounting: Accounting;
  /** Long-term memory; absent when no vector store is configured. */
  memory?: MemoryService;
  log: Logger;
  keepAliveMs?: number;
  /** SSE comment interval while a streaming request is held for a ModelServer replica. */
  holdKeepAliveMs?: number;
}

/** Aborts when the client goes away before the response is complete. */
export function abortWhenClientLeaves(res: Response): AbortController {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort(new Error('client disconnected'));
  });
  return controller;
}

/** Writes one streamed completion in a dialect. */
export interface StreamWriter<Chunk = ChatCompletionChunk> {
  chunk(chunk: Chunk): Promise<void>;
  /** After the last chunk of a complete stream; the usage report is final here. */
  end(report: UsageReport): Promise<void>;
  /** A failure after the stream started: the status line is gone, so it is told in the stream. */
  fail(error: GatewayError): Promise<void>;
}

export interface Dialect<Result = ChatResult, Chunk = ChatCompletionChunk> {
  /** The JSON body for a completed, non-streamed request (or a promise of it, when making it takes I/O). */
  json(result: Result): unknown;
  /** A fresh writer for one streamed response. */
  stream(res: Response): StreamWriter<Chunk>;
}

/** How one kind of request is sent upstream (on a target the routing chose), and the text of its answer. */
export interface UpstreamCalls<Result extends UsageReport, Chunk> {
  json: (client: ProviderClient, target: ProviderTarget) => Promise<Result>;
  stream: (client: ProviderClient, target: ProviderTarget) => Promise<ChatStream<Chunk>>;
  /** What the model said, in a whole result and in one chunk: memory stores it. */
  resultText: (result: Result) => string | undefined;
  chunkText: (chunk: Chunk) => string;
}

export interface CompletionRequest {
  body: ChatCompletionRequest;
  ext: ChatExtensions;
  /** Whose memories, within the account (chat/end-user.ts); undefined for the account's own. */
  endUser: string | undefined;
  endpoint: Exclude<Endpoint, 'embeddings'>;
  /** The body sent to one upstream target when it must differ by provider; the body as is otherwise. */
  bodyFor?: (body: ChatCompletionRequest, target: ProviderTarget) => ChatCompletionRequest;
}

/** A request that has passed its route's checks, as the shared path serves it. */
export interface UpstreamServe {
  /** The model the client named. */
  model: string;
  stream: boolean;
  ext: ChatExtensions;
  endpoint: Exclude<Endpoint, 'embeddings'>;
}

interface Served {
  memory: { calls: number; latencyMs: number | null; tokens: number };
  startedAt: number;
  principal: Principal;
  requestId: string;
  serverRequestId: string;
  ext: ChatExtensions;
  body: Pick<ChatCompletionRequest, 'model'>;
  endpoint: Exclude<Endpoint, 'embeddings'>;
}

interface Exchange<Result extends UsageReport, Chunk> {
  served: Served;
  res: Response;
  signal: AbortSignal;
  calls: UpstreamCalls<Result, Chunk>;
  upstream: UpstreamRequest;
  /** Ends the upstream call: for a stream that will never be read, which would hold its connection otherwise. */
  cancel: (reason: unknown) => void;
}

/** Time the gateway spent before calling upstream (auth, limits, routing, memory), not counting a cold-start wait. */
function overheadMs(res: Response, attempt: Pick<Attempt<unknown>, 'upstreamStartedAt' | 'heldMs'>): string {
  return Math.max(0, attempt.upstreamStartedAt - startedAtOf(res) - attempt.heldMs).toFixed(2);
}

/** The response headers that say how the request was served. */
function servedHeaders(res: Response, attempt: Attempt<unknown>): Record<string, string> {
  return {
    'x-perpetual-overhead-ms': overheadMs(res, attempt),
    'x-perpetual-model': attempt.model.name,
    // How long the request waited for its ModelServer to get a ready replica (scale from zero).
    ...(attempt.heldMs > 0 ? { 'x-perpetual-held-ms': String(Math.round(attempt.heldMs)) } : {}),
  };
}

/** Recalls memories into the body sent upstream, and says what it did in response headers. */
async function withMemory(deps: ChatRouteDeps, res: Response, request: CompletionRequest, signal: AbortSignal): Promise<{ body: ChatCompletionRequest; recall: Recall | undefined }> {
  if (!deps.memory) return { body: request.body, recall: undefined };
  const recall = await deps.memory.recall({
    userId: principalOf(res).userId,
    endUser: request.endUser,
    conversationId: request.ext.conversationId,
    messages: request.body.messages,
    enabled: request.ext.memory.enabled,
    topK: request.ext.memory.topK,
    conversationOnly: request.ext.memory.conversationOnly,
    signal,
  });
  setSafeHeaders(res, {
    'x-perpetual-memory': recall.result,
    'x-perpetual-memory-ids': recall.memoryIds.join(','),
    'x-perpetual-memory-tokens': String(recall.memoryTokens),
    ...(recall.retrievalMs !== null ? { 'x-perpetual-retrieval-ms': recall.retrievalMs.toFixed(2) } : {}),
  });
  return { body: { ...request.body, messages: recall.messages }, recall };
}

/** Applies the caller's rate limit (its headers set, or the 429 thrown); returns the abort that follows the client. */
async function admit(deps: ChatRouteDeps, res: Response): Promise<AbortController> {
  setSafeHeaders(res, await deps.rateLimit(principalOf(res)));
  return abortWhenClientLeaves(res);
}

/** An admitted request, ready to go upstream. */
interface Admitted<Result extends UsageReport, Chunk> extends UpstreamServe {
  memory: Served['memory'];
  calls: UpstreamCalls<Result, Chunk>;
  /** Follows the client (abortWhenClientLeaves). */
  upstreamCall: AbortController;
}

/** Answers, JSON or streamed, and accounts for it; returns the answer's text when it completed. */
function answer<Result extends UsageReport, Chunk>(deps: ChatRouteDeps, res: Response, request: Admitted<Result, Chunk>, dialect: Dialect<Result, Chunk>): Promise<string | undefined> {
  const principal = principalOf(res);
  const { upstreamCall, calls } = request;
  const { signal } = upstreamCall;
  const served: Served = { memory: request.memory, startedAt: startedAtOf(res), principal, requestId: requestIdOf(res), serverRequestId: serverRequestIdOf(res), ext: request.ext, body: { model: request.model }, endpoint: request.endpoint };
  // Routing reads only the model name from the body.
  const upstream: UpstreamRequest = { userId: principal.userId, body: { model: request.model, messages: [] }, conversationId: request.ext.conversationId, signal };
  const exchange: Exchange<Result, Chunk> = { served, res, signal, calls, upstream, cancel: (reason) => { upstreamCall.abort(reason); } };
  return request.stream ? serveStream(deps, exchange, dialect) : serveJson(deps, exchange, dialect);
}

/** The shared path without memory, for requests that are not a conversation (the legacy /v1/completions). */
export async function serveUpstream<Result extends UsageReport, Chunk>(
  deps: ChatRouteDeps,
  res: Response,
  request: UpstreamServe & { calls: (signal: AbortSignal) => UpstreamCalls<Result, Chunk> },
  dialect: Dialect<Result, Chunk>,
): Promise<void> {
  const upstreamCall = await admit(deps, res);
  const noMemory = { calls: 0, latencyMs: null, tokens: 0 };
  await answer(deps, res, { ...request, memory: noMemory, calls: request.calls(upstreamCall.signal), upstreamCall }, dialect);
}

export async function serveCompletion(deps: ChatRouteDeps, res: Response, request: CompletionRequest, dialect: Dialect): Promise<void> {
  const principal = principalOf(res);
  const upstreamCall = await admit(deps, res);
  const { signal } = upstreamCall;
  const { body: upstreamBody, recall } = await withMemory(deps, res, request, signal);
  const memory = { calls: recall?.calls ?? 0, latencyMs: recall?.retrievalMs ?? null, tokens: recall?.memoryTokens ?? 0 };
  const bodyFor = (target: ProviderTarget): ChatCompletionRequest => (request.bodyFor ? request.bodyFor(upstreamBody, target) : upstreamBody);
  const calls: UpstreamCalls<ChatResult, ChatCompletionChunk> = {
    json: (client, target) => client.chat(bodyFor(target), target, signal),
    stream: (client, target) => client.chatStream(bodyFor(target), target, signal),
    resultText: (result) => result.response.choices[0]?.message.content ?? undefined,
    chunkText: (chunk) => chunk.choices[0]?.delta.content ?? '',
  };
  const admitted = { model: request.body.model, stream: request.body.stream === true, ext: request.ext, endpoint: request.endpoint, memory, calls, upstreamCall };
  const text = await answer(deps, res, admitted, dialect);
  // Memory off for this request means off both ways: nothing recalled, nothing stored. Points are
  // keyed on the gateway's id: a replayed X-Request-Id must add memories, never overwrite them.
  if (text !== undefined && request.ext.memory.enabled !== false) {
    deps.memory?.remember({ userId: principal.userId, endUser: request.endUser, conversationId: request.ext.conversationId, requestId: serverRequestIdOf(res), messages: request.body.messages, responseText: text });
  }
}

/** Answers with one JSON body; returns the assistant's text for memory. */
async function serveJson<Result extends UsageReport, Chunk>(deps: ChatRouteDeps, { served, res, calls, upstream }: Exchange<Result, Chunk>, dialect: Dialect<Result, Chunk>): Promise<string | undefined> {
  let attempt: Attempt<Result> | undefined;
  try {
    attempt = await callWithFallback(deps, upstream, calls.json);
    const upstreamMs = performance.now() - attempt.upstreamStartedAt;
    setSafeHeaders(res, servedHeaders(res, attempt));
    res.json(await dialect.json(attempt.result));
    deps.accounting.completed({ ...served, attempt, status: 200, report: attempt.result, upstreamMs });
    return calls.resultText(attempt.result);
  } catch (err) {
    deps.accounting.failed({ ...served, ...(attempt ? { attempt } : {}), status: toGatewayError(err, served.requestId).status });
    throw err;
  }
}

/**
 * The upstream stream. Undefined when the request failed after a held request's event stream had
 * started: the error was then written into the stream, which is closed.
 */
async function openStream<Result extends UsageReport, Chunk>(deps: ChatRouteDeps, { served, res, signal, calls, upstream }: Exchange<Result, Chunk>, dialect: Dialect<Result, Chunk>): Promise<Attempt<ChatStream<Chunk>> | undefined> {
  let stopWaiting = (): void => undefined;
  const onHold = (): void => {
    const headers = { 'x-perpetual-model': served.body.model, 'x-perpetual-overhead-ms': (performance.now() - served.startedAt).toFixed(2) };
    stopWaiting = startWaitingStream(res, headers, deps.holdKeepAliveMs ?? 3000);
  };
  try {
    return await callWithFallback(deps, { ...upstream, keepLease: true, onHold }, calls.stream);
  } catch (err) {
    const error = toGatewayError(err, served.requestId);
    deps.accounting.failed({ ...served, status: error.status });
    if (!res.headersSent) throw err;
    if (!signal.aborted) await dialect.stream(res).fail(error);
    res.end();
    return undefined;
  } finally {
    stopWaiting();
  }
}

/** Answers with an event stream; returns the assistant's text when the stream completed. */
async function serveStream<Result extends UsageReport, Chunk>(deps: ChatRouteDeps, exchange: Exchange<Result, Chunk>, dialect: Dialect<Result, Chunk>): Promise<string | undefined> {
  const attempt = await openStream(deps, exchange, dialect);
  if (!attempt) return undefined;
  // The stream kept its in-flight count and replica claim (keepLease); they end here however the
  // stream ends, even when it never started: a leak would skew the autoscaler and least-load.
  try {
    return await relayStream(deps, exchange, dialect, attempt);
  } finally {
    attempt.release();
  }
}

/** Starts the event stream (unless a held request's already did) and relays the upstream's chunks into it. */
async function relayStream<Result extends UsageReport, Chunk>(deps: ChatRouteDeps, exchange: Exchange<Result, Chunk>, dialect: Dialect<Result, Chunk>, attempt: Attempt<ChatStream<Chunk>>): Promise<string | undefined> {
  const { served, res, signal } = exchange;
  try {
    // A held request's stream started while it waited.
    if (!res.headersSent) startEventStream(res, servedHeaders(res, attempt));
  } catch (err) {
    // Nothing was sent, so the client still gets a proper error status; nobody will read the
    // upstream's stream, so it is cancelled rather than left open until the body timeout.
    exchange.cancel(err);
    deps.accounting.failed({ ...served, attempt, status: toGatewayError(err, served.requestId).status });
    throw err;
  }
  const stopKeepAlive = keepAlive(res, deps.keepAliveMs ?? 15_000);
  const writer = dialect.stream(res);
  let status = 200;
  let text = '';
  try {
    for await (const chunk of attempt.result) {
      text += exchange.calls.chunkText(chunk);
      await writer.chunk(chunk);
    }
    await writer.end(attempt.result.usage());
  } catch (err) {
    const error = toGatewayError(err, served.requestId);
    status = signal.aborted ? 499 : error.status;
    if (!signal.aborted) await writer.fail(error);
  } finally {
    stopKeepAlive();
    res.end();
  }
  const report: UsageReport = attempt.result.usage();
  deps.accounting.completed({ ...served, attempt, status, report, upstreamMs: performance.now() - attempt.upstreamStartedAt });
  return status === 200 ? text : undefined;
}
