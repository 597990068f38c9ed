// providers/transport/: how the gateway reaches an upstream over HTTP, whatever protocol it speaks.
// This file is the pooled client; beside it one request through undici's dispatcher (dispatch.ts),
// the retry policy (retry-policy.ts), upstream and transport failures as GatewayErrors
// (upstream-errors.ts) and the server-sent events parser (sse.ts).
//
// The HTTP client for every upstream call: one pooled keep-alive undici Agent per process (the
// composition root creates one UpstreamHttp and shares it), bounded timeouts, retries with jittered
// backoff only before the first byte of a successful response, and the client's AbortSignal
// wired straight into undici so a client disconnect tears the upstream request down at once.
//
// Calls go through Agent.dispatch with the small handler in dispatch.ts, not undici's request().
import { context, propagation } from '@opentelemetry/api';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import type { Dispatcher } from 'undici';
import { dispatchRequest, type DispatchedResponse, type UpstreamBody } from './dispatch.ts';
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

export interface UpstreamResponse {
  status: number;
  headers: UpstreamHeaders;
  /** The caller must read it to the end or destroy it. */
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

async function failureFrom(res: DispatchedResponse, call: UpstreamCall, retried: boolean): Promise<GatewayError> {
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

  async function send(call: UpstreamCall, url: URL, payload: string): Promise<DispatchedResponse> {
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
  async function attempt(call: UpstreamCall, url: URL, payload: string, n: number): Promise<DispatchedResponse | number> {
    let res: DispatchedResponse;
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
