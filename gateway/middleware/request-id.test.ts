import type { Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { requestId, requestIdOf, serverRequestIdOf } from './request-id.ts';

function exchange(header?: string): { req: Request; res: Response; headers: Map<string, unknown> } {
  const headers = new Map<string, unknown>();
  const req = { get: (name: string) => (name.toLowerCase() === 'x-request-id' ? header : undefined) } as unknown as Request;
  const res = { locals: {}, setHeader: (name: string, value: unknown) => headers.set(name, value) } as unknown as Response;
  return { req, res, headers };
}

function run(header?: string): { res: Response; headers: Map<string, unknown> } {
  const { req, res, headers } = exchange(header);
  requestId(req, res, () => undefined);
  return { res, headers };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request ids', () => {
  it("echoes a sane caller id, and keys on an id of the gateway's own that differs every time", () => {
    const first = run('req_caller_0001');
    const second = run('req_caller_0001');
    expect(first.headers.get('x-request-id')).toBe('req_caller_0001');
    expect(requestIdOf(first.res)).toBe('req_caller_0001');
    expect(serverRequestIdOf(first.res)).toMatch(UUID);
    expect(serverRequestIdOf(first.res)).not.toBe(serverRequestIdOf(second.res));
    expect(serverRequestIdOf(first.res)).toBe(serverRequestIdOf(first.res));
  });

  it("without a sane caller id, echoes the gateway's own", () => {
    for (const header of [undefined, 'short', 'has spaces in it', 'x'.repeat(129)]) {
      const { res, headers } = run(header);
      expect(headers.get('x-request-id')).toBe(`req_${serverRequestIdOf(res).replaceAll('-', '')}`);
    }
  });

  it('never hands out an empty key, even where the middleware did not run', () => {
    const { res } = exchange();
    const made = serverRequestIdOf(res);
    expect(made).toMatch(UUID);
    expect(serverRequestIdOf(res)).toBe(made);
    expect(requestIdOf(res)).toBe('');
  });
});
