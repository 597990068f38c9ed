import { describe, expect, it } from 'vitest';
import { stem } from './stem.ts';

describe('stem', () => {
  it.each([
    // Inflections of one word meet.
    [['allergy', 'allergies'], 'allergi'],
    [['move', 'moved', 'moving', 'moves'], 'mov'],
    [['live', 'lives', 'lived', 'living'], 'liv'],
    [['run', 'running'], 'run'],
    [['happy', 'happily'], 'happi'],
    [['sister', 'sisters'], 'sister'],
    [['call', 'called', 'calling', 'calls'], 'call'],
    [['class', 'classes'], 'class'],
  ])('%j -> %s', (forms, expected) => {
    for (const form of forms) expect(stem(form)).toBe(expected);
  });

  it.each([
    ['bus', 'bus'],
    ['analysis', 'analysis'],
    ['red', 'red'],
    ['sing', 'sing'],
    ['2021', '2021'],
    ['café', 'café'],
    ['москва', 'москва'],
  ])('leaves %s as %s', (word, expected) => {
    expect(stem(word)).toBe(expected);
  });
});
