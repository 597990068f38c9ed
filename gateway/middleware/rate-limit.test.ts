import type { NextFunction, Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.ts';
import { RecentRefusals } from '../ratelimit/recent-refusals.ts';
import type { Principal } from './authenticate.ts';
import { admissionOf, rateLimited, rateLimitedBeside, type RateLimit } from './rate-limit.ts';

const principal: Principal = {
  userId: 'u1',
  tier: 'pro',
  limits: { requestsPerMinute: 10, requestsPerDay: 100, maxOutputTokens: 50 },
  via: 'api_key',
  keyId: 'key-1',
};

const tooMany = (): GatewayError =>
  new GatewayError('Rate limit exceeded.', {
    status: 429,
    type: 'rate_limit_error',
    code: 'rate_limit_exceeded',
    headers: { 'Retry-After': '7' },
  });

/** A limiter whose decisions the test settles one by one, in order. */
function heldLimiter(): { rateLimit: RateLimit; bodies: unknown[]; admit: () => void; refuse: () => void } {
  const pending: { resolve: (headers: Record<string, string>) => void; reject: (err: unknown) => void }[] = [];
  const bodies: unknown[] = [];
  return {
    rateLimit: (_principal, call) => {
      bodies.push(structuredClone(call?.body));
      return new Promise((resolve, reject) => pending.push({ resolve, reject }));
    },
    bodies,
    admit: () => {
      pending.shift()?.resolve({ 'X-RateLimit-Remaining-Requests': '9' });
    },
    refuse: () => {
      pending.shift()?.reject(tooMany());
    },
  };
}

interface Sent {
  res: Response;
  headers: Record<string, string>;
  /** What next() got: 'not yet' until it is called. */
  next: () => unknown;
  done: Promise<void>;
}

function send(handler: (req: Request, res: Response, next: NextFunction) => Promise<void>, body: object = { max_tokens: 500 }): Sent {
  const headers: Record<string, string> = {};
  const res = { locals: { principal }, headersSent: false, setHeader: (name: string, value: string) => (headers[name] = value) };
  const req = { path: '/chat/completions', body };
  let got: unknown = 'not yet';
  const done = handler(req as unknown as Request, res as unknown as Response, (err?: unknown) => {
    got = err;
  }).catch((err: unknown) => {
    got = err;
  });
  return { res: res as unknown as Response, headers, next: () => got, done };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('rateLimitedBeside', () => {
  it('lets the route start before the decision, which reaches it as the admission with its headers', async () => {
    const limiter = heldLimiter();
    const sent = send(rateLimitedBeside(limiter.rateLimit, new RecentRefusals()));
    await sent.done;
    expect(sent.next()).toBeUndefined();
    const admission = admissionOf(sent.res);
    expect(admission).toBeInstanceOf(Promise);
    // Sized from the body as sent, then capped at the tier's maxOutputTokens.
    expect(limiter.bodies).toEqual([{ max_tokens: 500 }]);
    expect(sent.headers).toEqual({});
    limiter.admit();
    await admission;
    expect(sent.headers).toEqual({ 'X-RateLimit-Remaining-Requests': '9' });
  });

  it('hands a refusal to the route as a rejected admission, and decides first for that caller until it is admitted again', async () => {
    const limiter = heldLimiter();
    const refusals = new RecentRefusals();
    const handler = rateLimitedBeside(limiter.rateLimit, refusals);
    const first = send(handler);
    await first.done;
    limiter.refuse();
    await expect(admissionOf(first.res)).rejects.toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect(refusals.has('key-1')).toBe(true);

    // Refused lately: the middleware waits for the decision and the route gets none to await.
    const second = send(handler);
    await tick();
    expect(second.next()).toBe('not yet');
    limiter.refuse();
    await second.done;
    expect(second.next()).toMatchObject({ status: 429 });
    expect(admissionOf(second.res)).toBeUndefined();

    const third = send(handler);
    await tick();
    limiter.admit();
    await third.done;
    expect(third.next()).toBeUndefined();
    expect(admissionOf(third.res)).toBeUndefined();
    expect(third.headers).toEqual({ 'X-RateLimit-Remaining-Requests': '9' });
    expect(refusals.has('key-1')).toBe(false);

    // Admitted again: back to deciding beside the route.
    const fourth = send(handler);
    await fourth.done;
    expect(admissionOf(fourth.res)).toBeInstanceOf(Promise);
  });

  it('sets no headers on a response the route already sent (it failed first), and leaves no unhandled rejection', async () => {
    const limiter = heldLimiter();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const handler = rateLimitedBeside(limiter.rateLimit, new RecentRefusals());
      const admitted = send(handler);
      const refused = send(handler);
      await Promise.all([admitted.done, refused.done]);
      for (const sent of [admitted, refused]) (sent.res as unknown as { headersSent: boolean }).headersSent = true;
      limiter.admit();
      limiter.refuse();
      await tick();
      await tick();
      expect(unhandled).toEqual([]);
      expect(admitted.headers).toEqual({});
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('rateLimited', () => {
  it('decides before the route, and notes refusals and admissions for rateLimitedBeside', async () => {
    const limiter = heldLimiter();
    const refusals = new RecentRefusals();
    const refused = send(rateLimited(limiter.rateLimit, refusals));
    limiter.refuse();
    await refused.done;
    expect(refused.next()).toMatchObject({ status: 429 });
    expect(refusals.has('key-1')).toBe(true);

    const body = { max_tokens: 500 };
    const admitted = send(rateLimited(limiter.rateLimit, refusals), body);
    await tick();
    expect(admitted.next()).toBe('not yet');
    limiter.admit();
    await admitted.done;
    expect(admitted.next()).toBeUndefined();
    expect(admissionOf(admitted.res)).toBeUndefined();
    expect(admitted.headers).toEqual({ 'X-RateLimit-Remaining-Requests': '9' });
    expect(body).toEqual({ max_tokens: 50 });
    expect(refusals.has('key-1')).toBe(false);
  });
});
