// The caller's request limits, as a middleware server.ts lists on every endpoint that calls a
// model: after authentication (the limits are the principal's) and after the body's shape is
// checked (a malformed request is answered 400 without using up the caller's quota), before the
// route does any work. Over a limit: the 429 with Retry-After; otherwise the X-RateLimit-* headers,
// and the body's output limit capped at the tier's maxOutputTokens.
import type { NextFunction, Request, Response } from 'express';
import { principalOf, type Principal } from './authenticate.ts';
import { setSafeHeaders } from './safe-headers.ts';
import type { LimitedCall } from '../ratelimit/token-reservation.ts';
import { capOutputTokens } from '../ratelimit/output-cap.ts';

/**
 * Throws the 429 when over a limit; returns the X-RateLimit-* headers otherwise. The call (path
 * and checked body) sizes the token reservation when the caller's tier limits tokens.
 */
export type RateLimit = (principal: Principal, call?: LimitedCall) => Promise<Record<string, string>>;

export function rateLimited(rateLimit: RateLimit) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const principal = principalOf(res);
    setSafeHeaders(res, await rateLimit(principal, { path: req.path, body: req.body as unknown }));
    // What it may generate stays within what it reserved (the tier's maxOutputTokens).
    capOutputTokens(req.path, req.body, principal.limits.maxOutputTokens);
    next();
  };
}
