// Time as a dependency: the background writers wait (flush intervals, backoff, shutdown
// deadlines), and tests must drive those waits without sleeping.

export interface Clock {
  now(): number;
  /**
   * Runs `callback` after `ms`; returns a function that cancels it. A `background` timer does not
   * keep the process alive on its own (periodic flushes), the others do (a retry that is due).
   */
  schedule(ms: number, callback: () => void, options?: { background?: boolean }): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule: (ms, callback, options) => {
    const timer = setTimeout(callback, ms);
    if (options?.background) timer.unref();
    return () => {
      clearTimeout(timer);
    };
  },
};
