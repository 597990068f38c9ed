import { EventEmitter } from 'node:events';
import type { NextFunction, Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { bodyBudget } from './body-budget.ts';

function request(method: string, contentLength?: number): Request {
  return {
    method,
    get: (name: string) => (name === 'content-length' && contentLength !== undefined ? String(contentLength) : undefined),
  } as unknown as Request;
}

/** Runs the middleware once; returns what next got and the response, to end it later. */
function pass(budget: ReturnType<typeof bodyBudget>, req: Request): { err: unknown; res: EventEmitter } {
  const res = new EventEmitter();
  let err: unknown = 'not called';
  const next: NextFunction = (e?: unknown) => {
    err = e;
  };
  budget(req, res as unknown as Response, next);
  return { err, res };
}

describe('bodyBudget', () => {
  it("reserves each body's declared length until its response ends, then gives it back", () => {
    const budget = bodyBudget({ totalBytes: 100, perRequestBytes: 60 });
    const first = pass(budget, request('POST', 60));
    expect(first.err).toBeUndefined();
    const second = pass(budget, request('POST', 40));
    expect(second.err).toBeUndefined();
    expect(budget.inUse()).toBe(100);
    const refused = pass(budget, request('POST', 1));
    expect(refused.err).toMatchObject({ status: 503, code: 'gateway_busy', headers: { 'Retry-After': '1' } });
    first.res.emit('finish');
    first.res.emit('close');
    expect(budget.inUse()).toBe(40);
    expect(pass(budget, request('POST', 60)).err).toBeUndefined();
  });

  it('counts a body of unknown length at the per-request maximum, and an oversized one at no more', () => {
    const budget = bodyBudget({ totalBytes: 200, perRequestBytes: 60 });
    pass(budget, request('POST'));
    expect(budget.inUse()).toBe(60);
    pass(budget, request('PUT', 10_000));
    expect(budget.inUse()).toBe(120);
  });

  it('lets requests without a body through without counting them', () => {
    const budget = bodyBudget({ totalBytes: 10, perRequestBytes: 10 });
    pass(budget, request('POST', 10));
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'DELETE']) expect(pass(budget, request(method)).err).toBeUndefined();
    expect(pass(budget, request('POST', 0)).err).toBeUndefined();
  });
});
