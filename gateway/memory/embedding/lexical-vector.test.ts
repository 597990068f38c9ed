import { describe, expect, it } from 'vitest';
import { documentLexicalVector, forEachTerm, queryLexicalVector, termIndex } from './lexical-vector.ts';

function terms(text: string): string[] {
  const out: string[] = [];
  forEachTerm(text, (t) => out.push(t));
  return out;
}

function weightOf(vector: { indices: number[]; values: number[] }, term: string): number | undefined {
  const at = vector.indices.indexOf(termIndex(term));
  return at === -1 ? undefined : vector.values[at];
}

describe('lexical terms', () => {
  it('are the stems of content words: stop words, single letters and punctuation dropped', () => {
    expect(terms("What's my sister's favourite allergy? I don't know, a B-movie!")).toEqual([
      'sister',
      'favourit',
      'allergi',
      'know',
      'movi',
    ]);
    expect(terms('allergies')).toEqual(terms('allergy'));
  });

  it('index scripts without spaces as character bigrams, and other scripts by word', () => {
    expect(terms('東京タワー')).toEqual(['東京', '京タ', 'タワ', 'ワー']);
    expect(terms('猫')).toEqual(['猫']);
    expect(terms('Привет Мир')).toEqual(['привет', 'мир']);
  });

  it('give nothing for text without words (emoji, punctuation, stop words only)', () => {
    expect(terms('🎉🎉 !!! ...')).toEqual([]);
    expect(queryLexicalVector('who am I?')).toEqual({ indices: [], values: [] });
    expect(documentLexicalVector('')).toEqual({ indices: [], values: [] });
  });
});

describe('termIndex', () => {
  it("is stable, and within Qdrant's unsigned 32-bit sparse index space (below 2^31)", () => {
    expect(termIndex('okafor')).toBe(termIndex('okafor'));
    expect(termIndex('okafor')).not.toBe(termIndex('singh'));
    for (const term of ['a', 'sister', '東京', 'x'.repeat(1000)]) {
      const index = termIndex(term);
      expect(Number.isInteger(index) && index >= 0 && index < 2 ** 31).toBe(true);
    }
  });
});

describe('sparse vectors', () => {
  it('have distinct ascending indices and one positive weight each', () => {
    const v = documentLexicalVector('Caroline met Caroline at the pottery class; pottery again next week with Caroline.');
    expect(v.indices.length).toBe(v.values.length);
    expect([...v.indices].sort((a, b) => a - b)).toEqual(v.indices);
    expect(new Set(v.indices).size).toBe(v.indices.length);
    expect(v.values.every((x) => Number.isFinite(x) && x > 0)).toBe(true);
  });

  it('saturate repeated words in a document (BM25): three mentions weigh more than one, far less than three times', () => {
    const once = weightOf(documentLexicalVector('Caroline likes pottery'), 'carolin') ?? 0;
    const thrice = weightOf(documentLexicalVector('Caroline Caroline Caroline'), 'carolin') ?? 0;
    expect(thrice).toBeGreaterThan(once);
    expect(thrice).toBeLessThan(2.2 * once);
  });

  it('weigh a word less in a long memory than in a short one (length normalisation)', () => {
    const short = weightOf(documentLexicalVector('Okafor is my doctor'), 'okafor') ?? 0;
    const long = weightOf(documentLexicalVector(`Okafor ${'weather garden holiday recipe '.repeat(10)}`), 'okafor') ?? 0;
    expect(long).toBeLessThan(short);
  });

  it('count each query term once, whatever it repeats', () => {
    const q = queryLexicalVector('pottery pottery class?');
    expect(q.values).toEqual([1, 1]);
    expect(weightOf(q, 'potteri')).toBe(1);
  });
});
