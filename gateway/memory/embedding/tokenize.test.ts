import { describe, expect, it } from 'vitest';
import { words } from './tokenize.ts';

describe('words', () => {
  it.each([
    ['Hello, World!', ['hello', 'world']],
    ["My sister's name is Priya.", ['my', 'sister', 'name', 'is', 'priya']],
    ["I'm sure they're fine; we'd go, you'll see, I've been", ['i', 'sure', 'they', 'fine', 'we', 'go', 'you', 'see', 'i', 'been']],
    ["don't can’t won't", ['not', 'not', 'not']],
    ["O'Brien's car", ['obrien', 'car']],
    ['café naïve Ærø', ['café', 'naïve', 'ærø']],
    ['ＦＵＬＬ－ｗｉｄｔｈ １２３', ['full', 'width', '123']],
    ['e-mail: a.b@c.io 2021', ['e', 'mail', 'a', 'b', 'c', 'io', '2021']],
    ['Москва — столица', ['москва', 'столица']],
    ['我喜欢喝绿茶。今天', ['我喜欢喝绿茶', '今天']],
    ['  ...!!! 🎉 ', []],
    ['', []],
  ])('%j', (text, expected) => {
    expect(words(text)).toEqual(expected);
  });
});
