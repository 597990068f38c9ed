// The body of a budget / limit change in the admin API, checked whole before anything is written
// against LimitsPatchRequest (protocols/perpetual/request-schemas.ts), the one source of its rules
// (each field a number in range or null to clear it, at least one, no other) and of its 400s, which
// name the field. The schema says everything: what is left here is naming the overrides.
import { bodyCheck } from '../protocols/body-check.ts';
import { LimitsPatchRequest } from '../protocols/perpetual/request-schemas.ts';
import type { LimitOverrides } from './limits.ts';

/** The API's field names (snake_case, as the rest of the API) and the override each sets. */
export const LIMIT_FIELDS = {
  daily_usd: 'dailyUsd',
  monthly_usd: 'monthlyUsd',
  lifetime_usd: 'lifetimeUsd',
  tokens_per_minute: 'tokensPerMinute',
  tokens_per_day: 'tokensPerDay',
} as const satisfies Record<string, keyof LimitOverrides>;

type ApiField = keyof typeof LIMIT_FIELDS;

const checkLimitsPatch = bodyCheck<Partial<Record<ApiField, number | null>>>(LimitsPatchRequest, { path: 'dots' });

/** The overrides a PATCH body sets (fields left out keep their value). */
export function limitChangesFrom(body: unknown): Partial<LimitOverrides> {
  const changes: Partial<LimitOverrides> = {};
  for (const [name, value] of Object.entries(checkLimitsPatch(body)) as [ApiField, number | null][]) changes[LIMIT_FIELDS[name]] = value;
  return changes;
}

/** Every override cleared (DELETE). */
export const CLEAR_ALL: Required<LimitOverrides> = {
  dailyUsd: null,
  monthlyUsd: null,
  lifetimeUsd: null,
  tokensPerMinute: null,
  tokensPerDay: null,
};

/** The overrides in the API's field names. */
export function limitsJson(overrides: LimitOverrides): Record<ApiField, number | null> {
  const json = {} as Record<ApiField, number | null>;
  for (const [name, field] of Object.entries(LIMIT_FIELDS) as [ApiField, keyof LimitOverrides][]) json[name] = overrides[field] ?? null;
  return json;
}
