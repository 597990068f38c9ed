// Upstream failures → GatewayError. Pure: the HTTP layer extracts what it needs from the response
// (status, the upstream's error message and code, Retry-After) and these functions decide what the
// client is told. Messages say how to fix the problem and never carry the provider key or a raw
// upstream body: only the upstream's own message string, redacted and truncated, for 4xx errors
// where it is the most useful explanation (a bad parameter, an unknown model).
import { GatewayError, isGatewayError } from '../../errors.ts';
import { SHOULD_RETRY_HEADER } from './retry-policy.ts';

/** What the gateway knows about a non-2xx upstream response. */
export interface UpstreamFailure {
  /** Provider label for messages, e.g. "openai". */
  provider: string;
  status: number;
  /** The upstream's error message, already passed through `sanitizeUpstreamMessage`. */
  message?: string | undefined;
  /** The upstream's machine code, e.g. "insufficient_quota", "invalid_value". */
  code?: string | undefined;
  /** The upstream's error type, e.g. "invalid_request_error" (Anthropic sends only a type). */
  type?: string | undefined;
  /** The request field the upstream blamed, e.g. "temperature"; passed on with a 400. */
  param?: string | undefined;
  retryAfter?: string | undefined;
  /** The model name the client used, for 404 messages. */
  model?: string | undefined;
  /** The gateway retried already or the upstream said not to: the client's SDK should not retry either. */
  noMoreRetries?: boolean;
}

const MAX_MESSAGE_CHARS = 300;

// Shapes of API keys from common providers; the real key is redacted by value as well.
const KEY_PATTERNS: RegExp[] = [/\bsk-[A-Za-z0-9_-]{6,}/g, /\b(?:gsk|pk|rk|xai)[-_][A-Za-z0-9_-]{10,}/g, /\bBearer\s+\S+/gi];

/** Redact anything key-like and cap the length, so an upstream message is safe to show. */
export function sanitizeUpstreamMessage(message: string, secrets: readonly string[]): string {
  let out = message;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  for (const pattern of KEY_PATTERNS) out = out.replace(pattern, '[redacted]');
  out = out.replace(/\s+/g, ' ').trim();
  return out.length > MAX_MESSAGE_CHARS ? `${out.slice(0, MAX_MESSAGE_CHARS - 1)}…` : out;
}

function withMessage(prefix: string, message: string | undefined): string {
  return message ? `${prefix}: ${message}` : `${prefix}.`;
}

function authFailure(f: UpstreamFailure): GatewayError {
  const what =
    f.status === 403
      ? 'the provider refused your API key access to this request (HTTP 403). Check that the key may use this model, or update it'
      : 'the provider rejected your API key. Update it';
  return new GatewayError(`Authentication failed with provider "${f.provider}": ${what} with POST /v1/provider-keys/add.`, {
    status: 401,
    type: 'authentication_error',
    code: 'provider_authentication_failed',
  });
}

function rateLimited(f: UpstreamFailure): GatewayError {
  const headers: Record<string, string> = f.retryAfter ? { 'Retry-After': f.retryAfter } : {};
  const quota = f.code === 'insufficient_quota' || f.type === 'insufficient_quota';
  const message = quota
    ? `Provider "${f.provider}" says the account behind your API key has no quota left. Add credit or raise the limit with the provider, then retry.`
    : `Provider "${f.provider}" is rate limiting your API key. Retry ${f.retryAfter ? `after ${f.retryAfter} seconds` : 'shortly'}, or raise your limits with the provider.`;
  return new GatewayError(message, {
    status: 429,
    type: 'rate_limit_error',
    code: quota ? 'provider_quota_exceeded' : 'provider_rate_limited',
    headers,
  });
}

function modelNotFound(f: UpstreamFailure): GatewayError {
  const model = f.model ? ` "${f.model}"` : '';
  const prefix = `Provider "${f.provider}" does not serve the model${model} (HTTP 404). Check the model's upstream name in the deployment's models list`;
  return new GatewayError(withMessage(prefix, f.message), {
    status: 404,
    type: 'not_found_error',
    code: 'provider_model_not_found',
    param: 'model',
  });
}

/** The upstream's own code and param go to the client: they name the field to fix, as the provider's own SDK would show them. */
function invalidRequest(f: UpstreamFailure): GatewayError {
  return new GatewayError(withMessage(`Provider "${f.provider}" rejected the request (HTTP ${f.status})`, f.message), {
    status: 400,
    type: 'invalid_request_error',
    code: f.code ?? 'provider_invalid_request',
    ...(f.param ? { param: f.param } : {}),
  });
}

function timedOut(f: UpstreamFailure): GatewayError {
  return upstreamTimeout(f.provider, `answered HTTP ${f.status}`);
}

function unavailable(f: UpstreamFailure): GatewayError {
  return new GatewayError(`Provider "${f.provider}" is unavailable (HTTP ${f.status}). Retry shortly.`, {
    status: 502,
    type: 'upstream_error',
    code: 'upstream_unavailable',
    headers: f.retryAfter ? { 'Retry-After': f.retryAfter } : {},
  });
}

function overloaded(f: UpstreamFailure): GatewayError {
  return new GatewayError(`Provider "${f.provider}" is overloaded (HTTP ${f.status}). Retry shortly.`, {
    status: 503,
    type: 'service_unavailable_error',
    code: 'provider_overloaded',
    headers: f.retryAfter ? { 'Retry-After': f.retryAfter } : {},
  });
}

function serverError(f: UpstreamFailure): GatewayError {
  return new GatewayError(`Provider "${f.provider}" failed with HTTP ${f.status}; the fault is on the provider's side. Retry shortly.`, {
    status: 502,
    type: 'upstream_error',
    code: 'upstream_error',
  });
}

const BY_STATUS: ReadonlyMap<number, (f: UpstreamFailure) => GatewayError> = new Map([
  [401, authFailure],
  [403, authFailure],
  [404, modelNotFound],
  [408, timedOut],
  [429, rateLimited],
  [502, unavailable],
  [503, unavailable],
  [504, timedOut],
  [529, overloaded],
]);

/** The client-facing error for a non-2xx upstream status. */
export function mapUpstreamFailure(f: UpstreamFailure): GatewayError {
  const specific = BY_STATUS.get(f.status) ?? (f.status < 500 ? invalidRequest : serverError);
  const error = specific(f);
  if (f.noMoreRetries) error.headers[SHOULD_RETRY_HEADER] = 'false';
  return error;
}

/** Having retried already, the gateway asks the client's SDK not to retry on top (transport failures). */
export function withNoMoreRetries(error: GatewayError): GatewayError {
  error.headers[SHOULD_RETRY_HEADER] = 'false';
  return error;
}

export function upstreamTimeout(provider: string, detail: string): GatewayError {
  return new GatewayError(
    `Provider "${provider}" timed out (${detail}). Retry, or use streaming or a smaller max_tokens for long answers.`,
    { status: 504, type: 'upstream_error', code: 'upstream_timeout' },
  );
}

export function upstreamUnreachable(provider: string, host: string): GatewayError {
  return new GatewayError(
    `Could not reach provider "${provider}" at ${host}. Retry shortly; if it persists, check the provider's base URL and status.`,
    { status: 502, type: 'upstream_error', code: 'upstream_unavailable' },
  );
}

export function upstreamProtocolError(provider: string, detail: string): GatewayError {
  return new GatewayError(
    `Provider "${provider}" sent a response the gateway could not read (${detail}). Retry; report it if it persists.`,
    {
      status: 502,
      type: 'upstream_error',
      code: 'upstream_bad_response',
    },
  );
}

/** The client went away; nobody will read this, but logs and metrics can tell it apart. */
export function clientClosed(): GatewayError {
  return new GatewayError('The client closed the connection before the response was complete.', {
    status: 499,
    type: 'invalid_request_error',
    code: 'client_closed_request',
  });
}

export type TransportFailureKind = 'timeout' | 'unreachable' | 'other';

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
/** Failures where the upstream cannot have started work, or a stale pooled socket was reset. */
const RETRYABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

/** The system or undici error code of an error or of its cause. */
export function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function classifyTransportError(err: unknown): TransportFailureKind {
  const code = errorCode(err) ?? '';
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  if (UNREACHABLE_CODES.has(code)) return 'unreachable';
  return 'other';
}

export function isRetryableTransportError(err: unknown): boolean {
  return RETRYABLE_CODES.has(errorCode(err) ?? '');
}

const TIMEOUT_DETAIL: Readonly<Record<string, string>> = {
  UND_ERR_CONNECT_TIMEOUT: 'no connection',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers',
  UND_ERR_BODY_TIMEOUT: 'the response stalled',
};

/** The client-facing error for a failure below HTTP (timeouts, refused or reset connections). */
export function mapTransportError(err: unknown, provider: string, host: string): GatewayError {
  switch (classifyTransportError(err)) {
    case 'timeout':
      return upstreamTimeout(provider, TIMEOUT_DETAIL[errorCode(err) ?? ''] ?? 'no answer in time');
    case 'unreachable':
      return upstreamUnreachable(provider, host);
    case 'other':
      return new GatewayError(`The request to provider "${provider}" failed before an answer arrived. Retry shortly.`, {
        status: 502,
        type: 'upstream_error',
        code: 'upstream_unavailable',
        cause: err,
      });
  }
}

function stringField(value: unknown, key: string): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === 'string' && field !== '' ? field : undefined;
}

/**
 * The message, code, type and param inside an upstream error body. Understands OpenAI's
 * {"error":{"message","type","code"}}, Anthropic's {"type":"error","error":{"type","message"}},
 * vLLM's {"object":"error","message","type"} and FastAPI's {"detail": "..."}. Nothing else of the
 * body is kept.
 */
export function parseUpstreamErrorBody(text: string): { message?: string; code?: string; type?: string; param?: string } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return {};
  }
  if (body === null || typeof body !== 'object') return {};
  const nested = (body as Record<string, unknown>).error;
  const message =
    stringField(nested, 'message') ??
    (typeof nested === 'string' ? nested : undefined) ??
    stringField(body, 'message') ??
    stringField(body, 'detail');
  const fields = {
    message,
    code: stringField(nested, 'code') ?? stringField(body, 'code'),
    type: stringField(nested, 'type') ?? stringField(body, 'type'),
    param: stringField(nested, 'param') ?? stringField(body, 'param'),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

/** The error to throw when a response body fails after the first byte: no retry is possible then. */
export function streamFailure(err: unknown, signal: AbortSignal, provider: string, host: string): GatewayError {
  if (signal.aborted) return clientClosed();
  if (isGatewayError(err)) return err;
  return mapTransportError(err, provider, host);
}
