import { describe, expect, it } from 'vitest';
import { limitRequest } from '../ratelimit/token-reservation.ts';
import { PriceTable } from '../usage/pricing.ts';
import type { BudgetLimit } from './limits.ts';
import { limitedCallRequest, reservedCostUsd, withBudgets } from './reserved-cost.ts';

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

describe('limitedCallRequest: the token reservation and its price from one estimate', () => {
  const tokenLimits = { ...limits, tokensPerMinute: 100_000, tokensPerDay: 1_000_000 };

  /** A body whose messages count how often they are read: the estimate reads them once (JSON.stringify). */
  function countingBody(): { body: object; reads: () => number } {
    let reads = 0;
    const messages = body.messages;
    return {
      body: {
        model: 'm',
        get messages() {
          reads++;
          return messages;
        },
      },
      reads: () => reads,
    };
  }

  it('estimates the prompt once for a caller with token limits and money budgets', () => {
    const { body: counted, reads } = countingBody();
    const request = limitedCallRequest(
      prices,
      { ...who, limits: tokenLimits, budgets },
      { path: '/v1/chat/completions', body: counted },
      7,
    );
    expect(reads()).toBe(1);
    const prompt = Math.ceil(JSON.stringify(body.messages).length / 4) + 7;
    expect(request.reserveTokens).toBe(prompt + 100);
    expect(request.reserveMicros).toBe((prompt + 100) * 1000);
  });

  it('estimates nothing for a caller with neither', () => {
    const { body: counted, reads } = countingBody();
    expect(limitedCallRequest(prices, who, { path: '/v1/chat/completions', body: counted })).toEqual(limitRequest(who));
    expect(reads()).toBe(0);
  });

  it('asks the limiter exactly what limitRequest, reservedCostUsd and withBudgets did together', () => {
    const calls = [
      undefined,
      { path: '/v1/chat/completions', body },
      { path: '/v1/chat/completions', body: { ...body, max_tokens: 5, n: 2 } },
      { path: '/v1/chat/completions', body: { messages: body.messages } },
      { path: '/v1/embeddings', body: { model: 'm', input: 'abcd'.repeat(9) } },
      { path: '/v1/messages/count_tokens', body },
      { path: '/v1/chat/completions', body: { ...body, model: 'not-priced' } },
    ];
    const cases = [limits, tokenLimits, { ...limits, tokensPerDay: 10 }].flatMap((callLimits) =>
      [undefined, [], budgets].flatMap((callBudgets) =>
        calls.flatMap((call) => [0, 300].map((injected) => ({ callLimits, callBudgets, call, injected }))),
      ),
    );
    for (const { callLimits, callBudgets, call, injected } of cases) {
      const caller = { ...who, limits: callLimits, ...(callBudgets ? { budgets: callBudgets } : {}) };
      const before = withBudgets(
        limitRequest(caller, call, injected),
        callBudgets,
        callBudgets && call ? reservedCostUsd(prices, call, callLimits, injected) : 0,
      );
      expect(limitedCallRequest(prices, caller, call, injected)).toEqual(before);
    }
  });
});
