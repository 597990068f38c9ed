// The order buffers are closed in at shutdown, in one place so a unit test can hold it.
//
// Memory first, then the accounting: memory's close drains the turn writes and the fact
// extraction queue, whose extractor calls each record a usage row (endpoint memory.extract)
// through the accounting. Closed together, an extractor call finishing during the drain found the
// usage log already closed and its row was refused: a call the account was not charged for.
// Memory's close is bounded by its share of the budget (and by a timer of ours, so a close that
// overran its own bound cannot hold the usage log hostage); the accounting gets the rest.
// Buffers independent of both (the API keys' last-used times) close beside them from the start.

export interface Closable {
  close(timeoutMs: number): Promise<void>;
}

export interface ShutdownBuffers {
  /** Turn writes and fact extraction; absent when memory is off. */
  memory?: Closable;
  /** The usage log and billing events: what memory's background work records into. */
  accounting: Closable;
  /** Closed in parallel with both: they record into nothing that closes here. */
  independent: readonly (() => Promise<void>)[];
}

/** Share of the budget memory may take; the accounting keeps the rest for its last flush. */
export const MEMORY_SHARE = 0.5;

export async function closeBuffers(buffers: ShutdownBuffers, timeoutMs: number, now: () => number = Date.now): Promise<void> {
  const deadline = now() + timeoutMs;
  const independent = Promise.allSettled(buffers.independent.map((close) => close()));
  if (buffers.memory) {
    const share = Math.floor(timeoutMs * MEMORY_SHARE);
    let timer: NodeJS.Timeout | undefined;
    const overrun = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, share + 100);
    });
    await Promise.race([buffers.memory.close(share).catch(() => undefined), overrun]);
    clearTimeout(timer);
  }
  await Promise.allSettled([buffers.accounting.close(Math.max(1, deadline - now())), independent]);
}
