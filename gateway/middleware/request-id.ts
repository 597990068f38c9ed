// Every response carries a request id: the caller's own X-Request-Id when it is a sane token
// (so ids correlate across services), otherwise a fresh one. Logs and usage rows use the same id.
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

const SANE_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export function requestId(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.get('x-request-id');
  const id = incoming && SANE_ID.test(incoming) ? incoming : `req_${randomUUID().replaceAll('-', '')}`;
  res.locals.requestId = id;
  res.locals.startedAt = performance.now();
  res.setHeader('x-request-id', id);
  next();
}

export function requestIdOf(res: Response): string {
  return typeof res.locals.requestId === 'string' ? res.locals.requestId : '';
}

/** performance.now() when the request arrived. */
export function startedAtOf(res: Response): number {
  return typeof res.locals.startedAt === 'number' ? res.locals.startedAt : performance.now();
}
