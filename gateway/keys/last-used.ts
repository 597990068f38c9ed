// api_keys.last_used, updated off the hot path: requests only note the key hash; a timer writes
// all noted keys in one UPDATE every few seconds. Losing a few seconds of "last used" on a crash
// is fine; a write per request is not.
import type { Logger } from 'pino';

export type TouchLastUsed = (hashes: string[], at: Date) => Promise<void>;

export class LastUsedTracker {
  private pending = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private readonly touch: TouchLastUsed;
  private readonly log: Logger;

  constructor(options: { touch: TouchLastUsed; log: Logger; intervalMs?: number }) {
    this.touch = options.touch;
    this.log = options.log;
    this.timer = setInterval(() => void this.flush(), options.intervalMs ?? 10_000);
    this.timer.unref();
  }

  note(hash: string): void {
    this.pending.add(hash);
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const hashes = [...this.pending];
    this.pending = new Set();
    try {
      await this.touch(hashes, new Date());
    } catch (err) {
      // Keep them for the next round; the set bounds itself (one entry per key).
      for (const hash of hashes) this.pending.add(hash);
      this.log.warn(
        { err: err instanceof Error ? err.message : String(err), keys: hashes.length },
        'Could not update api_keys.last_used; will retry',
      );
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
