import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.ts';
import { LimitsPatchRequest } from '../protocols/perpetual/request-schemas.ts';
import { LIMIT_FIELDS, limitChangesFrom, limitsJson } from './limit-changes.ts';

function refusal(body: unknown): { status: number; param: string | undefined; message: string } {
  try {
    limitChangesFrom(body);
  } catch (err) {
    if (err instanceof GatewayError) return { status: err.status, param: err.param, message: err.message };
    throw err;
  }
  throw new Error('accepted');
}

describe('limitChangesFrom', () => {
  it('maps the API fields, keeps null as "remove", and leaves out what is not given', () => {
    expect(limitChangesFrom({ monthly_usd: 25.5, daily_usd: null, tokens_per_minute: 1000 })).toEqual({
      monthlyUsd: 25.5,
      dailyUsd: null,
      tokensPerMinute: 1000,
    });
    expect(limitChangesFrom({ lifetime_usd: 0 })).toEqual({ lifetimeUsd: 0 });
  });

  it.each([
    [{ daily_usd: -1 }, 'daily_usd'],
    [{ monthly_usd: 1e12 }, 'monthly_usd'],
    [{ lifetime_usd: '5' }, 'lifetime_usd'],
    [{ monthly_usd: Number.POSITIVE_INFINITY }, 'monthly_usd'],
    [{ tokens_per_minute: 0 }, 'tokens_per_minute'],
    [{ tokens_per_day: 1.5 }, 'tokens_per_day'],
    [{ tokens_per_day: 2e12 }, 'tokens_per_day'],
    [{ monthly_usd: 5, weekly_usd: 1 }, 'weekly_usd'],
  ])('refuses %j with a 400 naming %s', (body, field) => {
    const error = refusal(body);
    expect(error.status).toBe(400);
    expect(error.param).toBe(field);
    expect(error.message).toContain(`"${field}"`);
  });

  it('refuses a body that changes nothing or is not an object', () => {
    expect(refusal({}).status).toBe(400);
    expect(refusal([1]).status).toBe(400);
    expect(refusal(null).status).toBe(400);
  });
});

describe('one source of the rules: LimitsPatchRequest', () => {
  // The schema the OpenAPI document shows is the one the route checks: its annotations word every refusal.
  const properties = LimitsPatchRequest.properties as Record<string, { 'x-error'?: { message: string } }>;
  const annotated = (keyword: string): string | undefined =>
    (LimitsPatchRequest as unknown as Record<string, { message: string } | undefined>)[`x-error-${keyword}`]?.message;

  it.each(Object.keys(LIMIT_FIELDS))('refuses a bad %s in the words of its schema field', (field) => {
    expect(Object.keys(properties)).toContain(field);
    expect(refusal({ [field]: 'ten' }).message).toBe(properties[field]?.['x-error']?.message);
  });

  it("refuses an unknown field, an empty body and a non-object in the schema's words", () => {
    expect(refusal({ weekly_usd: 1 }).message).toBe(annotated('additionalProperties')?.replace('{param}', 'weekly_usd'));
    expect(refusal({}).message).toBe(annotated('minProperties'));
    expect(refusal([1]).message).toBe(annotated('type'));
  });
});

describe('limitsJson', () => {
  it('names every field, null where nothing is set', () => {
    expect(limitsJson({ monthlyUsd: 3 })).toEqual({
      daily_usd: null,
      monthly_usd: 3,
      lifetime_usd: null,
      tokens_per_minute: null,
      tokens_per_day: null,
    });
  });
});
