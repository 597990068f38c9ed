// The body of a budget / limit change in the admin API, checked whole before anything is written:
// each field a number in range or null (clear it, inherit again), anything else a 400 naming the
// field. The bounds are the CRD's for tier defaults (operator/api/v1alpha1/budget.ts and
// perpetual-deployment.ts), so a value the API server would refuse in spec.tiers is refused here.
import { MAX_BUDGET_USD, MAX_TOKEN_LIMIT } from '../../operator/api/v1alpha1/gateway-config.ts';
import { badRequest } from '../errors.ts';
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

function isApiField(name: string): name is ApiField {
  return Object.hasOwn(LIMIT_FIELDS, name);
}

function checkValue(field: ApiField, value: unknown): number | null {
  if (value === null) return null;
  if (field.endsWith('_usd')) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_BUDGET_USD) {
      throw badRequest(
        `"${field}" must be a number of US dollars from 0 to ${String(MAX_BUDGET_USD)}, or null to remove it.`,
        'invalid_value',
        field,
      );
    }
    return value;
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > MAX_TOKEN_LIMIT) {
    throw badRequest(
      `"${field}" must be a whole number of tokens from 1 to ${String(MAX_TOKEN_LIMIT)}, or null to remove it.`,
      'invalid_value',
      field,
    );
  }
  return value;
}

/** The overrides a PATCH body sets (fields left out keep their value). */
export function limitChangesFrom(body: unknown): Partial<LimitOverrides> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest(`The body must be a JSON object with any of ${Object.keys(LIMIT_FIELDS).join(', ')}.`, 'invalid_value');
  }
  const changes: Partial<LimitOverrides> = {};
  for (const [name, value] of Object.entries(body)) {
    if (!isApiField(name)) {
      throw badRequest(`Unknown field "${name}": expected any of ${Object.keys(LIMIT_FIELDS).join(', ')}.`, 'unknown_field', name);
    }
    changes[LIMIT_FIELDS[name]] = checkValue(name, value);
  }
  if (Object.keys(changes).length === 0) {
    throw badRequest(`Nothing to change: give any of ${Object.keys(LIMIT_FIELDS).join(', ')} (null removes one).`, 'invalid_value');
  }
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
