import { describe, expect, it } from 'vitest';
import { MemoryStoreError } from './memory-store-error.ts';
import { tenantFilter } from './tenant-filter.ts';

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
