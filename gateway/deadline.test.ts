import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Deadline } from './deadline.ts';

describe('Deadline', () => {
  it('aborts with a TimeoutError when the time runs out, and says it expired', async () => {
    const deadline = new Deadline(5);
    await sleep(30);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.expired).toBe(true);
    expect((deadline.signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it("aborts with the caller's reason when the caller aborts first, and has not expired", () => {
    const caller = new AbortController();
    const deadline = new Deadline(10_000, caller.signal);
    caller.abort(new Error('client disconnected'));
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.expired).toBe(false);
    expect((deadline.signal.reason as Error).message).toBe('client disconnected');
    deadline.dispose();
  });

  it('starts aborted under an already aborted caller', () => {
    const deadline = new Deadline(10_000, AbortSignal.abort(new Error('gone')));
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.expired).toBe(false);
    deadline.dispose();
  });

  it('after dispose, neither the time nor the caller aborts it', async () => {
    const caller = new AbortController();
    const deadline = new Deadline(5, caller.signal);
    deadline.dispose();
    await sleep(30);
    caller.abort();
    expect(deadline.signal.aborted).toBe(false);
    expect(deadline.expired).toBe(false);
  });
});
