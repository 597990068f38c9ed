// Failures the embedders detect themselves. They stay inside the gateway: retrieval fails open
// (the chat goes on without memory) and the write path logs and counts them, so the message is
// written for the operator, naming the model and what to change. Errors from the upstream call
// itself (bad key, rate limit, unreachable) arrive as the provider client's GatewayErrors.

export type EmbeddingErrorCode = 'dimension_mismatch' | 'bad_response' | 'timeout';

export class EmbeddingError extends Error {
  readonly code: EmbeddingErrorCode;

  constructor(code: EmbeddingErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'EmbeddingError';
    this.code = code;
  }
}
