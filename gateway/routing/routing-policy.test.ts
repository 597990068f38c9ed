import { describe, expect, it } from 'vitest';
import { DEFAULT_ROUTING_POLICY, parseRoutingPolicy } from './routing-policy.ts';

describe('parseRoutingPolicy', () => {
  it.each([
    ['prefix', 'prefix'],
    ['Prefix', 'prefix'],
    ['least-load', 'leastLoad'],
    ['leastLoad', 'leastLoad'],
    ['LEASTLOAD', 'leastLoad'],
    ['session', 'sessionAffinity'],
    [' sessionaffinity ', 'sessionAffinity'],
  ])('reads %j as %s', (value, policy) => {
    expect(parseRoutingPolicy(value)).toBe(policy);
  });

  it('names no policy for anything else', () => {
    expect(parseRoutingPolicy('roundRobin')).toBeUndefined();
    expect(parseRoutingPolicy('least_load')).toBeUndefined();
  });

  it('defaults to prefix routing', () => {
    expect(DEFAULT_ROUTING_POLICY).toBe('prefix');
  });
});
