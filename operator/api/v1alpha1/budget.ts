// A tier's default money budget, as the PerpetualDeployment's tiers[].budget spells it and as the
// operator hands it to the gateway in its configuration file: one schema, so the two cannot drift.
// A small module of its own (as pricing.ts), because the gateway loads it through gateway-config.ts.
// The same bounds apply to the admin API's per-user and per-key budgets (gateway/budget/).
import Type from 'typebox';
import { withRules } from './schema-helpers.ts';

/** A trillion tokens a day is beyond any real quota: larger is a typo, refused with the field named (tiers and the admin API). */
export const MAX_TOKEN_LIMIT = 1_000_000_000_000;

/** Ten million US dollars in one window is beyond any real budget: larger is a typo, refused with the field named. */
export const MAX_BUDGET_USD = 10_000_000;

export function tierBudget(options: { additionalProperties?: false } = {}) {
  const amount = (description: string) => Type.Optional(Type.Number({ description, minimum: 0, maximum: MAX_BUDGET_USD }));
  return withRules(
    Type.Object(
      {
        dailyUsd: amount('US dollars each user of the tier may spend per UTC day; no limit when absent.'),
        monthlyUsd: amount('US dollars each user of the tier may spend per calendar month (UTC); no limit when absent.'),
        lifetimeUsd: amount('US dollars each user of the tier may spend in total (a prepaid allowance); no limit when absent.'),
        softLimitPercent: Type.Optional(
          Type.Integer({
            description:
              'Percent of a budget at which the gateway logs a warning and records an audit event, once per budget and window (80 when absent).',
            minimum: 1,
            maximum: 100,
          }),
        ),
      },
      {
        description:
          "Each user's default money budget in this tier; the admin API overrides it per user and adds budgets per API key. Over budget, requests get a 429 budget_exceeded until the window resets.",
        ...options,
      },
    ),
    [
      {
        rule: '!has(self.dailyUsd) || !has(self.monthlyUsd) || self.dailyUsd <= self.monthlyUsd',
        message: 'dailyUsd must not exceed monthlyUsd',
        fieldPath: '.dailyUsd',
      },
    ],
  );
}
