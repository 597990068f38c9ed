// Who is asking, as the chat use case sees a request: plain values a route takes from its HTTP
// request (routes/caller-of.ts) and a test writes by hand.
import type { Principal } from '../middleware/authenticate.ts';

export interface Caller {
  principal: Principal;
  /** The id the response carries (the caller's X-Request-Id when sane): for logs and correlation only. */
  requestId: string;
  /** The gateway's own id for the request: the key of its usage row and memory points. */
  serverRequestId: string;
  /** performance.now() when the request arrived. */
  startedAt: number;
  /** Aborts when the client goes away before the answer is complete. */
  signal: AbortSignal;
  /**
   * The rate limit's decision when it was left to the use case (middleware/rate-limit.ts,
   * rateLimitedBeside): resolves when admitted, rejects with the 429. Nothing goes upstream before
   * it resolves. Undefined when the request was admitted before its route ran.
   */
  admission?: Promise<void> | undefined;
}
