// The text retrieval embeds for a chat request: what the user is asking now.
//
// It is the latest user turn's text (a string or its text parts), without any echoed memory
// block. Earlier turns are left out on purpose: mem0's proxy embeds the last six messages, which
// blurs the query towards whatever the conversation was about before. The exception is a very
// short turn ("and her?", "why?", "yes please") that means nothing alone: then the tail of the
// message before it is prepended, enough to say what "her" or "yes" refers to. A huge turn (a
// pasted document) is cut to its beginning and end, where the request usually is.
import type { ChatMessage } from '../../protocols/openai/types.ts';
import { contentText } from '../text/message-text.ts';
import { stripInjected } from './strip-injected.ts';

/** A turn with fewer words than this borrows context from the message before it. */
export const SHORT_TURN_WORDS = 4;
/** Most characters borrowed from the previous message (its end, from a word boundary). */
export const CONTEXT_CHARS = 200;
/** Longest query; a longer turn keeps its first and last halves of this. */
export const MAX_QUERY_CHARS = 2000;

const WORDS = /\S+/g;

function textOf(message: ChatMessage | undefined): string {
  return message ? stripInjected(contentText(message.content)).trim() : '';
}

function tail(text: string, chars: number): string {
  if (text.length <= chars) return text;
  const cut = text.slice(-chars);
  const space = cut.search(/\s/);
  return (space === -1 ? cut : cut.slice(space)).trim();
}

function clip(text: string): string {
  if (text.length <= MAX_QUERY_CHARS) return text;
  const half = MAX_QUERY_CHARS / 2;
  return `${text.slice(0, half)}\n…\n${text.slice(-half)}`;
}

/** The query text; '' when the request has no user text (then there is nothing to retrieve for). */
export function queryFromMessages(messages: readonly ChatMessage[]): string {
  const last = messages.findLastIndex((m) => m.role === 'user');
  if (last === -1) return '';
  const text = textOf(messages[last]);
  if (text === '') return '';
  if ((text.match(WORDS)?.length ?? 0) >= SHORT_TURN_WORDS) return clip(text);
  const before = messages.slice(0, last).findLast((m) => m.role === 'user' || m.role === 'assistant');
  const context = tail(textOf(before), CONTEXT_CHARS);
  return context === '' ? text : `${context}\n${text}`;
}
