import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChildSignal } from './child-signal.ts';

describe('ChildSignal', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("aborts with the caller's reason when the caller aborts first, and has not expired", () => {
    const caller = new AbortController();
    const child = new ChildSignal(caller.signal, 10_000);
    expect(child.signal.aborted).toBe(false);
    const reason = new Error('client disconnected');
    caller.abort(reason);
    expect(child.signal.aborted).toBe(true);
    expect(child.signal.reason).toBe(reason);
    expect(child.expired).toBe(false);
    child.dispose();
  });

  it('is aborted from the start under a caller already gone', () => {
    const child = new ChildSignal(AbortSignal.abort(new Error('gone')));
    expect(child.signal.reason).toEqual(new Error('gone'));
    expect(child.expired).toBe(false);
  });

  it('aborts with a TimeoutError when its time limit passes, and says it expired', async () => {
    const child = new ChildSignal(undefined, 5);
    await sleep(30);
    expect(child.signal.aborted).toBe(true);
    expect(child.expired).toBe(true);
    expect((child.signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it("aborts when the gateway cancels it, and leaves the caller's signal alone", () => {
    const caller = new AbortController();
    const child = new ChildSignal(caller.signal);
    child.cancel(new Error('nobody reads this stream'));
    expect(child.signal.reason).toEqual(new Error('nobody reads this stream'));
    expect(caller.signal.aborted).toBe(false);
  });

  it('after dispose, neither the time nor the caller aborts it', async () => {
    const caller = new AbortController();
    const child = new ChildSignal(caller.signal, 5);
    child.dispose();
    await sleep(30);
    caller.abort();
    expect(child.signal.aborted).toBe(false);
    expect(child.expired).toBe(false);
  });

  it('makes no AbortSignal.any or AbortSignal.timeout, whose weak references survive into the old generation', () => {
    const any = vi.spyOn(AbortSignal, 'any');
    const timeout = vi.spyOn(AbortSignal, 'timeout');
    new ChildSignal(new AbortController().signal, 1000).dispose();
    expect(any).not.toHaveBeenCalled();
    expect(timeout).not.toHaveBeenCalled();
  });
});
