import { describe, expect, it } from 'vitest';
import { toAnthropicError } from '../protocols/anthropic/ingress/errors.ts';
import { budgetExceededError, usd } from './budget-error.ts';

const reset = Date.parse('2030-04-01T00:00:00Z') / 1000;

describe('budgetExceededError', () => {
  it('is a 429 budget_exceeded naming the budget, its limit, the spend and the reset, with Retry-After', () => {
    const error = budgetExceededError({
      owner: 'user',
      window: 'month',
      limitUsd: 50,
      spentUsd: 50.0123,
      reset,
      resetAfterSeconds: 3723,
    });
    expect(error.status).toBe(429);
    expect(error.headers).toEqual({ 'Retry-After': '3723' });
    expect(error.toJSON()).toEqual({
      error: {
        type: 'budget_exceeded',
        code: 'budget_exceeded',
        param: 'user.monthly_usd',
        message:
          "Budget exceeded: your account's monthly budget of $50.00 is spent ($50.012300 so far). It resets at 2030-04-01T00:00:00.000Z (in 1h2m3s).",
      },
    });
  });

  it("reads as a rate_limit_error in Anthropic's shape, the message intact", () => {
    const error = budgetExceededError({ owner: 'key', window: 'day', limitUsd: 1, spentUsd: 1, reset, resetAfterSeconds: 5 });
    expect(toAnthropicError(error, 'req_1')).toEqual({
      type: 'error',
      error: {
        type: 'rate_limit_error',
        message: expect.stringMatching(/^Budget exceeded: this API key's daily budget of \$1\.00/) as string,
      },
      request_id: 'req_1',
    });
  });

  it('gives a lifetime budget no Retry-After: only a top-up raises it', () => {
    const error = budgetExceededError({ owner: 'user', window: 'lifetime', limitUsd: 20, spentUsd: 20.5, reset: null });
    expect(error.headers).toEqual({});
    expect(error.param).toBe('user.lifetime_usd');
    expect(error.message).toContain('It does not reset');
  });
});

describe('usd', () => {
  it('shows cents when whole, micro-dollars otherwise', () => {
    expect(usd(12.5)).toBe('$12.50');
    expect(usd(0.000301)).toBe('$0.000301');
    expect(usd(0)).toBe('$0.00');
  });
});
