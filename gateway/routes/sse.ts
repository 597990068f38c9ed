// Server-sent events as OpenAI streams them: `data: <json>\n\n` per chunk, `data: [DONE]\n\n` at
// the end, comment lines as keep-alives. Writes respect backpressure, so a slow client slows the
// upstream read instead of growing our memory.
import { once } from 'node:events';
import type { Response } from 'express';
import { setSafeHeaders } from '../middleware/safe-headers.ts';

export function startEventStream(res: Response, headers: Record<string, string> = {}): void {
  res.status(200);
  res.setHeader('content-type', 'text/event-stream; charset=utf-8');
  res.setHeader('cache-control', 'no-cache');
  res.setHeader('connection', 'keep-alive');
  // Tells nginx-style proxies not to buffer the stream.
  res.setHeader('x-accel-buffering', 'no');
  // Values may echo the request (the model name): made safe, so starting a stream cannot throw.
  setSafeHeaders(res, headers);
  res.flushHeaders();
}

async function write(res: Response, text: string): Promise<void> {
  if (res.writableEnded || res.destroyed) return;
  if (!res.write(text)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
}

export async function writeEvent(res: Response, data: unknown, event?: string): Promise<void> {
  await write(res, `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
}

export async function writeDone(res: Response): Promise<void> {
  await write(res, 'data: [DONE]\n\n');
}

/**
 * Sends `comment` (an SSE comment line, which SDKs ignore) every `intervalMs` until stopped, and at
 * once with `now`: keeps idle connections from timing out.
 */
export function keepAlive(res: Response, intervalMs: number, options: { comment?: string; now?: boolean } = {}): () => void {
  const text = `: ${options.comment ?? 'keep-alive'}\n\n`;
  const tick = (): void => {
    if (!res.writableEnded && !res.destroyed) res.write(text);
  };
  if (options.now) tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
  };
}
