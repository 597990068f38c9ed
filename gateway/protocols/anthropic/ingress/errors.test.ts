import { describe, expect, it } from 'vitest';
import { GatewayError, badRequest, unauthorized } from '../../../errors.ts';
import { anthropicErrorType, anthropicErrors, toAnthropicError } from './errors.ts';

describe('anthropicErrorType', () => {
  it.each([
    [400, 'invalid_request_error'],
    [401, 'authentication_error'],
    [403, 'permission_error'],
    [404, 'not_found_error'],
    [413, 'request_too_large'],
    [422, 'invalid_request_error'],
    [429, 'rate_limit_error'],
    [500, 'api_error'],
    [502, 'api_error'],
    [503, 'overloaded_error'],
    [504, 'timeout_error'],
    [529, 'overloaded_error'],
  ])('maps HTTP %i to %s', (status, type) => {
    expect(anthropicErrorType(status)).toBe(type);
  });
});

describe('toAnthropicError', () => {
  it('keeps the message and names the request', () => {
    expect(toAnthropicError(unauthorized('Authentication failed: no API key.'), 'req_1')).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: 'Authentication failed: no API key.' },
      request_id: 'req_1',
    });
  });

  it("uses the status, not the gateway's OpenAI-style type", () => {
    const overloaded = new GatewayError('Provider "anthropic" is overloaded.', {
      status: 503,
      type: 'service_unavailable_error',
      code: 'provider_overloaded',
    });
    expect(toAnthropicError(overloaded, '').error.type).toBe('overloaded_error');
    expect(toAnthropicError(overloaded, '')).not.toHaveProperty('request_id');
  });
});

describe('anthropicErrors', () => {
  it("renders bodies and stream tails as Anthropic's SDKs read them", () => {
    const error = badRequest('max_tokens: Field required.', 'missing_max_tokens', 'max_tokens');
    expect(anthropicErrors.body(error, 'req_2')).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'max_tokens: Field required.' },
      request_id: 'req_2',
    });
    const tail = anthropicErrors.streamTail(error, 'req_2');
    expect(tail).toMatch(/^event: error\ndata: \{.*\}\n\n$/);
    expect(JSON.parse(tail.split('data: ')[1] ?? '')).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });
});
