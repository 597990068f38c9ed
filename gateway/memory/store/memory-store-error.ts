// The one error the memory store throws. Its message is safe to log and to show an operator: it
// names the operation, the collection and what Qdrant said, and never holds the API key (every
// message passes through `redact`) or a URL's credentials. The raw client error is deliberately
// not attached as `cause`: it is not ours to vouch for, and a logger that serialises causes
// would print whatever it carries.

export type MemoryStoreErrorCode =
  /** A caller passed something the store refuses before talking to Qdrant (empty user id, wrong vector length). */
  | 'invalid_argument'
  /** The collection holds vectors of another size or distance than the embedder's. */
  | 'dimension_mismatch'
  /** Qdrant did not answer within the store's (or the call's) timeout. */
  | 'timeout'
  /** The caller's AbortSignal fired. */
  | 'aborted'
  /** Qdrant could not be reached, or answered 429/503. */
  | 'unavailable'
  /** Qdrant refused the API key (401/403). */
  | 'unauthorized'
  /** The collection does not exist (ensureCollection was not run, or someone deleted it). */
  | 'not_found'
  /** Qdrant refused the request as malformed (400/422): a bug on our side. */
  | 'bad_request'
  /** Qdrant failed (5xx) or answered something we cannot read. */
  | 'server_error';

const RETRYABLE: ReadonlySet<MemoryStoreErrorCode> = new Set(['timeout', 'unavailable', 'server_error']);

export interface MemoryStoreErrorOptions {
  code: MemoryStoreErrorCode;
  /** The store method that failed, e.g. "search". */
  operation: string;
  /** Qdrant's HTTP status, when it answered. */
  status?: number;
}

export class MemoryStoreError extends Error {
  readonly code: MemoryStoreErrorCode;
  readonly operation: string;
  readonly status: number | undefined;

  constructor(message: string, options: MemoryStoreErrorOptions) {
    super(message);
    this.name = 'MemoryStoreError';
    this.code = options.code;
    this.operation = options.operation;
    this.status = options.status;
  }

  /** Worth trying again later (the write path retries; retrieval just fails open). */
  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

export function invalidArgument(operation: string, message: string): MemoryStoreError {
  return new MemoryStoreError(message, { code: 'invalid_argument', operation });
}
