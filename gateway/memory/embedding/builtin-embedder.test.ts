import { describe, expect, it } from 'vitest';
import { BUILTIN_EMBEDDER_ID, createBuiltinEmbedder } from './builtin-embedder.ts';
import { fnv1a } from '../../hashing/fnv1a.ts';
import { dot } from './vector.ts';

const embedder = createBuiltinEmbedder();
const vec = (text: string): Float32Array => embedder.embedOne(text);
const sim = (a: string, b: string): number => dot(vec(a), vec(b));

/** A digest of the vector rounded to 1e-4, so any change to the features shows up here. */
function signature(text: string): string {
  return fnv1a(Array.from(vec(text), (x) => Math.round(x * 1e4)).join(',')).toString(16);
}

describe('built-in embedder', () => {
  it('is named builtin-hash-v1 and gives 512-dimensional unit vectors', async () => {
    expect(embedder.id).toBe(BUILTIN_EMBEDDER_ID);
    expect(embedder.id).toBe('builtin-hash-v1');
    const vectors = await embedder.embed(['My sister is called Priya.', 'short', 'Ünïcödé ТЕКСТ 漢字'], {});
    expect(vectors).toHaveLength(3);
    for (const v of vectors) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v).toHaveLength(512);
      expect(dot(v, v)).toBeCloseTo(1, 5);
    }
  });

  it('keeps its vectors fixed: a change here must come with a new BUILTIN_EMBEDDER_ID (the id names the Qdrant collection)', () => {
    expect({
      id: embedder.id,
      a: signature("My sister's name is Priya."),
      b: signature('我喜欢喝绿茶'),
      c: signature('who am I?'),
    }).toEqual({
      id: 'builtin-hash-v1',
      a: 'ed745e49',
      b: '3c1c3618',
      c: 'b43c5fa8',
    });
  });

  it('is deterministic across instances and independent of what was embedded before', () => {
    const other = createBuiltinEmbedder();
    other.embedOne('a long text about something else entirely '.repeat(200));
    expect(Array.from(other.embedOne('I moved to Lisbon in 2021.'))).toEqual(Array.from(vec('I moved to Lisbon in 2021.')));
  });

  it('returns the zero vector for text without features, and still embeds stop-word-only text', () => {
    expect(vec('').every((x) => x === 0)).toBe(true);
    expect(vec('?!… 🎉').every((x) => x === 0)).toBe(true);
    expect(dot(vec('who am I?'), vec('who am I?'))).toBeCloseTo(1, 5);
  });

  it('ignores case, punctuation and stop words', () => {
    expect(sim('My SISTER is called Priya!!', 'sister called priya')).toBeCloseTo(1, 5);
  });

  it('ranks a text sharing word stems above unrelated ones', () => {
    const query = "What's my sister called?";
    const fact = "My sister's name is Priya.";
    for (const other of ['The weather in Lisbon has been awful.', 'How do I fix a slow laptop?', 'I had sushi for lunch today.']) {
      expect(sim(query, fact)).toBeGreaterThan(sim(query, other) + 0.1);
    }
  });

  it('matches inflections through the stemmer and character n-grams', () => {
    expect(sim('Do I have any allergies?', "I'm allergic to peanuts.")).toBeGreaterThan(
      sim('Do I have any allergies?', 'I love peanuts and cashews.'),
    );
    expect(sim('Where am I living these days?', 'I have lived in Berlin since 2019.')).toBeGreaterThan(0.15);
  });

  it('survives typos through character n-grams', () => {
    const typo = sim('my sistre Priya', 'my sister Priya');
    const wordsOnly = createBuiltinEmbedder({ charGramWeight: 0 });
    expect(typo).toBeGreaterThan(dot(wordsOnly.embedOne('my sistre Priya'), wordsOnly.embedOne('my sister Priya')));
    expect(sim('remind me about my sistre', 'my sister')).toBeGreaterThan(sim('remind me about my sistre', 'my laptop is slow') + 0.1);
  });

  it('relates texts in scripts without spaces through short character n-grams', () => {
    expect(sim('我喜欢喝绿茶', '我喜欢绿茶吗')).toBeGreaterThan(sim('我喜欢喝绿茶', '今天天气很好') + 0.1);
  });

  it('keeps its id for another dimension and changes it for other features', () => {
    expect(createBuiltinEmbedder({ dimension: 256 }).id).toBe('builtin-hash-v1');
    expect(createBuiltinEmbedder({ dimension: 256 }).dimension).toBe(256);
    const custom = createBuiltinEmbedder({ charGramWeight: 0.5 });
    expect(custom.id).toMatch(/^builtin-hash-v1~[0-9a-f]+$/);
    expect(createBuiltinEmbedder({ charGramWeight: 0.5 }).id).toBe(custom.id);
    expect(createBuiltinEmbedder({ charGramWeight: 0.6 }).id).not.toBe(custom.id);
  });

  it('rejects impossible settings', () => {
    expect(() => createBuiltinEmbedder({ dimension: 4 })).toThrow(/dimension must be an integer of at least 8/);
    expect(() => createBuiltinEmbedder({ minGram: 4, maxGram: 3 })).toThrow(/n-gram range 4..3/);
    expect(() => createBuiltinEmbedder({ wordProbes: 0 })).toThrow(/wordProbes/);
  });

  it('embeds very long texts (the feature table grows) with unit norm', () => {
    const long = Array.from({ length: 20_000 }, (_, i) => `word${i}`).join(' ');
    const v = vec(long);
    expect(dot(v, v)).toBeCloseTo(1, 4);
  });

  it('honours an aborted signal', async () => {
    await expect(embedder.embed(['x'], { signal: AbortSignal.abort(new Error('gone')) })).rejects.toThrow('gone');
  });
});
