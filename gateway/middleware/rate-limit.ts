// The caller's request limits, as a middleware server.ts lists on every endpoint that calls a
// model: after authentication (the limits are the principal's) and after the body's shape is
// checked (a malformed request is answered 400 without using up the caller's quota), before the
// route does any work. Over a limit: the 429 with Retry-After; otherwise the X-RateLimit-* headers,
// and the body's output limit capped at the tier's maxOutputTokens.
//
// Conversations with memory may instead start their recall while the limit is decided
// (rateLimitedBeside): the decision then travels with the request as `admission`, which the chat
// use case awaits before anything goes upstream.
import type { NextFunction, Request, Response } from 'express';
import { principalOf, type Principal } from './authenticate.ts';
import { setSafeHeaders } from './safe-headers.ts';
import type { LimitedCall } from '../ratelimit/token-reservation.ts';
import { capOutputTokens } from '../ratelimit/output-cap.ts';
import { callerKey, type RecentRefusals } from '../ratelimit/recent-refusals.ts';

/**
 * Throws the 429 when over a limit; returns the X-RateLimit-* headers otherwise. The call (path
 * and checked body) sizes the token reservation when the caller's tier limits tokens.
 */
export type RateLimit = (principal: Principal, call?: LimitedCall) => Promise<Record<string, string>>;

/** The decision for this request, noted in `refusals`; the body's output limit capped once it is sized. */
function decide(rateLimit: RateLimit, refusals: RecentRefusals, req: Request, principal: Principal): Promise<Record<string, string>> {
  const caller = callerKey(principal);
  // rateLimit sizes its reservation from the body before its first await, so before the cap below.
  const decision = rateLimit(principal, { path: req.path, body: req.body as unknown }).then(
    (headers) => {
      refusals.admitted(caller);
      return headers;
    },
    (err: unknown) => {
      refusals.refused(caller);
      throw err;
    },
  );
  // What it may generate stays within what it reserved (the tier's maxOutputTokens).
  capOutputTokens(req.path, req.body, principal.limits.maxOutputTokens);
  return decision;
}

export function rateLimited(rateLimit: RateLimit, refusals: RecentRefusals) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    setSafeHeaders(res, await decide(rateLimit, refusals, req, principalOf(res)));
    next();
  };
}

/** The decision a route received undecided (rateLimitedBeside); undefined when it was decided before the route. */
export function admissionOf(res: Response): Promise<void> | undefined {
  return res.locals.admission as Promise<void> | undefined;
}

/**
 * The same decision, for a route whose first work is a free read (memory recall with the built-in
 * embedder: no provider call, no write): the route runs at once and starts it, and the decision
 * reaches it as admissionOf(res), awaited before anything is sent upstream or answered. A caller
 * refused lately (and not admitted since) waits for the decision first, as with rateLimited: one
 * that floods past its limit gets no recall started for it.
 */
export function rateLimitedBeside(rateLimit: RateLimit, refusals: RecentRefusals) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const principal = principalOf(res);
    const refusedLately = refusals.has(callerKey(principal));
    const decision = decide(rateLimit, refusals, req, principal);
    if (refusedLately) {
      setSafeHeaders(res, await decision);
      next();
      return;
    }
    const admission = decision.then((headers) => {
      if (!res.headersSent) setSafeHeaders(res, headers);
    });
    // Awaited by the chat use case; left unread only when the route failed first (a 4xx was sent).
    admission.catch(() => undefined);
    res.locals.admission = admission;
    next();
  };
}
