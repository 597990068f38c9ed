import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { contentHash } from './content-hash.ts';
import { normaliseForComparison } from './normalise-text.ts';

describe('contentHash', () => {
  it('is SHA-256 hex of the UTF-8 text, as the store computes content_hash', () => {
    expect(contentHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(contentHash('Ünïcode 漢字')).toBe(createHash('sha256').update('Ünïcode 漢字').digest('hex'));
  });

  it('tells apart texts that differ at all', () => {
    expect(contentHash("I'm not allergic.")).not.toBe(contentHash("I'm NOT allergic."));
  });
});

describe('normaliseForComparison', () => {
  it.each([
    ["I'm allergic to PEANUTS!", 'i m allergic to peanuts'],
    ['  spaced\n\tout  ', 'spaced out'],
    ['ＦＵＬＬ　ｗｉｄｔｈ', 'full width'],
    ['?!…', ''],
  ])('%j -> %j', (text, expected) => {
    expect(normaliseForComparison(text)).toBe(expected);
  });
});
