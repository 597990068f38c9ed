// A route's body check as a middleware, so server.ts can list it before the rate limit: a
// malformed request is answered 400 (naming the field) without using up the caller's quota.
// The route then reads the checked body from req.body.
import type { NextFunction, Request, Response } from 'express';

/** Replaces the parsed JSON body with what `check` returns; `check` throws the 400. */
export function checkedBody(check: (body: unknown) => unknown) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    req.body = check(req.body);
    next();
  };
}
