import { describe, expect, it } from 'vitest';
import { limitRequest } from '../ratelimit/token-reservation.ts';
import { PriceTable } from '../usage/pricing.ts';
import type { BudgetLimit } from './limits.ts';
import { reservedCostUsd, withBudgets } from './reserved-cost.ts';

// A dollar per thousand tokens, both ways.
const prices = new PriceTable([{ name: 'm', pricing: { inputPerMillionTokens: 1000, outputPerMillionTokens: 1000 } }]);
const limits = { requestsPerMinute: 10, requestsPerDay: 100, maxOutputTokens: 100 };
const budgets: BudgetLimit[] = [{ owner: 'user', window: 'month', limitUsd: 5, softUsd: 4 }];
const body = { model: 'm', messages: [{ role: 'user', content: 'x'.repeat(400) }] };
const who = { keyId: 'k', userId: 'u', limits };

function reserved(path: string): number | undefined {
  const call = { path, body };
  return withBudgets(limitRequest(who, call), budgets, reservedCostUsd(prices, call, limits)).reserveMicros;
}

describe('the money a request reserves', () => {
  it('prices the prompt estimate and the output ceiling of a call that generates', () => {
    const prompt = Math.ceil(JSON.stringify(body.messages).length / 4);
    expect(reserved('/v1/messages')).toBe((prompt + 100) * 1000);
  });

  it('is nothing for token counting, which the accounting never settles, while its budgets are still checked', () => {
    const request = withBudgets(limitRequest(who, { path: '/v1/messages/count_tokens', body }), budgets, null);
    expect(request.budgets).toEqual(budgets);
    expect(reserved('/v1/messages/count_tokens')).toBe(0);
  });

  it('is a micro-dollar at least for a call priced below one, and nothing is added without budgets', () => {
    expect(withBudgets(limitRequest(who), budgets, 0).reserveMicros).toBe(1);
    expect(withBudgets(limitRequest(who), [], 5)).toEqual(limitRequest(who));
  });
});
