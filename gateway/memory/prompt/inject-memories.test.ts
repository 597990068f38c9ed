import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../protocols/openai/types.ts';
import { injectionIndex, injectMemories } from './inject-memories.ts';
import { formatMemoryBlock } from './memory-block.ts';

const memories = [{ text: "My sister's name is Priya.", createdAt: Date.UTC(2026, 0, 2), role: 'user' as const }];
const memoryMessage = { role: 'system', content: formatMemoryBlock(memories) };

const system: ChatMessage = { role: 'system', content: 'You are a helpful assistant. Be brief.' };
const developer: ChatMessage = { role: 'developer', content: [{ type: 'text', text: 'Answer in English.' }] };
const user: ChatMessage = { role: 'user', content: 'What is my sister called?' };
const assistant: ChatMessage = { role: 'assistant', content: 'Let me check.' };
const lateSystem: ChatMessage = { role: 'system', content: 'A mid-conversation instruction.' };

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

describe('injectMemories', () => {
  const block = formatMemoryBlock(memories);

  it.each<[string, ChatMessage[], number]>([
    ['after the system prompt', [system, user], 1],
    ['after system and developer messages', [system, developer, user], 2],
    ['first when there is no system prompt', [user], 0],
    ['after the leading run only, not after a later system message', [system, user, assistant, lateSystem, user], 1],
    ['at the end of a system-only request', [system, developer], 2],
    ['into an empty request', [], 0],
  ])('finds the injection point %s', (_name, messages, at) => {
    expect(injectionIndex(messages)).toBe(at);
  });

  it('appends the block to the last leading system message, so one-system-message chat templates still work', () => {
    const out = injectMemories([system, user], memories);
    expect(out).toEqual([{ role: 'system', content: `You are a helpful assistant. Be brief.\n\n${block}` }, user]);
  });

  it('appends a text part to a developer message made of parts', () => {
    const out = injectMemories([system, developer, user], memories);
    expect(out[0]).toBe(system);
    expect(out[1]).toEqual({
      role: 'developer',
      content: [
        { type: 'text', text: 'Answer in English.' },
        { type: 'text', text: `\n\n${block}` },
      ],
    });
    expect(out[2]).toBe(user);
  });

  it('leaves later system messages alone', () => {
    const out = injectMemories([system, user, assistant, lateSystem, user], memories);
    expect(out.slice(1)).toEqual([user, assistant, lateSystem, user]);
  });

  it('adds a system message first when the request has none', () => {
    expect(injectMemories([user], memories)).toEqual([memoryMessage, user]);
    expect(injectMemories([], memories)).toEqual([memoryMessage]);
  });

  it('keeps the static prefix byte-identical, so provider prompt caches still hit', () => {
    const first = injectMemories([system, user], memories);
    const second = injectMemories([system, user], [{ text: 'a different memory this turn' }]);
    for (const out of [first, second]) expect(out[0]?.content).toMatch(/^You are a helpful assistant\. Be brief\.\n\n<perpetual-memory>/);
    expect(first[0]?.content).not.toEqual(second[0]?.content);
  });

  it("never modifies the caller's array or messages", () => {
    const messages = deepFreeze([system, user]);
    const before = JSON.stringify(messages);
    const out = injectMemories(messages, memories);
    expect(out).not.toBe(messages);
    expect(JSON.stringify(messages)).toBe(before);
    expect(out[1]).toBe(messages[1]);
  });

  it('returns a copy, unchanged, when there is nothing to inject', () => {
    const messages = [system, user];
    const out = injectMemories(messages, []);
    expect(out).toEqual(messages);
    expect(out).not.toBe(messages);
  });
});
