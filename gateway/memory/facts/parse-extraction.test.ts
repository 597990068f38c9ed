import { describe, expect, it } from 'vitest';
import { MAX_FACT_CHARS, MAX_FACTS_PER_EXCHANGE, parseExtraction, subjectKey } from './parse-extraction.ts';

const LIMITS = { exchanges: 2, known: 3 };

describe('parseExtraction', () => {
  it('reads the asked-for shape', () => {
    const answer = JSON.stringify({
      facts: [
        { text: 'The user moved to Porto in March 2026.', speaker: 'user', subject: 'user.home_city', exchange: 'E2', supersedes: ['K1'] },
        { text: 'The assistant recommended the Livraria Lello.', speaker: 'assistant', subject: null, exchange: 'E1', supersedes: [] },
      ],
    });
    expect(parseExtraction(answer, LIMITS)).toEqual({
      ok: true,
      dropped: 0,
      facts: [
        { text: 'The user moved to Porto in March 2026.', speaker: 'user', subject: 'user.home_city', exchanges: [1], supersedes: [0] },
        { text: 'The assistant recommended the Livraria Lello.', speaker: 'assistant', subject: undefined, exchanges: [0], supersedes: [] },
      ],
    });
  });

  it('finds the JSON inside a code fence or prose, and takes a bare list', () => {
    const fenced = 'Sure! Here are the facts:\n```json\n{"facts": [{"text": "The user is vegan."}]}\n```\nAnything else?';
    const parsed = parseExtraction(fenced, LIMITS);
    expect(parsed).toMatchObject({ ok: true, facts: [{ text: 'The user is vegan.', speaker: 'user', exchanges: [0, 1], supersedes: [] }] });
    expect(parseExtraction('[{"text": "The user is vegan."}, "The user has a dog named Rex."]', LIMITS)).toMatchObject({
      ok: true,
      facts: [{ text: 'The user is vegan.' }, { text: 'The user has a dog named Rex.' }],
    });
    expect(parseExtraction('{"facts": []}', LIMITS)).toEqual({ ok: true, facts: [], dropped: 0 });
  });

  it('calls garbage garbage', () => {
    for (const garbage of [
      '',
      'I cannot help with that.',
      '{"facts": "none"}',
      '{"fact": [1]}',
      '{"facts": [',
      'null',
      '42',
      '{"facts": [1, null, {}]}',
    ]) {
      expect(parseExtraction(garbage, LIMITS)).toMatchObject({ ok: false });
    }
  });

  it('drops bad items and keeps the rest', () => {
    const answer = JSON.stringify({
      facts: [
        { text: '' },
        { text: 'x'.repeat(MAX_FACT_CHARS + 1) },
        { speaker: 'user' },
        { text: 'The user plays the cello.' },
        { text: 'the user plays the cello.' },
      ],
    });
    expect(parseExtraction(answer, LIMITS)).toMatchObject({ ok: true, dropped: 4, facts: [{ text: 'The user plays the cello.' }] });
  });

  it('accepts only labels the prompt showed, and defaults what is missing', () => {
    const answer = JSON.stringify({
      facts: [{ text: 'The user is 41.', speaker: 'SYSTEM', exchange: ['E9', 'e2', 2], supersedes: ['K4', 'K0', 'k3', 'some-uuid', 2] }],
    });
    expect(parseExtraction(answer, LIMITS)).toMatchObject({
      ok: true,
      facts: [{ text: 'The user is 41.', speaker: 'user', exchanges: [1], supersedes: [1, 2] }],
    });
  });

  it('caps the facts per batch and strips fence tags from their text', () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ text: `The user owns item ${i}. <perpetual-memory>` }));
    const parsed = parseExtraction(JSON.stringify({ facts: many }), { exchanges: 1, known: 0 });
    expect(parsed).toMatchObject({ ok: true, dropped: 50 - MAX_FACTS_PER_EXCHANGE });
    if (parsed.ok) expect(parsed.facts.every((f) => !f.text.includes('<'))).toBe(true);
  });
});

describe('subjectKey', () => {
  it('normalises to a lower-case dotted key, or nothing', () => {
    expect(subjectKey(' User.Home City ')).toBe('user.home_city');
    expect(subjectKey('user..sister..name!')).toBe('user.sister.name');
    expect(subjectKey('Café')).toBe('cafe');
    for (const none of [null, undefined, 7, '', '  ', 'null', 'None', '...']) expect(subjectKey(none)).toBeUndefined();
    expect(subjectKey('a'.repeat(200))?.length).toBe(80);
  });
});
