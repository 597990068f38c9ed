// A server-sent events parser (WHATWG "event stream interpretation") over a byte stream. Upstream
// chunk boundaries fall anywhere, including inside a UTF-8 sequence or between CR and LF.

export interface ServerSentEvent {
  /** The `event:` field, or undefined for unnamed events (OpenAI sends none, Anthropic names all). */
  event: string | undefined;
  data: string;
}

interface PendingEvent {
  event: string | undefined;
  data: string[];
}

function applyLine(line: string, pending: PendingEvent): void {
  if (line.startsWith(':')) return;
  const colon = line.indexOf(':');
  const field = colon === -1 ? line : line.slice(0, colon);
  let value = colon === -1 ? '' : line.slice(colon + 1);
  if (value.startsWith(' ')) value = value.slice(1);
  if (field === 'event') pending.event = value;
  else if (field === 'data') pending.data.push(value);
}

/** Splits complete lines off `buffer`; returns them and the unfinished tail. */
export function splitLines(buffer: string): { lines: string[]; rest: string } {
  const lines: string[] = [];
  let start = 0;
  for (let i = 0; i < buffer.length; i++) {
    const ch = buffer[i];
    if (ch !== '\n' && ch !== '\r') continue;
    // A CR at the very end may be the first half of CRLF: wait for the next chunk.
    if (ch === '\r' && i === buffer.length - 1) break;
    lines.push(buffer.slice(start, i));
    if (ch === '\r' && buffer[i + 1] === '\n') i++;
    start = i + 1;
  }
  return { lines, rest: buffer.slice(start) };
}

export async function* parseServerSentEvents(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let pending: PendingEvent = { event: undefined, data: [] };
  for await (const chunk of body) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    const { lines, rest } = splitLines(buffer);
    buffer = rest;
    for (const line of lines) {
      if (line !== '') {
        applyLine(line, pending);
        continue;
      }
      if (pending.data.length > 0) yield { event: pending.event, data: pending.data.join('\n') };
      pending = { event: undefined, data: [] };
    }
  }
  // Per the spec, an event not finished by a blank line when the stream ends is dropped: it may be
  // a truncated JSON document. Callers notice the missing terminator ([DONE], message_stop).
}
