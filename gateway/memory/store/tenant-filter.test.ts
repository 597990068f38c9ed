import { describe, expect, it } from 'vitest';
import { MemoryStoreError } from './memory-store-error.ts';
import { scopeFilter, tenantFilter } from './tenant-filter.ts';

describe('tenantFilter', () => {
  it('always starts with the user condition and only ANDs narrowing after it', () => {
    expect(tenantFilter('u1', 'count')).toEqual({ must: [{ key: 'user_id', match: { value: 'u1' } }] });
    expect(tenantFilter('u1', 'deleteById', { conversationId: 'c', pointId: 'p' })).toEqual({
      must: [{ key: 'user_id', match: { value: 'u1' } }, { key: 'conversation_id', match: { value: 'c' } }, { has_id: ['p'] }],
    });
  });

  it('never builds should or must_not clauses', () => {
    const filter = tenantFilter('u1', 'search', { conversationId: 'c' });
    expect(Object.keys(filter)).toEqual(['must']);
  });

  it('refuses missing, blank, non-string and absurdly long user ids', () => {
    for (const bad of ['', '  ', undefined, null, 7, 'x'.repeat(513)]) {
      expect(() => tenantFilter(bad as string, 'search')).toThrow(MemoryStoreError);
    }
    expect(() => tenantFilter('u1', 'search', { conversationId: '' })).toThrow(/conversation id/);
  });
});

describe('scopeFilter', () => {
  it('adds the end-user condition right after the tenant condition', () => {
    expect(scopeFilter({ userId: 'u1', endUser: 'alice' }, 'search', { conversationId: 'c' })).toEqual({
      must: [
        { key: 'user_id', match: { value: 'u1' } },
        { key: 'end_user', match: { value: 'alice' } },
        { key: 'conversation_id', match: { value: 'c' } },
      ],
    });
  });

  it('scopes the account itself to points without an end user, never to every point', () => {
    const own = { must: [{ key: 'user_id', match: { value: 'u1' } }, { is_empty: { key: 'end_user' } }] };
    expect(scopeFilter({ userId: 'u1', endUser: undefined }, 'count')).toEqual(own);
    expect(scopeFilter('u1', 'count')).toEqual(own);
  });

  it('refuses a blank or absurdly long end user rather than widening to the account', () => {
    for (const bad of ['', '  ', 'x'.repeat(513)]) {
      expect(() => scopeFilter({ userId: 'u1', endUser: bad }, 'search')).toThrow(/end user/);
    }
    expect(() => scopeFilter({ userId: '', endUser: 'alice' }, 'search')).toThrow(/user id/);
  });
});
