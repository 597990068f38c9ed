// A signal that aborts when a time limit passes or when the caller's signal aborts, whichever
// comes first; dispose() once the work is over.
//
// Not AbortSignal.any([caller, AbortSignal.timeout(ms)]): Node registers each of those signals in
// global FinalizationRegistries, with WeakRefs between them, and what their listeners reach (the
// request's closures) survives every young-generation collection until a mark-compact (see
// chat/upstream-signal.ts). The memory path made four such signals per request. One controller,
// one cleared timer and one removed listener leave nothing behind.

/** The reason the signal aborts with when the time runs out, as AbortSignal.timeout's. */
function timeoutReason(): DOMException {
  return new DOMException('The operation was aborted due to timeout', 'TimeoutError');
}

export class Deadline {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #caller: AbortSignal | undefined;
  #expired = false;
  readonly #onCallerAbort = (): void => {
    this.#controller.abort(this.#caller?.reason);
  };

  constructor(ms: number, caller?: AbortSignal) {
    this.#caller = caller;
    this.#timer = setTimeout(() => {
      this.#expired = true;
      this.#controller.abort(timeoutReason());
    }, ms);
    // Like AbortSignal.timeout's, the timer alone never keeps the process alive.
    this.#timer.unref();
    if (caller?.aborted === true) this.#controller.abort(caller.reason);
    else caller?.addEventListener('abort', this.#onCallerAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** True once the time ran out (whether or not the caller's signal also aborted). */
  get expired(): boolean {
    return this.#expired;
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#caller?.removeEventListener('abort', this.#onCallerAbort);
  }
}
