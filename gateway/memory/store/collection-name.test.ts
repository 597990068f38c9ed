import { describe, expect, it } from 'vitest';
import { collectionName, slug } from './collection-name.ts';

describe('collectionName', () => {
  it('is base__slug__dimension', () => {
    expect(collectionName('conversations', 'builtin-hash-v1', 384)).toBe('conversations__builtin-hash-v1__384');
    expect(collectionName('conversations', 'builtin-hash-v1~1a2b', 384)).toBe('conversations__builtin-hash-v1-1a2b__384');
    expect(collectionName('mem', 'openai:text-embedding-3-small', 512)).toBe('mem__openai-text-embedding-3-small__512');
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
