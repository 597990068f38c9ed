// The chat use case's ends bound to Express: the caller taken from the request and the locals the
// middleware left (principal, request ids, arrival time), and a Responder that writes a dialect's
// JSON and events on the HTTP response.
import type { Response } from 'express';
import type { Caller } from '../chat/caller.ts';
import type { Responder, StreamWriter } from '../chat/responder.ts';
import { principalOf } from '../middleware/authenticate.ts';
import { admissionOf } from '../middleware/rate-limit.ts';
import { requestIdOf, serverRequestIdOf, startedAtOf } from '../middleware/request-id.ts';
import { setSafeHeaders } from '../middleware/safe-headers.ts';
import { keepAlive, startEventStream } from './sse.ts';

/** How one API dialect writes a result and a stream. */
export interface Dialect<Result, Chunk> {
  /** The JSON body for a completed, non-streamed request (or a promise of it, when making it takes I/O). */
  json(result: Result): unknown;
  /** A fresh writer for one streamed response. */
  stream(res: Response): StreamWriter<Chunk>;
}

/** Aborts when the client goes away before the response is complete. */
export function abortWhenClientLeaves(res: Response): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort(new Error('client disconnected'));
  });
  return controller.signal;
}

/** The caller of an authenticated request. */
export function callerOf(res: Response): Caller {
  return {
    principal: principalOf(res),
    requestId: requestIdOf(res),
    serverRequestId: serverRequestIdOf(res),
    startedAt: startedAtOf(res),
    signal: abortWhenClientLeaves(res),
    admission: admissionOf(res),
  };
}

/**
 * A class, not an object literal: a literal with a getter gets a hidden class of its own per
 * request (the getter closure lives in it), allocated in the old generation, and through it the
 * young-generation collector kept every request's response and everything it reached alive
 * until the next full collection: ~10 KB promoted per request, most of the gateway's GC pauses.
 */
class HttpResponder<Result, Chunk> implements Responder<Result, Chunk> {
  readonly #res: Response;
  readonly #dialect: Dialect<Result, Chunk>;

  constructor(res: Response, dialect: Dialect<Result, Chunk>) {
    this.#res = res;
    this.#dialect = dialect;
  }

  setHeaders(headers: Readonly<Record<string, string>>): void {
    setSafeHeaders(this.#res, headers);
  }

  async json(result: Result): Promise<void> {
    this.#res.json(await this.#dialect.json(result));
  }

  get started(): boolean {
    return this.#res.headersSent;
  }

  startStream(headers: Readonly<Record<string, string>>): void {
    startEventStream(this.#res, headers);
  }

  keepAlive(intervalMs: number, options?: { comment?: string; now?: boolean }): () => void {
    return keepAlive(this.#res, intervalMs, options);
  }

  writer(): StreamWriter<Chunk> {
    return this.#dialect.stream(this.#res);
  }

  end(): void {
    this.#res.end();
  }
}

export function httpResponder<Result, Chunk>(res: Response, dialect: Dialect<Result, Chunk>): Responder<Result, Chunk> {
  return new HttpResponder(res, dialect);
}
