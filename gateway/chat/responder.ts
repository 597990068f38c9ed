// What the chat use case needs from the transport to answer one request, and nothing more: the
// use case decides what to send and when, the responder knows how it looks on the wire (a route
// binds one to its HTTP response and its dialect: OpenAI's or Anthropic's JSON, chunks and
// errors). Nothing here knows Express, so the use case is tested with a recording responder.
import type { GatewayError } from '../errors.ts';
import type { UsageReport } from '../providers/provider-client.ts';

/** Writes one streamed answer in a dialect. */
export interface StreamWriter<Chunk> {
  chunk(chunk: Chunk): Promise<void>;
  /** After the last chunk of a complete stream; the usage report is final here. */
  end(report: UsageReport): Promise<void>;
  /** A failure after the stream started: the status line is gone, so it is told in the stream. */
  fail(error: GatewayError): Promise<void>;
}

export interface Responder<Result, Chunk> {
  /** Headers that go out with whatever answer follows, an error's included. */
  setHeaders(headers: Readonly<Record<string, string>>): void;
  /** The whole answer as one body (status 200). */
  json(result: Result): Promise<void>;
  /** True once the answer began (an event stream started): a failure must then be told inside it. */
  readonly started: boolean;
  /** Starts the event stream: status 200, the headers set so far and these. */
  startStream(headers: Readonly<Record<string, string>>): void;
  /** An SSE comment every `intervalMs` (and at once with `now`) until the returned function is called. */
  keepAlive(intervalMs: number, options?: { comment?: string; now?: boolean }): () => void;
  /** A fresh writer for the dialect's events, in the started stream. */
  writer(): StreamWriter<Chunk>;
  /** Ends the response. */
  end(): void;
}
