// A signal of the gateway's own that follows a caller's: it aborts when the caller's aborts (with
// its reason), when an optional time limit passes (with a TimeoutError, as AbortSignal.timeout),
// or when the gateway cancels it; the caller's signal is never touched. The upstream call of a
// request runs under one (cancelled for a stream nobody will read), and so does each memory
// recall, Qdrant call and embedding, under their deadlines. dispose() when the work is over.
//
// Not AbortSignal.any([caller, AbortSignal.timeout(ms)]): Node registers each of those signals in
// global FinalizationRegistries, with WeakRefs between them, and what their listeners reach (the
// request's closures) survives every young-generation collection until a mark-compact: 200,000
// pairs grew old space by 136 MB and took 8 mark-compacts, against 6 MB and 1 with one controller
// and a listener (Node 24, the same loop). Made once or more per request, that was a share of every
// request promoted to the old generation (issue 18). One controller, one cleared timer and one
// removed listener leave nothing behind.

/** The reason the signal aborts with when the time runs out, as AbortSignal.timeout's. */
function timeoutReason(): DOMException {
  return new DOMException('The operation was aborted due to timeout', 'TimeoutError');
}

export class ChildSignal {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #caller: AbortSignal | undefined;
  #expired = false;
  readonly #onCallerAbort = (): void => {
    this.#controller.abort(this.#caller?.reason);
  };

  constructor(caller?: AbortSignal, timeoutMs?: number) {
    this.#caller = caller;
    if (timeoutMs !== undefined) {
      this.#timer = setTimeout(() => {
        this.#expired = true;
        this.#controller.abort(timeoutReason());
      }, timeoutMs);
      // Like AbortSignal.timeout's, the timer alone never keeps the process alive.
      this.#timer.unref();
    }
    if (caller?.aborted === true) this.#controller.abort(caller.reason);
    else caller?.addEventListener('abort', this.#onCallerAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** True once the time limit passed (whether or not the caller's signal also aborted). */
  get expired(): boolean {
    return this.#expired;
  }

  /** Aborts this signal (not the caller's) with `reason`. */
  cancel(reason: unknown): void {
    this.#controller.abort(reason);
  }

  /** Stops following the caller and the clock; the signal keeps whatever state it has. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#caller?.removeEventListener('abort', this.#onCallerAbort);
  }
}
