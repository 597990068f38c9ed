// Ids of responses and their items. A response id is the only key to a stored conversation that a
// client holds, so it is random and long enough not to be guessed; item ids derive from it, so a
// response's items can be named without more randomness (and translation stays pure).
import { randomBytes } from 'node:crypto';
import type { ItemIds } from './input-items.ts';

export function newResponseId(): string {
  return `resp_${randomBytes(24).toString('hex')}`;
}

function seedOf(responseId: string): string {
  return responseId.startsWith('resp_') ? responseId.slice('resp_'.length) : responseId;
}

/** Ids for the items of a request's input. */
export function inputItemIds(responseId: string): ItemIds {
  const seed = seedOf(responseId);
  return (kind, n) => `${kind}_${seed}_in${n}`;
}

/** Ids for the items a response outputs: its message, and its function calls by their index. */
export function outputItemIds(responseId: string): ItemIds {
  const seed = seedOf(responseId);
  return (kind, n) => `${kind}_${seed}_out${n}`;
}
