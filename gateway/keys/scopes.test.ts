import { describe, expect, it } from 'vitest';
import { endpointOf, parseScopes, scopedTier, scopeRefusal } from './scopes.ts';

function paramOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (err) {
    return (err as { param?: string }).param;
  }
  return undefined;
}

describe('parseScopes', () => {
  it('keeps what is given, deduplicated; absent is no restriction', () => {
    expect(parseScopes(undefined)).toBeNull();
    expect(parseScopes({ models: ['a', 'a', 'b'], endpoints: ['/embeddings'], memory: false, max_tier: 'pro' })).toEqual({
      models: ['a', 'b'],
      endpoints: ['/embeddings'],
      memory: false,
      max_tier: 'pro',
    });
  });

  it('refuses unknown scopes and bad values, naming the field', () => {
    expect(paramOf(() => parseScopes([]))).toBe('scopes');
    expect(paramOf(() => parseScopes({ admin: true }))).toBe('scopes.admin');
    expect(paramOf(() => parseScopes({ models: [] }))).toBe('scopes.models');
    expect(paramOf(() => parseScopes({ models: [''] }))).toBe('scopes.models');
    expect(paramOf(() => parseScopes({ models: Array.from({ length: 101 }, (_, i) => `m${String(i)}`) }))).toBe('scopes.models');
    expect(paramOf(() => parseScopes({ endpoints: ['/v1/chat/completions'] }))).toBe('scopes.endpoints');
    expect(paramOf(() => parseScopes({ memory: 'off' }))).toBe('scopes.memory');
    expect(paramOf(() => parseScopes({ max_tier: 'gold' }))).toBe('scopes.max_tier');
  });
});

describe('scopeRefusal', () => {
  const scopes = { models: ['small'], endpoints: ['/chat/completions', '/messages'] };

  it('allows what the scopes name, count_tokens with the Messages API', () => {
    expect(scopeRefusal(null, { endpoint: '/embeddings', model: 'big' })).toBeUndefined();
    expect(scopeRefusal(scopes, { endpoint: '/chat/completions', model: 'small' })).toBeUndefined();
    expect(scopeRefusal(scopes, { endpoint: '/messages/count_tokens', model: 'small' })).toBeUndefined();
  });

  it('names the scope that refuses', () => {
    expect(scopeRefusal(scopes, { endpoint: '/embeddings', model: 'small' })).toMatch(/scope "endpoints"/);
    expect(scopeRefusal(scopes, { endpoint: undefined, model: undefined })).toMatch(/scope "endpoints"/);
    expect(scopeRefusal(scopes, { endpoint: '/chat/completions', model: 'big' })).toMatch(/model "big": its scope "models"/);
    expect(scopeRefusal({ memory: false }, { endpoint: '/memories', model: undefined })).toMatch(/scope "memory"/);
  });
});

describe('endpointOf and scopedTier', () => {
  it('finds the longest endpoint a path belongs to', () => {
    expect(endpointOf('/messages/count_tokens')).toBe('/messages/count_tokens');
    expect(endpointOf('/messages')).toBe('/messages');
    expect(endpointOf('/responses/resp_1/input_items')).toBe('/responses');
    expect(endpointOf('/chat/completionsX')).toBeUndefined();
  });

  it('lowers the tier to max_tier, never raises it', () => {
    expect(scopedTier('enterprise', { max_tier: 'free' })).toBe('free');
    expect(scopedTier('free', { max_tier: 'enterprise' })).toBe('free');
    expect(scopedTier('custom', { max_tier: 'pro' })).toBe('pro');
    expect(scopedTier('pro', null)).toBe('pro');
  });
});
