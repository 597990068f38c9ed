// The text of a chat message's content, whichever shape the client used: a string, or parts of
// which only the text parts count (images, audio and files are not remembered as text).
import type { ChatMessage } from '../../protocols/openai/types.ts';

export function contentText(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const texts: string[] = [];
  for (const part of content) {
    if (part.type === 'text') texts.push(part.text);
  }
  return texts.join('\n');
}
