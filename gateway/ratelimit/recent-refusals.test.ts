import { describe, expect, it } from 'vitest';
import { callerKey, RecentRefusals } from './recent-refusals.ts';

describe('RecentRefusals', () => {
  it('holds a refused caller until it is admitted again', () => {
    const refusals = new RecentRefusals();
    expect(refusals.has('k1')).toBe(false);
    refusals.refused('k1');
    expect(refusals.has('k1')).toBe(true);
    expect(refusals.has('k2')).toBe(false);
    refusals.admitted('k1');
    expect(refusals.has('k1')).toBe(false);
  });

  it('forgets the oldest refusal past its capacity', () => {
    const refusals = new RecentRefusals(2);
    refusals.refused('a');
    refusals.refused('b');
    refusals.refused('c');
    expect([refusals.has('a'), refusals.has('b'), refusals.has('c')]).toEqual([false, true, true]);
  });

  it('keys callers by API key, and JWT callers by user without colliding with key ids', () => {
    expect(callerKey({ keyId: 'key-1', userId: 'u1' })).toBe('key-1');
    expect(callerKey({ userId: 'key-1' })).not.toBe(callerKey({ keyId: 'key-1', userId: 'x' }));
  });
});
