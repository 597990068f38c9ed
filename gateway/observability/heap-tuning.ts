// V8's heap sizing for a process that serves requests. V8 grows the old generation's limit by a
// factor it picks from how cheap its collections have been; for the gateway (a live heap of about
// 40 MB that promotes little) it picks a small one, and starts marking again a few megabytes
// later: a mark-compact every few seconds under load, each a 30-60 ms stall of the event loop on
// a one-core pod (issue 18). A fixed factor of 4 leaves room for minutes of promotion between them;
// the heap it allows (old space up to ~4x the live heap, 150-200 MB) stays well inside the pod's
// default 1 GiB memory limit.
// A node started with its own --heap-growing-percent keeps it (benchmarks compare the two).
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 300;

export function tuneHeapForServing(execArgv: readonly string[] = process.execArgv): void {
  if (execArgv.some((flag) => flag.startsWith('--heap-growing-percent'))) return;
  setFlagsFromString(`--heap-growing-percent=${String(HEAP_GROWING_PERCENT)}`);
}
