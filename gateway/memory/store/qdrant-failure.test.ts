import { describe, expect, it } from 'vitest';
import { redact, toMemoryStoreError, type FailureContext } from './qdrant-failure.ts';

const KEY = 'sk-qdrant-123';

function context(overrides: Partial<FailureContext> = {}): FailureContext {
  return {
    operation: 'search',
    collection: 'c__m__4',
    origin: 'http://qdrant:6333',
    timeoutMs: 250,
    timedOut: false,
    callerSignal: undefined,
    secrets: [KEY],
    ...overrides,
  };
}

function apiError(status: number, data: unknown): Error {
  return Object.assign(new Error('Bad Request'), { status, data, headers: new Headers(), url: 'http://qdrant:6333/x' });
}

describe('toMemoryStoreError', () => {
  it("maps HTTP statuses to codes and quotes Qdrant's explanation without the key", () => {
    const err = toMemoryStoreError(apiError(400, { status: { error: `Wrong input: something about ${KEY}` } }), context());
    expect(err.code).toBe('bad_request');
    expect(err.status).toBe(400);
    expect(err.message).toBe('Qdrant answered 400 to search on "c__m__4": Wrong input: something about [redacted].');
    expect(toMemoryStoreError(apiError(401, 'Must provide an API key or an Authorization bearer token'), context()).code).toBe(
      'unauthorized',
    );
    expect(toMemoryStoreError(apiError(403, ''), context()).code).toBe('unauthorized');
    expect(toMemoryStoreError(apiError(404, {}), context()).code).toBe('not_found');
    expect(toMemoryStoreError(apiError(429, {}), context()).retryable).toBe(true);
    expect(toMemoryStoreError(apiError(503, {}), context()).code).toBe('unavailable');
    expect(toMemoryStoreError(apiError(500, {}), context()).code).toBe('server_error');
  });

  it('prefers timeout and abort over whatever the aborted fetch threw', () => {
    expect(toMemoryStoreError(new DOMException('x', 'TimeoutError'), context({ timedOut: true })).code).toBe('timeout');
    const callerSignal = AbortSignal.abort();
    expect(toMemoryStoreError(new DOMException('x', 'AbortError'), context({ callerSignal })).code).toBe('aborted');
  });

  it('reports network failures with the socket code and the origin', () => {
    const err = toMemoryStoreError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }), context());
    expect(err.code).toBe('unavailable');
    expect(err.message).toBe('Qdrant at http://qdrant:6333 is unreachable (ECONNRESET); search failed.');
  });

  it('keeps only the first line of other errors (the client appends the raw response body)', () => {
    const err = toMemoryStoreError(
      new Error(`Unexpected Response: 202 (Accepted)\nRaw response content:\n{"secret": "${KEY}"}`),
      context(),
    );
    expect(err.code).toBe('server_error');
    expect(err.message).toBe('Qdrant search on "c__m__4" failed: Unexpected Response: 202 (Accepted).');
  });
});

describe('redact', () => {
  it('replaces every occurrence and ignores empty secrets', () => {
    expect(redact('a KEY b KEY', ['KEY', ''])).toBe('a [redacted] b [redacted]');
  });
});
