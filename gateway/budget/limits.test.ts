import { describe, expect, it } from 'vitest';
import { budgetsFor, withTokenOverrides } from './limits.ts';

describe('budgetsFor', () => {
  it('gives each user the tier default, with the soft threshold at 80% unless the tier says otherwise', () => {
    expect(budgetsFor({ dailyUsd: 5, monthlyUsd: 50 })).toEqual([
      { owner: 'user', window: 'day', limitUsd: 5, softUsd: 4 },
      { owner: 'user', window: 'month', limitUsd: 50, softUsd: 40 },
    ]);
    expect(budgetsFor({ monthlyUsd: 10, softLimitPercent: 50 })).toEqual([{ owner: 'user', window: 'month', limitUsd: 10, softUsd: 5 }]);
  });

  it("lets a user's override win per window, null inheriting the tier's", () => {
    expect(budgetsFor({ dailyUsd: 5, monthlyUsd: 50 }, { dailyUsd: null, monthlyUsd: 200, lifetimeUsd: 20 })).toEqual([
      { owner: 'user', window: 'day', limitUsd: 5, softUsd: 4 },
      { owner: 'user', window: 'month', limitUsd: 200, softUsd: 160 },
      { owner: 'user', window: 'lifetime', limitUsd: 20, softUsd: 16 },
    ]);
  });

  it("adds a key's own budgets beside its user's (both hold), and a budget of 0", () => {
    expect(budgetsFor(undefined, undefined, { dailyUsd: 0, monthlyUsd: 3 })).toEqual([
      { owner: 'key', window: 'day', limitUsd: 0, softUsd: 0 },
      { owner: 'key', window: 'month', limitUsd: 3, softUsd: 2.4 },
    ]);
    expect(budgetsFor({ monthlyUsd: 50 }, undefined, { monthlyUsd: 3 }).map((b) => b.owner)).toEqual(['user', 'key']);
  });

  it('has no budgets when nothing sets one', () => {
    expect(budgetsFor(undefined)).toEqual([]);
    expect(budgetsFor({ softLimitPercent: 90 }, { tokensPerDay: 5 }, {})).toEqual([]);
  });
});

describe('withTokenOverrides', () => {
  const tier = { requestsPerMinute: 10, requestsPerDay: 100, tokensPerMinute: 1000, maxOutputTokens: 50 };

  it("takes the key's override, else the user's, else the tier's", () => {
    expect(withTokenOverrides(tier, { tokensPerMinute: 2000, tokensPerDay: 9000 }, { tokensPerMinute: 500 })).toEqual({
      ...tier,
      tokensPerMinute: 500,
      tokensPerDay: 9000,
    });
    expect(withTokenOverrides(tier, { tokensPerMinute: null }, undefined)).toEqual(tier);
    expect(withTokenOverrides({ requestsPerMinute: 1, requestsPerDay: 2 })).toEqual({ requestsPerMinute: 1, requestsPerDay: 2 });
  });
});
