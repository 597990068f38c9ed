// The loopback HTTP server under the provider stubs (openai-upstream.ts, anthropic-upstream.ts):
// it records every request, serves the scripted failures (hang, failFirst) before any protocol
// logic, tells a client abort from a cut the script asked for, and closes without waiting for
// requests left hanging. Each stub supplies its protocol: routes, validation and error JSON.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON, or the raw text when it was not JSON, or undefined without a body. */
  body: unknown;
  /** Which TCP connection carried it (1, 2, ...): equal numbers mean a reused keep-alive connection. */
  connection: number;
}

/** The knobs every stub honours before its protocol sees the request. */
export interface ScriptedFailures {
  /** Answer the first `count` requests with `status` (the provider's error JSON), then behave. */
  failFirst?: { count: number; status: number; retryAfter?: string };
  /** Never answer: headers are never sent. */
  hang?: boolean;
}

export interface UpstreamStub<Behaviour> {
  url: string;
  requests: RecordedRequest[];
  /** Mutable: tests may change it between requests. */
  behaviour: Behaviour;
  /** Requests whose client closed the connection before the response was complete. */
  readonly clientAborts: number;
  /** Resolves once a client abort has been seen (immediately when one already was). */
  waitForClientAbort(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A request that got past the scripted failures, for the stub's protocol to answer. */
export interface StubExchange<Behaviour> {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  /** As recorded: parsed JSON, raw text, or undefined. */
  body: unknown;
  /** The behaviour in force when the request arrived. */
  behaviour: Behaviour;
  /** Marks the connection as cut on purpose, so it does not count as a client abort. */
  markCut: () => void;
  /** A pause that ends early when the stub closes. */
  pause: (ms: number) => Promise<void>;
}

export interface ScriptedFailure {
  status: number;
  message: string;
  headers: Record<string, string>;
}

export interface UpstreamStubOptions<Behaviour> {
  initial: Behaviour;
  /** Appended to the server's origin to give the base URL in the SDK's convention. */
  basePath: string;
  /** Answers the request; what it throws before sending headers goes to `sendThrown`. */
  handle: (exchange: StubExchange<Behaviour>) => Promise<void>;
  /** Sends a failFirst failure as the provider's error JSON. */
  sendFailure: (res: http.ServerResponse, failure: ScriptedFailure) => void;
  /** Sends the provider's error JSON for what `handle` threw. */
  sendThrown: (res: http.ServerResponse, err: unknown) => void;
}

export type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function writeJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Splits text into `n` pieces on word boundaries (one per word by default); joined they are the text. */
export function splitReply(text: string, n: number | undefined): string[] {
  const words = text.match(/\S+\s*/g) ?? [text];
  const count = Math.max(1, Math.min(n ?? words.length, words.length));
  const size = Math.ceil(words.length / count);
  const pieces: string[] = [];
  for (let i = 0; i < words.length; i += size) pieces.push(words.slice(i, i + size).join(''));
  return pieces;
}

export interface EventStreamScript {
  /** Response headers besides the SSE ones (the provider's request id). */
  headers: Record<string, string>;
  /** Destroy the connection instead of sending the frame with this index. */
  cutAfter: number | undefined;
  /** Pause before each frame. */
  delayMs: number | undefined;
  /** Sent with the end of the response, after the last frame. */
  trailer: string;
}

/** Writes ready-made SSE frames, with the pauses and the cut the script asks for. */
export async function writeEventStream(exchange: StubExchange<unknown>, frames: string[], script: EventStreamScript): Promise<void> {
  const { res, markCut, pause } = exchange;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...script.headers });
  res.flushHeaders();
  for (const [i, frame] of frames.entries()) {
    if (script.cutAfter !== undefined && i >= script.cutAfter) {
      markCut();
      // Let what was written reach the client first, so the cut falls after those bytes.
      await pause(50);
      res.socket?.destroy();
      return;
    }
    if (script.delayMs) await pause(script.delayMs);
    if (res.destroyed) return;
    res.write(frame);
  }
  res.end(script.trailer);
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export async function startUpstreamStub<Behaviour extends ScriptedFailures>(
  options: UpstreamStubOptions<Behaviour>,
): Promise<UpstreamStub<Behaviour>> {
  const requests: RecordedRequest[] = [];
  let clientAborts = 0;
  let failuresServed = 0;
  let connectionCount = 0;
  const abortWaiters: (() => void)[] = [];
  const closing = new AbortController();
  const connectionIds = new WeakMap<object, number>();
  const pause = (ms: number): Promise<void> => sleep(ms, undefined, { signal: closing.signal });
  const stub = { behaviour: options.initial };

  function watchAbort(res: http.ServerResponse): () => void {
    let cut = false;
    res.on('close', () => {
      if (res.writableEnded || cut) return;
      clientAborts++;
      for (const wake of abortWaiters.splice(0)) wake();
    });
    return () => {
      cut = true;
    };
  }

  /** Serves a scripted failure when one is due; true when it did. */
  function scriptedFailure(res: http.ServerResponse): boolean {
    const fail = stub.behaviour.failFirst;
    if (!fail || failuresServed >= fail.count) return false;
    failuresServed++;
    options.sendFailure(res, {
      status: fail.status,
      message: `Stub failure ${failuresServed} (HTTP ${fail.status}).`,
      headers: fail.retryAfter ? { 'retry-after': fail.retryAfter } : {},
    });
    return true;
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse, markCut: () => void): Promise<void> {
    const body = parseBody(await readBody(req));
    requests.push({
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body,
      connection: connectionIds.get(req.socket) ?? 0,
    });
    const behaviour = stub.behaviour;
    if (behaviour.hang || scriptedFailure(res)) return;
    await options.handle({ req, res, body, behaviour, markCut, pause });
  }

  const server = http.createServer((req, res) => {
    const markCut = watchAbort(res);
    route(req, res, markCut).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      options.sendThrown(res, err);
    });
  });
  server.on('connection', (socket) => {
    connectionIds.set(socket, ++connectionCount);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${options.basePath}`,
    requests,
    get behaviour() {
      return stub.behaviour;
    },
    /** Replacing the behaviour also restarts the failFirst count. */
    set behaviour(next: Behaviour) {
      stub.behaviour = next;
      failuresServed = 0;
    },
    get clientAborts() {
      return clientAborts;
    },
    async waitForClientAbort(timeoutMs = 5_000) {
      if (clientAborts > 0) return;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`no client abort within ${timeoutMs} ms`));
        }, timeoutMs);
        abortWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    async close() {
      closing.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}
