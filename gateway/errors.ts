// One error family for the whole gateway. Everything a client can see is a GatewayError, and the
// error middleware renders it in OpenAI's shape: {"error": {"message", "type", "param", "code"}}.
// The message is the whole story for the user: what went wrong and how to fix it. It never holds
// a secret (no keys, no DSNs, no upstream response bodies that could echo one).

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  /** A money budget is spent (budget/budget-error.ts); HTTP 429, as OpenAI's insufficient_quota. */
  | 'budget_exceeded'
  | 'server_error'
  | 'service_unavailable_error'
  | 'upstream_error';

export interface ErrorOptions {
  status: number;
  type: ErrorType;
  /** Stable, machine-readable reason, e.g. "invalid_api_key", "provider_key_missing". */
  code: string;
  param?: string;
  /** Response headers that belong to this error (Retry-After, X-RateLimit-*). */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  readonly code: string;
  readonly param: string | undefined;
  readonly headers: Record<string, string>;

  constructor(message: string, options: ErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.status = options.status;
    this.type = options.type;
    this.code = options.code;
    this.param = options.param;
    this.headers = options.headers ?? {};
  }

  toJSON(): { error: { message: string; type: ErrorType; param: string | null; code: string } } {
    return { error: { message: this.message, type: this.type, param: this.param ?? null, code: this.code } };
  }
}

export function badRequest(message: string, code = 'invalid_request', param?: string): GatewayError {
  return new GatewayError(message, { status: 400, type: 'invalid_request_error', code, ...(param ? { param } : {}) });
}

export function unauthorized(message: string, code = 'invalid_api_key'): GatewayError {
  return new GatewayError(message, { status: 401, type: 'authentication_error', code });
}

export function forbidden(message: string, code = 'forbidden'): GatewayError {
  return new GatewayError(message, { status: 403, type: 'permission_error', code });
}

export function notFound(message: string, code = 'not_found', param?: string): GatewayError {
  return new GatewayError(message, { status: 404, type: 'not_found_error', code, ...(param ? { param } : {}) });
}

/** The request conflicts with what exists, e.g. an email already taken. */
export function conflict(message: string, code = 'conflict', param?: string): GatewayError {
  return new GatewayError(message, { status: 409, type: 'invalid_request_error', code, ...(param ? { param } : {}) });
}

export function unavailable(message: string, code = 'service_unavailable', headers?: Record<string, string>): GatewayError {
  return new GatewayError(message, { status: 503, type: 'service_unavailable_error', code, ...(headers ? { headers } : {}) });
}

export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError;
}
