import { describe, expect, it } from 'vitest';
import { chunkText } from './chunk-text.ts';

const sentences = (n: number, prefix = 'Sentence'): string =>
  Array.from({ length: n }, (_, i) => `${prefix} number ${i} says something.`).join(' ');

describe('chunkText', () => {
  it.each([
    ['', []],
    ['  \n\t ', []],
    ['  short text  ', ['short text']],
  ])('%j', (text, expected) => {
    expect(chunkText(text, { maxChars: 100, overlapChars: 10 })).toEqual(expected);
  });

  it('keeps every chunk within maxChars and loses no sentence', () => {
    const text = sentences(60);
    const chunks = chunkText(text, { maxChars: 200, overlapChars: 50 });
    expect(chunks.length).toBeGreaterThan(5);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(200);
    for (let i = 0; i < 60; i++) expect(chunks.some((c) => c.includes(`Sentence number ${i} says something.`))).toBe(true);
  });

  it('cuts on sentence ends, never mid-sentence, when sentences fit', () => {
    for (const chunk of chunkText(sentences(40), { maxChars: 150, overlapChars: 0 })) {
      expect(chunk).toMatch(/^Sentence number \d+ .*something\.$/);
    }
  });

  it('prefers paragraph breaks', () => {
    const paragraph = (tag: string): string => sentences(3, tag);
    const text = [paragraph('Alpha'), paragraph('Beta'), paragraph('Gamma')].join('\n\n');
    const chunks = chunkText(text, { maxChars: paragraph('Alpha').length + 20, overlapChars: 0 });
    expect(chunks).toEqual([paragraph('Alpha'), paragraph('Beta'), paragraph('Gamma')]);
  });

  it('repeats whole trailing sentences of up to overlapChars at the start of the next chunk', () => {
    const chunks = chunkText(sentences(20), { maxChars: 120, overlapChars: 40 });
    for (let i = 1; i < chunks.length; i++) {
      const head = chunks[i]?.match(/^Sentence number \d+ says something\./)?.[0] ?? '';
      expect(head).not.toBe('');
      expect(chunks[i - 1]?.endsWith(head)).toBe(true);
    }
    const none = chunkText(sentences(20), { maxChars: 120, overlapChars: 0 });
    expect(none.join(' ')).toBe(sentences(20));
  });

  it('falls back to words, then to hard cuts for a single over-long word', () => {
    const words = Array.from({ length: 50 }, (_, i) => `w${i}`).join(' ');
    const byWords = chunkText(words, { maxChars: 20, overlapChars: 0 });
    expect(byWords.join(' ')).toBe(words);
    for (const chunk of byWords) expect(chunk).toMatch(/^(w\d+ ?)+$/);
    const blob = 'x'.repeat(95);
    expect(chunkText(blob, { maxChars: 20, overlapChars: 5 })).toEqual([
      'x'.repeat(20),
      'x'.repeat(20),
      'x'.repeat(20),
      'x'.repeat(20),
      'x'.repeat(15),
    ]);
  });

  it('never splits a surrogate pair', () => {
    const emoji = '😀'.repeat(30);
    const chunks = chunkText(emoji, { maxChars: 7, overlapChars: 0 });
    expect(chunks.join('')).toBe(emoji);
    for (const chunk of chunks) expect(chunk).toBe('😀'.repeat(chunk.length / 2));
  });

  it('is deterministic', () => {
    const text = `${sentences(30)}\n\n${sentences(30, 'Other')}`;
    expect(chunkText(text, { maxChars: 180, overlapChars: 60 })).toEqual(chunkText(text, { maxChars: 180, overlapChars: 60 }));
  });

  it.each([
    [{ maxChars: 0, overlapChars: 0 }, /maxChars must be a positive integer/],
    [{ maxChars: 1.5, overlapChars: 0 }, /maxChars must be a positive integer/],
    [{ maxChars: 100, overlapChars: 51 }, /overlapChars must be an integer from 0 to maxChars \/ 2 \(50\), got 51/],
    [{ maxChars: 100, overlapChars: -1 }, /overlapChars/],
  ])('rejects %j', (options, message) => {
    expect(() => chunkText('text', options)).toThrow(message);
  });
});
