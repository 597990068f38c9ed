import { afterEach, describe, expect, it, vi } from 'vitest';
import { upstreamSignal } from './upstream-signal.ts';

describe('upstreamSignal', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("aborts with the client's reason when the client goes away", () => {
    const client = new AbortController();
    const { signal } = upstreamSignal(client.signal);
    expect(signal.aborted).toBe(false);
    const reason = new Error('client disconnected');
    client.abort(reason);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
  });

  it('is aborted from the start for a client already gone', () => {
    const client = new AbortController();
    client.abort(new Error('gone'));
    expect(upstreamSignal(client.signal).signal.reason).toEqual(new Error('gone'));
  });

  it("aborts when the gateway cancels, and leaves the client's signal alone", () => {
    const client = new AbortController();
    const { signal, cancel } = upstreamSignal(client.signal);
    cancel(new Error('nobody reads this stream'));
    expect(signal.reason).toEqual(new Error('nobody reads this stream'));
    expect(client.signal.aborted).toBe(false);
  });

  it('makes no AbortSignal.any, whose weak references survive into the old generation (see the file)', () => {
    const any = vi.spyOn(AbortSignal, 'any');
    upstreamSignal(new AbortController().signal);
    expect(any).not.toHaveBeenCalled();
  });
});
