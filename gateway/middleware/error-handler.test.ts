// The one place errors become responses: what each kind of thrown value becomes (status, type,
// code), how it looks in each dialect, what is logged, and that nothing secret reaches the client.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conflict, GatewayError, notFound } from '../errors.ts';
import { anthropicErrors } from '../protocols/anthropic/ingress/errors.ts';
import { errorHandler, toGatewayError } from './error-handler.ts';
import { requestId } from './request-id.ts';

const DSN = 'postgres://gateway:s3cret-password@db.internal:5432/perpetual';
const PROVIDER_KEY = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789';

describe('toGatewayError', () => {
  it.each([
    [
      'an oversized body',
      Object.assign(new Error('too large'), { type: 'entity.too.large', status: 413, limit: 1024 }),
      413,
      'request_too_large',
    ],
    [
      'malformed JSON',
      Object.assign(new SyntaxError('Unexpected token'), { type: 'entity.parse.failed', status: 400 }),
      400,
      'invalid_json',
    ],
    [
      'a body in another charset',
      Object.assign(new Error('unsupported charset'), { type: 'charset.unsupported', status: 415 }),
      400,
      'unsupported_encoding',
    ],
    ['a body that could not be read', Object.assign(new Error('aborted'), { type: 'request.aborted', status: 400 }), 400, 'invalid_body'],
    ['a path with bad percent-encoding', new URIError('URI malformed'), 400, 'invalid_path'],
    [
      'PostgreSQL unreachable',
      Object.assign(new Error(`connect ECONNREFUSED (${DSN})`), { code: 'ECONNREFUSED' }),
      503,
      'database_unavailable',
    ],
    [
      'a value PostgreSQL refused (class 22)',
      Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' }),
      400,
      'invalid_value',
    ],
    [
      'a unique violation',
      Object.assign(new Error('duplicate key value violates unique constraint "users_email_key"'), { code: '23505' }),
      409,
      'already_exists',
    ],
    ['anything else (a bug)', new TypeError(`Cannot read properties of undefined (key ${PROVIDER_KEY})`), 500, 'internal_error'],
  ])('%s → %i %s', (_what, err, status, code) => {
    const error = toGatewayError(err, 'req_12345678');
    expect([error.status, error.code]).toEqual([status, code]);
    // The client's message is the gateway's own sentence, never the thrown value's text.
    expect(error.message).not.toContain('s3cret');
    expect(error.message).not.toContain(PROVIDER_KEY);
    expect(error.message).not.toContain('users_email_key');
  });

  it('passes a GatewayError through as it is', () => {
    const error = conflict('Email taken.', 'email_taken', 'email');
    expect(toGatewayError(error, 'r')).toBe(error);
  });

  it('names the request id in a 500, so a report can be matched to the log line', () => {
    expect(toGatewayError(new Error('bug'), 'req_abcdef12').message).toContain('req_abcdef12');
  });
});

describe('errorHandler over HTTP', () => {
  const logged: { level: string; fields: Record<string, unknown> }[] = [];
  const log = pino(
    { level: 'debug' },
    {
      write: (line: string) => {
        const { level, ...fields } = JSON.parse(line) as Record<string, unknown>;
        logged.push({ level: String(level), fields });
      },
    },
  );
  let server: Server;
  let base: string;
  /** What the next request's route throws. */
  let thrown: unknown;

  beforeAll(async () => {
    const app = express();
    app.use(requestId);
    const fail = (_req: Request, _res: Response, next: NextFunction): void => {
      next(thrown);
    };
    app.post('/v1/messages', express.json(), fail);
    app.use('/v1/messages', errorHandler(log, anthropicErrors));
    app.get('/v1/stream', (_req: Request, res: Response, next: NextFunction) => {
      res.status(200).setHeader('content-type', 'text/event-stream');
      res.write('data: {"partial":true}\n\n');
      next(thrown);
    });
    app.post('/v1/chat', express.json({ limit: 64 }), fail);
    app.get('/v1/chat', fail);
    app.use(errorHandler(log));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("answers in OpenAI's shape with the error's status and headers (Retry-After, X-RateLimit-*)", async () => {
    thrown = new GatewayError('Rate limit exceeded.', {
      status: 429,
      type: 'rate_limit_error',
      code: 'rate_limit_exceeded',
      headers: { 'Retry-After': '7', 'X-RateLimit-Limit-Requests': '2' },
    });
    const res = await fetch(`${base}/v1/chat`);
    expect(res.status).toBe(429);
    expect([res.headers.get('retry-after'), res.headers.get('x-ratelimit-limit-requests')]).toEqual(['7', '2']);
    expect(await res.json()).toEqual({
      error: { message: 'Rate limit exceeded.', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' },
    });
  });

  it("answers in Anthropic's shape where that dialect is mounted, with the request id", async () => {
    thrown = notFound('No such model.', 'model_not_found', 'model');
    const res = await fetch(`${base}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req_from_client_1' },
      body: '{}',
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      type: 'error',
      error: { type: 'not_found_error', message: 'No such model.' },
      request_id: 'req_from_client_1',
    });
  });

  it("makes the body parser's failures 4xx in the route's dialect: malformed JSON 400, oversized 413", async () => {
    const malformed = await fetch(`${base}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model": ',
    });
    expect([malformed.status, await malformed.json()]).toMatchObject([400, { type: 'error', error: { type: 'invalid_request_error' } }]);
    const oversized = await fetch(`${base}/v1/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'x'.repeat(200) }),
    });
    expect([oversized.status, await oversized.json()]).toMatchObject([413, { error: { code: 'request_too_large' } }]);
  });

  it('answers an unexpected error with a generic 500 naming the request id, and logs the error itself', async () => {
    logged.length = 0;
    thrown = new Error(`connect to ${DSN} failed with key ${PROVIDER_KEY}`);
    const res = await fetch(`${base}/v1/chat`, { headers: { 'x-request-id': 'req_bug_report_1' } });
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(JSON.parse(text)).toEqual({
      error: {
        message: 'Internal error. Quote request id req_bug_report_1 when reporting it.',
        type: 'server_error',
        param: null,
        code: 'internal_error',
      },
    });
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain(PROVIDER_KEY);
    expect(logged.filter((l) => l.fields.msg === 'Unhandled error').map((l) => l.fields.requestId)).toEqual(['req_bug_report_1']);
  });

  it('does not log a GatewayError 5xx as a bug', async () => {
    logged.length = 0;
    thrown = new GatewayError('Upstream down.', { status: 502, type: 'upstream_error', code: 'upstream_unavailable' });
    expect((await fetch(`${base}/v1/chat`)).status).toBe(502);
    expect(logged.filter((l) => l.fields.msg === 'Unhandled error')).toEqual([]);
  });

  it('logs which route let a value reach PostgreSQL unchecked, while the client gets a 400', async () => {
    logged.length = 0;
    thrown = Object.assign(new Error('value too long for type character varying(256)'), { code: '22001' });
    const res = await fetch(`${base}/v1/chat`);
    expect([res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([400, 'invalid_value']);
    expect(
      logged.filter((l) => l.fields.msg === 'Database refused a value from the request').map((l) => [l.fields.sqlState, l.fields.path]),
    ).toEqual([['22001', '/v1/chat']]);
  });

  it('ends a stream that already started with an error event, since the status line is gone', async () => {
    thrown = new GatewayError('Upstream connection lost.', { status: 502, type: 'upstream_error', code: 'upstream_stream_error' });
    const res = await fetch(`${base}/v1/stream`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(
      'data: {"partial":true}\n\ndata: {"error":{"message":"Upstream connection lost.","type":"upstream_error","param":null,"code":"upstream_stream_error"}}\n\n',
    );
  });
});
