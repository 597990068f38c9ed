// Turns whatever the Qdrant client threw into a MemoryStoreError with a short, secret-free
// message. The client throws three kinds of things: an ApiError-shaped object for a non-2xx answer
// (status + parsed body, whose `status.error` is Qdrant's own explanation), fetch's TypeError
// ("fetch failed", with the socket error code in `cause`) when Qdrant cannot be reached, and the
// signal's reason when a call is aborted. The ApiError class itself is not exported by
// @qdrant/js-client-rest, so it is recognised by shape.
import { MemoryStoreError, type MemoryStoreErrorCode } from './memory-store-error.ts';

/** What the store knows about the call that failed. */
export interface FailureContext {
  operation: string;
  collection: string;
  /** The Qdrant origin without credentials, for "unreachable" messages. */
  origin: string;
  timeoutMs: number;
  /** The store's own deadline passed (as opposed to the caller's signal aborting). */
  timedOut: boolean;
  callerSignal: AbortSignal | undefined;
  /** Strings that must never appear in a message (the API key). */
  secrets: readonly string[];
}

interface HttpFailure {
  status: number;
  data: unknown;
}

const MAX_DETAIL = 300;

function isHttpFailure(err: unknown): err is HttpFailure {
  return err instanceof Error && typeof (err as { status?: unknown }).status === 'number' && 'data' in err;
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length > 0) out = out.split(secret).join('[redacted]');
  }
  return out;
}

/** Qdrant's explanation: `{"status": {"error": "..."}}` as JSON, or a plain-text body (auth errors). */
function qdrantDetail(data: unknown): string {
  let detail = '';
  if (typeof data === 'string') detail = data;
  else if (typeof data === 'object' && data !== null) {
    const status = (data as { status?: unknown }).status;
    const error = typeof status === 'object' && status !== null ? (status as { error?: unknown }).error : undefined;
    if (typeof error === 'string') detail = error;
  }
  detail = detail.replace(/\s+/g, ' ').trim();
  return detail.length > MAX_DETAIL ? `${detail.slice(0, MAX_DETAIL)}...` : detail;
}

function codeForStatus(status: number): MemoryStoreErrorCode {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not_found';
  if (status === 408 || status === 429 || status === 502 || status === 503 || status === 504) return 'unavailable';
  if (status >= 500) return 'server_error';
  return 'bad_request';
}

function hintFor(code: MemoryStoreErrorCode, collection: string): string {
  if (code === 'unauthorized') return ' Check the Qdrant API key (QDRANT_API_KEY or the vectorStore apiKey Secret).';
  if (code === 'not_found') return ` Collection "${collection}" may be missing: the gateway creates it at start-up (ensureCollection).`;
  return '';
}

function fromHttp(err: HttpFailure, context: FailureContext): MemoryStoreError {
  const code = codeForStatus(err.status);
  const detail = redact(qdrantDetail(err.data), context.secrets);
  const said = detail ? `: ${detail}` : '';
  const message = `Qdrant answered ${err.status} to ${context.operation} on "${context.collection}"${said}.${hintFor(code, context.collection)}`;
  return new MemoryStoreError(message, { code, operation: context.operation, status: err.status });
}

/** fetch's TypeError carries the socket error (ECONNREFUSED, ENOTFOUND, UND_ERR_SOCKET...) in `cause`. */
function networkCode(err: unknown): string | undefined {
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  const code = (cause as { code?: unknown } | undefined)?.code ?? (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function toMemoryStoreError(err: unknown, context: FailureContext): MemoryStoreError {
  if (err instanceof MemoryStoreError) return err;
  const { operation } = context;
  if (context.timedOut) {
    return new MemoryStoreError(`Qdrant did not answer ${operation} on "${context.collection}" within ${context.timeoutMs} ms.`, {
      code: 'timeout',
      operation,
    });
  }
  if (context.callerSignal?.aborted === true) {
    return new MemoryStoreError(`${operation} on "${context.collection}" was aborted by the caller.`, { code: 'aborted', operation });
  }
  if (isHttpFailure(err)) return fromHttp(err, context);
  const code = networkCode(err);
  if (err instanceof TypeError || code !== undefined) {
    const why = code === undefined ? '' : ` (${code})`;
    return new MemoryStoreError(`Qdrant at ${context.origin} is unreachable${why}; ${operation} failed.`, {
      code: 'unavailable',
      operation,
    });
  }
  // Anything else (e.g. the client's "Unexpected Response" for a 2xx we did not ask for): only the
  // first line, whose tail would otherwise quote the raw response body.
  const first = err instanceof Error ? (err.message.split('\n')[0] ?? '') : '';
  const text = redact(first, context.secrets).slice(0, MAX_DETAIL);
  return new MemoryStoreError(`Qdrant ${operation} on "${context.collection}" failed${text ? `: ${text}` : ''}.`, {
    code: 'server_error',
    operation,
  });
}
