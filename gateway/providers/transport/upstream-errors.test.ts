import { describe, expect, it } from 'vitest';
import {
  classifyTransportError,
  clientClosed,
  isRetryableTransportError,
  mapTransportError,
  mapUpstreamFailure,
  parseUpstreamErrorBody,
  sanitizeUpstreamMessage,
} from './upstream-errors.ts';

describe('mapUpstreamFailure', () => {
  const table: [upstream: number, status: number, type: string, code: string][] = [
    [400, 400, 'invalid_request_error', 'provider_invalid_request'],
    [401, 401, 'authentication_error', 'provider_authentication_failed'],
    [403, 401, 'authentication_error', 'provider_authentication_failed'],
    [404, 404, 'not_found_error', 'provider_model_not_found'],
    [408, 504, 'upstream_error', 'upstream_timeout'],
    [413, 400, 'invalid_request_error', 'provider_invalid_request'],
    [422, 400, 'invalid_request_error', 'provider_invalid_request'],
    [429, 429, 'rate_limit_error', 'provider_rate_limited'],
    [500, 502, 'upstream_error', 'upstream_error'],
    [502, 502, 'upstream_error', 'upstream_unavailable'],
    [503, 502, 'upstream_error', 'upstream_unavailable'],
    [504, 504, 'upstream_error', 'upstream_timeout'],
    [529, 503, 'service_unavailable_error', 'provider_overloaded'],
    [599, 502, 'upstream_error', 'upstream_error'],
  ];
  it.each(table)('upstream %i → %i %s %s', (upstream, status, type, code) => {
    const err = mapUpstreamFailure({ provider: 'openai', status: upstream });
    expect({ status: err.status, type: err.type, code: err.code }).toEqual({ status, type, code });
    expect(err.message).toContain('"openai"');
  });

  it('tells the user how to fix a rejected key, without the key or the upstream text', () => {
    const err = mapUpstreamFailure({ provider: 'openai', status: 401, message: 'Incorrect API key provided: sk-secret' });
    expect(err.message).toBe(
      'Authentication failed with provider "openai": the provider rejected your API key. Update it with POST /v1/provider-keys/add.',
    );
  });

  it('passes Retry-After through on 429 and says when to retry', () => {
    const err = mapUpstreamFailure({ provider: 'anthropic', status: 429, retryAfter: '17' });
    expect(err.headers).toEqual({ 'Retry-After': '17' });
    expect(err.message).toContain('after 17 seconds');
  });

  it('tells an exhausted quota apart from a rate limit', () => {
    const err = mapUpstreamFailure({ provider: 'openai', status: 429, code: 'insufficient_quota' });
    expect(err.code).toBe('provider_quota_exceeded');
    expect(err.message).toMatch(/no quota left/);
  });

  it("keeps the upstream's message for 400s and names the model for 404s", () => {
    expect(mapUpstreamFailure({ provider: 'openai', status: 400, message: "Invalid 'temperature'" }).message).toBe(
      'Provider "openai" rejected the request (HTTP 400): Invalid \'temperature\'',
    );
    const notFound = mapUpstreamFailure({ provider: 'openai', status: 404, model: 'gpt-x' });
    expect(notFound.message).toContain('"gpt-x"');
    expect(notFound.param).toBe('model');
  });

  it("keeps a 400's upstream code and param, which name the field to fix", () => {
    const err = mapUpstreamFailure({
      provider: 'openai',
      status: 400,
      code: 'invalid_value',
      param: 'temperature',
      type: 'invalid_request_error',
    });
    expect([err.code, err.param]).toEqual(['invalid_value', 'temperature']);
  });

  it('passes Retry-After on for 503s too, and asks the client not to retry once the gateway has', () => {
    const err = mapUpstreamFailure({ provider: 'openai', status: 503, retryAfter: '3', noMoreRetries: true });
    expect(err.headers).toEqual({ 'Retry-After': '3', 'x-should-retry': 'false' });
    expect(mapUpstreamFailure({ provider: 'openai', status: 503 }).headers).toEqual({});
  });
});

describe('sanitizeUpstreamMessage', () => {
  it('redacts the known key, key-shaped strings and bearer tokens, and truncates', () => {
    const out = sanitizeUpstreamMessage('key my-own-secret-key, also sk-proj-abcdef123456 and Bearer xyz.abc', ['my-own-secret-key']);
    expect(out).toBe('key [redacted], also [redacted] and [redacted]');
    expect(sanitizeUpstreamMessage('x'.repeat(1000), []).length).toBe(300);
  });
});

describe('parseUpstreamErrorBody', () => {
  it.each([
    [
      '{"error":{"message":"bad temp","type":"invalid_request_error","code":"invalid_value","param":"temperature"}}',
      { message: 'bad temp', code: 'invalid_value', type: 'invalid_request_error', param: 'temperature' },
    ],
    [
      '{"error":{"message":"bad","type":"invalid_request_error","code":null,"param":null}}',
      { message: 'bad', type: 'invalid_request_error' },
    ],
    ['{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}', { message: 'slow down', type: 'rate_limit_error' }],
    [
      '{"object":"error","message":"vllm says no","type":"BadRequestError","code":400}',
      { message: 'vllm says no', type: 'BadRequestError' },
    ],
    ['{"detail":"Not Found"}', { message: 'Not Found' }],
    ['<html>502 Bad Gateway</html>', {}],
  ])('%s', (body, expected) => {
    expect(parseUpstreamErrorBody(body)).toEqual(expected);
  });
});

describe('transport errors', () => {
  const withCode = (code: string): Error => Object.assign(new Error('boom'), { code });

  it.each([
    ['ECONNREFUSED', 'unreachable', true, 502, 'upstream_unavailable'],
    ['ECONNRESET', 'unreachable', true, 502, 'upstream_unavailable'],
    ['UND_ERR_SOCKET', 'unreachable', true, 502, 'upstream_unavailable'],
    ['ENOTFOUND', 'unreachable', false, 502, 'upstream_unavailable'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout', false, 504, 'upstream_timeout'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout', false, 504, 'upstream_timeout'],
    ['UND_ERR_BODY_TIMEOUT', 'timeout', false, 504, 'upstream_timeout'],
    ['EWHATEVER', 'other', false, 502, 'upstream_unavailable'],
  ] as const)('%s is %s (retryable: %s) → %i %s', (...[code, kind, retryable, status, gatewayCode]) => {
    expect(classifyTransportError(withCode(code))).toBe(kind);
    expect(isRetryableTransportError(withCode(code))).toBe(retryable);
    const err = mapTransportError(withCode(code), 'openai', 'api.openai.com');
    expect([err.status, err.code]).toEqual([status, gatewayCode]);
  });

  it('finds the code on a wrapped cause', () => {
    expect(classifyTransportError(new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') }))).toBe('unreachable');
  });

  it('marks a client disconnect as 499', () => {
    expect(clientClosed().status).toBe(499);
  });
});
