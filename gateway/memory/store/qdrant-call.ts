// Runs one Qdrant HTTP call under a deadline and the caller's AbortSignal, and turns any failure
// into a MemoryStoreError.
//
// Why not QdrantClient's own `timeout`: its timeout middleware replaces the request's `signal`
// with its own, so a caller's AbortSignal would never reach fetch. The store therefore creates
// the client with `timeout: Infinity` (which leaves that middleware out) and hands fetch one signal
// that fires on whichever comes first, the deadline or the caller. Either way the HTTP request is
// really cancelled (the socket is closed), not just abandoned while it keeps a connection busy.
import { toMemoryStoreError } from './qdrant-failure.ts';
import { MemoryStoreError } from './memory-store-error.ts';
import { ChildSignal } from '../../child-signal.ts';

export interface CallOptions {
  /** Aborts the call (client gone, retrieval deadline passed). */
  signal?: AbortSignal;
  /** Overrides the store's default timeout for this call. */
  timeoutMs?: number;
}

export interface CallContext {
  collection: string;
  origin: string;
  timeoutMs: number;
  secrets: readonly string[];
}

export type Work<T> = (init: { signal: AbortSignal }) => Promise<T>;

export async function runCall<T>(context: CallContext, operation: string, options: CallOptions | undefined, work: Work<T>): Promise<T> {
  const timeoutMs = options?.timeoutMs ?? context.timeoutMs;
  const callerSignal = options?.signal;
  if (callerSignal?.aborted === true) {
    throw new MemoryStoreError(`${operation} on "${context.collection}" was aborted by the caller before it started.`, {
      code: 'aborted',
      operation,
    });
  }
  const deadline = new ChildSignal(callerSignal, timeoutMs);
  try {
    return await work({ signal: deadline.signal });
  } catch (err) {
    throw toMemoryStoreError(err, {
      operation,
      collection: context.collection,
      origin: context.origin,
      timeoutMs,
      timedOut: deadline.expired,
      callerSignal,
      secrets: context.secrets,
    });
  } finally {
    deadline.dispose();
  }
}
