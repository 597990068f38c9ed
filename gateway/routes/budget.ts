// GET /v1/budget: the caller's money budgets as the gateway enforces them right now, with an API
// key: each budget's limit, what is spent (in-flight reservations included) and when it resets.
// Read from the same Redis counters the check uses (without counting anything), so it agrees with
// the next 429 on every replica.
import type { Request, Response } from 'express';
import { budgetParam } from '../budget/budget-error.ts';
import { unavailable } from '../errors.ts';
import { principalOf, type Principal } from '../middleware/authenticate.ts';
import type { BudgetState } from '../ratelimit/result.ts';

/** The budgets in force for a caller and their state; undefined when Redis cannot say. */
export type BudgetStatus = (principal: Principal) => Promise<BudgetState[] | undefined>;

function budgetJson(state: BudgetState): Record<string, unknown> {
  return {
    budget: budgetParam(state),
    owner: state.owner,
    window: state.window,
    limit_usd: state.limitUsd,
    spent_usd: state.spentUsd,
    remaining_usd: Math.max(0, Number((state.limitUsd - state.spentUsd).toFixed(6))),
    resets_at: state.reset === null ? null : new Date(state.reset * 1000).toISOString(),
  };
}

export function budgetRoute(status: BudgetStatus) {
  return async (_req: Request, res: Response): Promise<void> => {
    const states = await status(principalOf(res));
    if (!states)
      throw unavailable('Budgets cannot be read right now (the gateway cannot reach Redis). Retry in a few seconds.', 'budget_unavailable');
    res.json({ object: 'budget', data: states.map(budgetJson) });
  };
}
