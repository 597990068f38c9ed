// One HTTP request through an undici dispatcher (Agent, Pool) with a small handler of ours, for
// the upstream calls (upstream-http.ts) and the memory path's Qdrant calls (qdrant-http.ts).
//
// Not undici's request(): under load, request()'s objects for a finished call (its handler, the
// body stream, the request payload, and through them what the caller's code still referenced)
// stayed alive through scavenges until the next mark-compact, so about 14 % of everything a
// gateway request allocates was promoted to the old generation (found with --trace-gc-nvp: an
// Express server calling a stub through request() promoted 3.3 MB of each 24 MB scavenged, through
// Agent.dispatch 0.03 MB, through node:http 0.003 MB). Same statuses, headers, errors and aborts.
import { Readable } from 'node:stream';
import { errors as undiciErrors } from 'undici';
import type { Dispatcher } from 'undici';

/** Past this much, dump() stops reading and the connection is dropped instead of reused. */
const DUMP_LIMIT = 128 * 1024;

/**
 * An upstream response body: the bytes as they arrive (async iteration, with backpressure: a full
 * buffer pauses the upstream socket), text() and dump(). Destroying it before its end aborts the
 * upstream request. It references nothing of the call once the response has ended.
 */
export class UpstreamBody extends Readable {
  #controller: Dispatcher.DispatchController | null;

  constructor(controller: Dispatcher.DispatchController) {
    super({ highWaterMark: 64 * 1024 });
    this.#controller = controller;
  }

  override _read(): void {
    this.#controller?.resume();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    const controller = this.#controller;
    this.#controller = null;
    if (controller && !controller.aborted) controller.abort(err ?? new undiciErrors.RequestAbortedError());
    callback(err);
  }

  /** The handler's side: a chunk arrived. */
  received(chunk: Buffer): void {
    if (!this.push(chunk)) this.#controller?.pause();
  }

  /** The handler's side: the response is complete. */
  ended(): void {
    this.#controller = null;
    this.push(null);
  }

  /** The whole body as UTF-8 text. */
  async text(): Promise<string> {
    const decoder = new TextDecoder();
    let text = '';
    for await (const chunk of this as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true });
    return text + decoder.decode();
  }

  /** Reads and drops the body so the connection can be reused; past 128 KB it is cut off instead. */
  async dump(): Promise<void> {
    let read = 0;
    for await (const chunk of this as AsyncIterable<Uint8Array>) {
      read += chunk.length;
      if (read > DUMP_LIMIT) break;
    }
  }
}

export interface DispatchedResponse {
  statusCode: number;
  headers: Dispatcher.ResponseData['headers'];
  body: UpstreamBody;
}

/**
 * One request through the dispatcher: resolves at the response headers (1xx skipped) with the body
 * as an UpstreamBody, rejects with undici's error before them. The signal aborts the request, or
 * destroys the body with its reason once the response started; its listener is removed when the
 * call is over.
 */
export function dispatchRequest(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal: AbortSignal,
): Promise<DispatchedResponse> {
  return new Promise<DispatchedResponse>((resolve, reject) => {
    if (signal.aborted) {
      reject(abortReason(signal));
      return;
    }
    let controller: Dispatcher.DispatchController | undefined;
    // `body` while the response arrives, `started` until the body closes (an abort destroys it).
    let body: UpstreamBody | undefined;
    let started: UpstreamBody | undefined;
    let reason: Error | undefined;
    const onAbort = (): void => {
      reason = abortReason(signal);
      if (started) started.destroy(reason);
      else {
        controller?.abort(reason);
        reject(reason);
      }
    };
    const stopListening = (): void => {
      started = undefined;
      signal.removeEventListener('abort', onAbort);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(ctl) {
        controller = ctl;
        if (reason) ctl.abort(reason);
      },
      onResponseStart(ctl, statusCode, headers) {
        if (statusCode < 200) return;
        body = started = new UpstreamBody(ctl);
        body.once('close', stopListening);
        controller = undefined;
        resolve({ statusCode, headers, body });
      },
      onResponseData(_ctl, chunk) {
        body?.received(chunk);
      },
      onResponseEnd() {
        body?.ended();
        body = undefined;
      },
      onResponseError(_ctl, err) {
        controller = undefined;
        if (body) {
          body.destroy(err);
          body = undefined;
        } else {
          stopListening();
          reject(err);
        }
      },
    };
    try {
      dispatcher.dispatch(options, handler);
    } catch (err) {
      stopListening();
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

/** Why the signal aborted, as the error undici's request() would have given. */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new undiciErrors.RequestAbortedError();
}
