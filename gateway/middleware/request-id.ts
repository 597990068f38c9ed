// Every response carries a request id: the caller's own X-Request-Id when it is a sane token
// (so ids correlate across services), otherwise a fresh one. Logs and error messages use it.
//
// The caller's id is the caller's to choose, so nothing may be keyed on it: two requests may
// share one, and one tenant may send another's. Every request therefore also gets an id of the
// gateway's own (serverRequestIdOf), which is what usage rows, billing events and memory points
// are keyed on; the caller's id is stored beside it only to be looked up by.
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

const SANE_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export function requestId(req: Request, res: Response, next: NextFunction): void {
  const serverId = randomUUID();
  const incoming = req.get('x-request-id');
  // Without a caller's id, the echoed one is the gateway's own: one id to quote, one row to find.
  const id = incoming && SANE_ID.test(incoming) ? incoming : `req_${serverId.replaceAll('-', '')}`;
  res.locals.requestId = id;
  res.locals.serverRequestId = serverId;
  res.locals.startedAt = performance.now();
  res.setHeader('x-request-id', id);
  next();
}

/** The id the response carries (the caller's X-Request-Id when sane): for logs and correlation only. */
export function requestIdOf(res: Response): string {
  return typeof res.locals.requestId === 'string' ? res.locals.requestId : '';
}

/**
 * The gateway's own id for this request, unique per request: the idempotency key of its usage row,
 * its billing event and its memory points. Made here if the middleware did not run, so it is
 * never empty (an empty key would merge every such request into one row).
 */
export function serverRequestIdOf(res: Response): string {
  const existing: unknown = res.locals.serverRequestId;
  if (typeof existing === 'string' && existing !== '') return existing;
  const made = randomUUID();
  res.locals.serverRequestId = made;
  return made;
}

/** performance.now() when the request arrived. */
export function startedAtOf(res: Response): number {
  return typeof res.locals.startedAt === 'number' ? res.locals.startedAt : performance.now();
}
