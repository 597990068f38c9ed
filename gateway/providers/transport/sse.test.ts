import { describe, expect, it } from 'vitest';
import { parseServerSentEvents, splitLines } from './sse.ts';
import type { ServerSentEvent } from './sse.ts';

async function parse(chunks: (string | Uint8Array)[]): Promise<ServerSentEvent[]> {
  async function* source(): AsyncGenerator<string | Uint8Array> {
    for (const chunk of chunks) {
      await Promise.resolve();
      yield chunk;
    }
  }
  const events: ServerSentEvent[] = [];
  for await (const event of parseServerSentEvents(source())) events.push(event);
  return events;
}

describe('parseServerSentEvents', () => {
  it('reads named and unnamed events, skipping comments and unknown fields', async () => {
    const events = await parse([': keep-alive\n', 'event: ping\ndata: {"type":"ping"}\n\n', 'id: 3\ndata: hello\n\n']);
    expect(events).toEqual([
      { event: 'ping', data: '{"type":"ping"}' },
      { event: undefined, data: 'hello' },
    ]);
  });

  it('joins multi-line data and accepts CRLF, CR and LF, even when CRLF is split across chunks', async () => {
    const events = await parse(['data: a\r', '\ndata: b\r\r', 'data:c\n\n']);
    expect(events).toEqual([
      { event: undefined, data: 'a\nb' },
      { event: undefined, data: 'c' },
    ]);
  });

  it('decodes UTF-8 split inside a character', async () => {
    const bytes = new TextEncoder().encode('data: héllo\n\n');
    const events = await parse([bytes.slice(0, 8), bytes.slice(8)]);
    expect(events).toEqual([{ event: undefined, data: 'héllo' }]);
  });

  it('drops an event cut off by the end of the stream', async () => {
    expect(await parse(['data: [DONE]\n\n', 'data: {"trunc'])).toEqual([{ event: undefined, data: '[DONE]' }]);
  });
});

describe('splitLines', () => {
  it('keeps a trailing CR for the next chunk', () => {
    expect(splitLines('a\r\nb\r')).toEqual({ lines: ['a'], rest: 'b\r' });
  });
});
