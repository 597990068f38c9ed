// The chat use case's ends bound to Express: the caller taken from the request and the locals the
// middleware left (principal, request ids, arrival time), and a Responder that writes a dialect's
// JSON and events on the HTTP response.
import type { Response } from 'express';
import type { Caller } from '../chat/caller.ts';
import type { Responder, StreamWriter } from '../chat/responder.ts';
import { principalOf } from '../middleware/authenticate.ts';
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
  };
}

export function httpResponder<Result, Chunk>(res: Response, dialect: Dialect<Result, Chunk>): Responder<Result, Chunk> {
  return {
    setHeaders: (headers) => {
      setSafeHeaders(res, headers);
    },
    json: async (result) => {
      res.json(await dialect.json(result));
    },
    get started() {
      return res.headersSent;
    },
    startStream: (headers) => {
      startEventStream(res, headers);
    },
    keepAlive: (intervalMs, options) => keepAlive(res, intervalMs, options),
    writer: () => dialect.stream(res),
    end: () => {
      res.end();
    },
  };
}
