// providers/transport/: how the gateway reaches an upstream over HTTP, whatever protocol it speaks.
// This file is the pooled client; beside it the retry policy (retry-policy.ts), upstream and
// transport failures as GatewayErrors (upstream-errors.ts) and the server-sent events parser (sse.ts).
//
// The HTTP client for every upstream call: one pooled keep-alive undici Agent per process (the
// composition root creates one UpstreamHttp and shares it), bounded timeouts, retries with jittered
// backoff only before the first byte of a successful response, and the client's AbortSignal
// wired straight into undici so a client disconnect tears the upstream request down at once.
//
// Calls go through Agent.dispatch with the small handler below (dispatchRequest, UpstreamBody), not
// through undici's request(): under load, request()'s objects for a finished call (its handler,
// the body stream, the request payload, and through them what the caller's code still referenced)
// stayed alive through scavenges until the next mark-compact, so about 14 % of everything a
// gateway request allocates was promoted to the old generation (found with --trace-gc-nvp: an
// Express server calling a stub through request() promoted 3.3 MB of each 24 MB scavenged, through
// Agent.dispatch 0.03 MB, through node:http 0.003 MB). Same statuses, headers, errors and aborts.
import { context, propagation } from '@opentelemetry/api';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, errors as undiciErrors } from 'undici';
import type { Dispatcher } from 'undici';
import type { GatewayError } from '../../errors.ts';
import {
  DEFAULT_RETRY_POLICY,
  delayBeforeRetry,
  isRetryableStatus,
  parseRetryAfterMs,
  backoffMs,
  SHOULD_RETRY_HEADER,
} from './retry-policy.ts';
import type { RetryPolicy } from './retry-policy.ts';
import {
  clientClosed,
  isRetryableTransportError,
  mapTransportError,
  mapUpstreamFailure,
  parseUpstreamErrorBody,
  sanitizeUpstreamMessage,
  withNoMoreRetries,
} from './upstream-errors.ts';

export interface UpstreamHttpOptions {
  /** TCP (and TLS) connect timeout. Default 10 s. */
  connectTimeoutMs?: number;
  /** Until the response headers arrive. Non-streamed completions send headers only when generation ends, hence the long default: 600 s. */
  headersTimeoutMs?: number;
  /** Longest silence between two body chunks. Default 120 s. */
  bodyTimeoutMs?: number;
  /** How long an idle pooled connection is kept. Default 30 s. */
  keepAliveTimeoutMs?: number;
  /** Connection cap per upstream origin. Default: unlimited. */
  connectionsPerOrigin?: number;
  retry?: Partial<RetryPolicy>;
  /** Injected for tests; Math.random otherwise. */
  random?: () => number;
}

/** One upstream POST with a JSON body. */
export interface UpstreamCall {
  url: string;
  headers: Record<string, string>;
  body: unknown;
  signal: AbortSignal;
  /** Provider label for error messages. */
  provider: string;
  /** Values that must never appear in an error message (the provider key). */
  secrets: readonly string[];
  /** The client's model name, for "model not found" messages. */
  model?: string;
}

export type UpstreamHeaders = Dispatcher.ResponseData['headers'];

/**
 * An upstream response body: the bytes as they arrive (async iteration, with backpressure: a full
 * buffer pauses the upstream socket), text() and dump(). Destroying it before its end aborts the
 * upstream request. It references nothing of the call once the response has ended.
 */
export class UpstreamBody extends Readable {
  #controller: Dispatcher.DispatchController | null;

  constructor(controller: Dispatcher.DispatchController) {
    super({ highWaterMark: 64 * 1024 });
    this.#controller = controller;
  }

  override _read(): void {
    this.#controller?.resume();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    const controller = this.#controller;
    this.#controller = null;
    if (controller && !controller.aborted) controller.abort(err ?? new undiciErrors.RequestAbortedError());
    callback(err);
  }

  /** The handler's side: a chunk arrived. */
  received(chunk: Buffer): void {
    if (!this.push(chunk)) this.#controller?.pause();
  }

  /** The handler's side: the response is complete. */
  ended(): void {
    this.#controller = null;
    this.push(null);
  }

  /** The whole body as UTF-8 text. */
  async text(): Promise<string> {
    const decoder = new TextDecoder();
    let text = '';
    for await (const chunk of this as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true });
    return text + decoder.decode();
  }

  /** Reads and drops the body so the connection can be reused; past 128 KB it is cut off instead. */
  async dump(): Promise<void> {
    let read = 0;
    for await (const chunk of this as AsyncIterable<Uint8Array>) {
      read += chunk.length;
      if (read > DUMP_LIMIT) break;
    }
  }
}

export interface UpstreamResponse {
  status: number;
  headers: UpstreamHeaders;
  /** The caller must read it to the end or destroy it. */
  body: UpstreamBody;
}

interface RawResponse {
  statusCode: number;
  headers: UpstreamHeaders;
  body: UpstreamBody;
}

export interface UpstreamHttp {
  /**
   * POST JSON. Resolves with a 2xx response; any other outcome is thrown as a GatewayError (after
   * the retries the policy allows).
   */
  postJson(call: UpstreamCall): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

const ERROR_BODY_LIMIT = 64 * 1024;
const DUMP_LIMIT = 128 * 1024;

/** Joins a base URL and an API path without doubling or dropping slashes. */
export function joinUrl(baseURL: string, path: string): string {
  return baseURL.replace(/\/+$/, '') + path;
}

export function headerValue(headers: UpstreamHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readLimited(body: UpstreamBody, limit: number): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  try {
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
      if (text.length > limit) break;
    }
  } catch {
    // A broken error body still leaves the status to report.
  }
  if (!body.readableEnded) body.destroy();
  return text;
}

async function failureFrom(res: RawResponse, call: UpstreamCall, retried: boolean): Promise<GatewayError> {
  const { message, code, type, param } = parseUpstreamErrorBody(await readLimited(res.body, ERROR_BODY_LIMIT));
  return mapUpstreamFailure({
    provider: call.provider,
    status: res.statusCode,
    message: message === undefined ? undefined : sanitizeUpstreamMessage(message, call.secrets),
    code,
    type,
    param,
    retryAfter: headerValue(res.headers, 'retry-after'),
    model: call.model,
    noMoreRetries: retried || upstreamSaysNoRetry(res.headers),
  });
}

function upstreamSaysNoRetry(headers: UpstreamHeaders): boolean {
  return headerValue(headers, SHOULD_RETRY_HEADER)?.trim().toLowerCase() === 'false';
}

async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    throw clientClosed();
  }
}

/**
 * The W3C traceparent (and tracestate) of the active span, so a provider or vLLM that traces
 * continues the gateway's trace: the GenAI client span when a model is called. Nothing is added
 * when tracing is off (the global propagator is a no-op).
 */
function withTraceContext(headers: Record<string, string>): Record<string, string> {
  propagation.inject(context.active(), headers);
  return headers;
}

/**
 * One request through the dispatcher: resolves at the response headers (1xx skipped) with the body
 * as an UpstreamBody, rejects with undici's error before them. The signal aborts the request, or
 * destroys the body with its reason once the response started; its listener is removed when the
 * call is over.
 */
export function dispatchRequest(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions, signal: AbortSignal): Promise<RawResponse> {
  return new Promise<RawResponse>((resolve, reject) => {
    if (signal.aborted) {
      reject(abortReason(signal));
      return;
    }
    let controller: Dispatcher.DispatchController | undefined;
    // `body` while the response arrives, `started` until the body closes (an abort destroys it).
    let body: UpstreamBody | undefined;
    let started: UpstreamBody | undefined;
    let reason: Error | undefined;
    const onAbort = (): void => {
      reason = abortReason(signal);
      if (started) started.destroy(reason);
      else {
        controller?.abort(reason);
        reject(reason);
      }
    };
    const stopListening = (): void => {
      started = undefined;
      signal.removeEventListener('abort', onAbort);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(ctl) {
        controller = ctl;
        if (reason) ctl.abort(reason);
      },
      onResponseStart(ctl, statusCode, headers) {
        if (statusCode < 200) return;
        body = started = new UpstreamBody(ctl);
        body.once('close', stopListening);
        controller = undefined;
        resolve({ statusCode, headers, body });
      },
      onResponseData(_ctl, chunk) {
        body?.received(chunk);
      },
      onResponseEnd() {
        body?.ended();
        body = undefined;
      },
      onResponseError(_ctl, err) {
        controller = undefined;
        if (body) {
          body.destroy(err);
          body = undefined;
        } else {
          stopListening();
          reject(err);
        }
      },
    };
    try {
      dispatcher.dispatch(options, handler);
    } catch (err) {
      stopListening();
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

/** Why the signal aborted, as the error undici's request() would have given. */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new undiciErrors.RequestAbortedError();
}

export function createUpstreamHttp(options: UpstreamHttpOptions = {}): UpstreamHttp {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const random = options.random ?? Math.random;
  const agent = new Agent({
    connect: { timeout: options.connectTimeoutMs ?? 10_000 },
    headersTimeout: options.headersTimeoutMs ?? 600_000,
    bodyTimeout: options.bodyTimeoutMs ?? 120_000,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    ...(options.connectionsPerOrigin === undefined ? {} : { connections: options.connectionsPerOrigin }),
  });

  async function send(call: UpstreamCall, url: URL, payload: string): Promise<RawResponse> {
    return dispatchRequest(
      agent,
      {
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'POST',
        headers: withTraceContext({
          ...call.headers,
          'content-type': 'application/json',
          accept: call.headers.accept ?? 'application/json',
        }),
        body: payload,
      },
      call.signal,
    );
  }

  /** One attempt: a 2xx response, a delay before the next attempt, or a final error (thrown). */
  async function attempt(call: UpstreamCall, url: URL, payload: string, n: number): Promise<RawResponse | number> {
    let res: RawResponse;
    try {
      res = await send(call, url, payload);
    } catch (err) {
      if (call.signal.aborted) throw clientClosed();
      if (isRetryableTransportError(err) && n < policy.maxRetries) return backoffMs(n, policy, random);
      const error = mapTransportError(err, call.provider, url.host);
      throw n > 0 ? withNoMoreRetries(error) : error;
    }
    if (res.statusCode >= 200 && res.statusCode < 300) return res;
    const retryAfterMs = parseRetryAfterMs(headerValue(res.headers, 'retry-after'), Date.now());
    const retryable = isRetryableStatus(res.statusCode) && !upstreamSaysNoRetry(res.headers);
    const delay = retryable ? delayBeforeRetry(n, retryAfterMs, policy, random) : undefined;
    if (delay === undefined) throw await failureFrom(res, call, n > 0);
    await res.body.dump().catch(() => undefined);
    return delay;
  }

  return {
    async postJson(call) {
      const url = new URL(call.url);
      const payload = JSON.stringify(call.body);
      for (let n = 0; ; n++) {
        if (call.signal.aborted) throw clientClosed();
        const outcome = await attempt(call, url, payload, n);
        if (typeof outcome !== 'number') return { status: outcome.statusCode, headers: outcome.headers, body: outcome.body };
        await pause(outcome, call.signal);
      }
    },
    async close() {
      await agent.close();
    },
  };
}
