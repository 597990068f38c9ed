import { describe, expect, it } from 'vitest';
import { budgetSpanAt, fromMicros, toMicros } from './windows.ts';

const at = (iso: string): number => Date.parse(iso);
const s = (iso: string): number => Date.parse(iso) / 1000;

describe('budgetSpanAt', () => {
  it('aligns a day to UTC midnight and rolls at it', () => {
    expect(budgetSpanAt(at('2030-03-04T23:59:59.999Z'), 'day')).toEqual({
      start: s('2030-03-04T00:00:00Z'),
      reset: s('2030-03-05T00:00:00Z'),
    });
    expect(budgetSpanAt(at('2030-03-05T00:00:00.000Z'), 'day')).toEqual({
      start: s('2030-03-05T00:00:00Z'),
      reset: s('2030-03-06T00:00:00Z'),
    });
  });

  it('is a UTC day whatever the local time zone would say', () => {
    // 23:30 in New York on the 4th is already the 5th in UTC.
    expect(budgetSpanAt(at('2030-03-04T23:30:00-05:00'), 'day').start).toBe(s('2030-03-05T00:00:00Z'));
  });

  it('aligns a month to the 1st 00:00 UTC and rolls at month end, across months of every length', () => {
    expect(budgetSpanAt(at('2030-01-31T23:59:59.999Z'), 'month')).toEqual({
      start: s('2030-01-01T00:00:00Z'),
      reset: s('2030-02-01T00:00:00Z'),
    });
    expect(budgetSpanAt(at('2030-02-01T00:00:00Z'), 'month')).toEqual({
      start: s('2030-02-01T00:00:00Z'),
      reset: s('2030-03-01T00:00:00Z'),
    });
    // A leap February ends on the 29th.
    expect(budgetSpanAt(at('2028-02-29T12:00:00Z'), 'month')).toEqual({
      start: s('2028-02-01T00:00:00Z'),
      reset: s('2028-03-01T00:00:00Z'),
    });
    expect(budgetSpanAt(at('2030-04-30T23:59:59Z'), 'month').reset).toBe(s('2030-05-01T00:00:00Z'));
  });

  it('rolls December into January of the next year', () => {
    expect(budgetSpanAt(at('2030-12-31T23:59:59.999Z'), 'month')).toEqual({
      start: s('2030-12-01T00:00:00Z'),
      reset: s('2031-01-01T00:00:00Z'),
    });
    expect(budgetSpanAt(at('2031-01-01T00:00:00Z'), 'month').start).toBe(s('2031-01-01T00:00:00Z'));
    expect(budgetSpanAt(at('2030-12-31T23:59:59.999Z'), 'day').reset).toBe(s('2031-01-01T00:00:00Z'));
  });

  it('gives the lifetime window no reset', () => {
    expect(budgetSpanAt(at('2030-03-04T05:06:07Z'), 'lifetime')).toEqual({ start: 0, reset: null });
  });
});

describe('micro-dollars', () => {
  it('round to the nearest micro-dollar and back', () => {
    expect(toMicros(12.5)).toBe(12_500_000);
    expect(toMicros(0.0000004)).toBe(0);
    expect(toMicros(0.0000006)).toBe(1);
    expect(toMicros(0.1 + 0.2)).toBe(300_000);
    expect(toMicros(Number.NaN)).toBe(0);
    expect(fromMicros(1_234_567)).toBe(1.234567);
  });
});
