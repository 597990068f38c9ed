// Qdrant's REST API for the calls on the request path (recall's query, the batched writes), on one
// undici Pool per store with keep-alive connections sized for the gateway's rate.
//
// Why not the client library for these: @qdrant/js-client-rest sends through the global fetch
// (web streams, a Request and a Headers object or two per call) and parses every answer with a
// JSON reviver that looks at each value for big integers. Under fixed-rate load with memory on,
// that was the largest single cost in the gateway's CPU profile (the reviver alone about 5% of
// the process, fetch and its streams another 10%: test/bench/gateway-peers.ts with PROFILE_DIR).
// The store's point ids are UUIDs and its numbers are scores, times and counts, none past 2^53,
// so the plain JSON.parse loses nothing. The library stays for everything else (collections,
// indexes, scrolls, deletes), which is rare.
//
// Calls go through the pool's dispatch with the upstream client's handler (dispatchRequest), not
// undici's request(): request() kept each finished call's objects (here the whole search answer)
// alive through young-generation collections until a mark-compact (issue 18; transport/dispatch.ts).
//
// Failures keep the library's shapes, so qdrant-failure.ts maps both alike: a non-2xx answer is an
// Error with `status` and the parsed body in `data`; an unreachable server is undici's error with
// its socket `code`; an abort rejects with the signal's reason.
import { Pool } from 'undici';
import { dispatchRequest } from '../../providers/transport/dispatch.ts';

export interface QdrantHttpOptions {
  /** http(s)://host:port, without a path. */
  origin: string;
  /** A path prefix when Qdrant sits behind a proxy at a sub-path ("" otherwise). */
  prefix?: string;
  /** Sent on every call (api-key, accept-encoding). */
  headers?: Record<string, string>;
  /** Connections kept to Qdrant. Default 32: recall runs once per request, writes in batches. */
  connections?: number;
}

/** A non-2xx answer, shaped like the client library's ApiError (qdrant-failure.ts recognises both). */
export class QdrantHttpError extends Error {
  readonly status: number;
  readonly data: unknown;

  constructor(status: number, data: unknown) {
    super(`Qdrant answered ${String(status)}`);
    this.name = 'QdrantHttpError';
    this.status = status;
    this.data = data;
  }
}

/**
 * Idle connections are closed before Qdrant's own keep-alive (5 s by default) would close them, so
 * a request never goes out on a socket the server is about to drop.
 */
const KEEP_ALIVE_MS = 4_000;

export class QdrantHttp {
  readonly #pool: Pool;
  readonly #prefix: string;
  readonly #headers: Record<string, string>;

  constructor(options: QdrantHttpOptions) {
    this.#pool = new Pool(options.origin, {
      connections: options.connections ?? 32,
      pipelining: 1,
      keepAliveTimeout: KEEP_ALIVE_MS,
      keepAliveMaxTimeout: KEEP_ALIVE_MS,
      // Deadlines come from the caller's signal (qdrant-call.ts), as with the client library.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    this.#prefix = (options.prefix ?? '').replace(/\/+$/, '');
    this.#headers = { ...options.headers, 'content-type': 'application/json', accept: 'application/json' };
  }

  /** Sends `body` as JSON and resolves with the parsed answer (Qdrant's `{ result, status, time }`). */
  async call<T>(method: 'POST' | 'PUT', path: string, body: unknown, signal: AbortSignal): Promise<T> {
    const res = await dispatchRequest(
      this.#pool,
      { path: this.#prefix + path, method, headers: this.#headers, body: JSON.stringify(body) },
      signal,
    );
    const text = await res.body.text();
    if (res.statusCode >= 200 && res.statusCode < 300) return JSON.parse(text) as T;
    throw new QdrantHttpError(res.statusCode, parseOrText(text));
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

/** Qdrant explains errors in JSON; a proxy in front of it may answer in plain text. */
function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A collection's path segment (names are checked elsewhere; this keeps any of them a single segment). */
export function collectionPath(collection: string): string {
  return `/collections/${encodeURIComponent(collection)}`;
}
