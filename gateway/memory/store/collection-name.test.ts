import { describe, expect, it } from 'vitest';
import { collectionName, denseOnlyCollectionName, previousCollectionNames, slug } from './collection-name.ts';

describe('collectionName', () => {
  it('is base__slug__dimension__schema', () => {
    expect(collectionName('conversations', 'builtin-hash-v1', 384)).toBe('conversations__builtin-hash-v1__384__hybrid-v1');
    expect(collectionName('conversations', 'builtin-hash-v1~1a2b', 384)).toBe('conversations__builtin-hash-v1-1a2b__384__hybrid-v1');
    expect(collectionName('mem', 'openai:text-embedding-3-small', 512)).toBe('mem__openai-text-embedding-3-small__512__hybrid-v1');
  });

  it('names the dense-only collection of the same space (before hybrid recall) as the one to migrate from', () => {
    expect(denseOnlyCollectionName('conversations', 'builtin-hash-v1', 384)).toBe('conversations__builtin-hash-v1__384');
    expect(previousCollectionNames('conversations', 'builtin-hash-v1', 384)).toEqual(['conversations__builtin-hash-v1__384']);
    expect(previousCollectionNames('c', 'a', 384)).not.toContain(collectionName('c', 'a', 384));
  });

  it('changes with the model and with the dimension, so vector spaces never mix', () => {
    const names = new Set([collectionName('c', 'a', 384), collectionName('c', 'a', 768), collectionName('c', 'b', 384)]);
    expect(names.size).toBe(3);
  });

  it('keeps long ids short and still distinct', () => {
    const long = 'x'.repeat(100);
    expect(slug(long).length).toBeLessThanOrEqual(64);
    expect(slug(`${long}1`)).not.toBe(slug(`${long}2`));
  });

  it('refuses ids without letters or digits, bad base names and bad dimensions', () => {
    expect(() => slug('::')).toThrow(/no letters or digits/);
    expect(() => collectionName('', 'm', 4)).toThrow(/base name/);
    expect(() => collectionName('a/b', 'm', 4)).toThrow(/base name/);
    expect(() => collectionName('c', 'm', 0)).toThrow(/positive integer/);
    expect(() => collectionName('c', 'm', 1.5)).toThrow(/positive integer/);
  });
});
