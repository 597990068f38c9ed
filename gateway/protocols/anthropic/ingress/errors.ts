// Errors as Anthropic's API and SDKs expect them on /v1/messages: {"type": "error", "error":
// {"type", "message"}} with the same HTTP status the gateway chose. The SDKs pick their exception
// class from the status, so only the type string is translated here; Anthropic's type names
// follow its status codes, not the gateway's OpenAI-style types.
import type { GatewayError } from '../../../errors.ts';
import type { ErrorDialect } from '../../../middleware/error-handler.ts';

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'timeout_error'
  | 'overloaded_error';

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: AnthropicErrorType; message: string };
  request_id?: string;
}

const TYPE_BY_STATUS: ReadonlyMap<number, AnthropicErrorType> = new Map([
  [400, 'invalid_request_error'],
  [401, 'authentication_error'],
  [402, 'billing_error'],
  [403, 'permission_error'],
  [404, 'not_found_error'],
  [413, 'request_too_large'],
  [429, 'rate_limit_error'],
  // The gateway answers 503 when a provider is overloaded or its own rate limiter is unreachable:
  // both mean "retry shortly", which is what Anthropic's 529 overloaded_error says.
  [503, 'overloaded_error'],
  [504, 'timeout_error'],
  [529, 'overloaded_error'],
]);

export function anthropicErrorType(status: number): AnthropicErrorType {
  return TYPE_BY_STATUS.get(status) ?? (status < 500 ? 'invalid_request_error' : 'api_error');
}

export function toAnthropicError(error: GatewayError, requestId: string): AnthropicErrorBody {
  return {
    type: 'error',
    error: { type: anthropicErrorType(error.status), message: error.message },
    ...(requestId ? { request_id: requestId } : {}),
  };
}

/** In a stream, an error is an `error` event; Anthropic's SDKs throw it as an APIError. */
export function anthropicErrorEvent(error: GatewayError, requestId: string): string {
  return `event: error\ndata: ${JSON.stringify(toAnthropicError(error, requestId))}\n\n`;
}

export const anthropicErrors: ErrorDialect = {
  body: toAnthropicError,
  streamTail: anthropicErrorEvent,
};
