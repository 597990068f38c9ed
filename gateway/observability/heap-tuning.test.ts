import { beforeEach, describe, expect, it, vi } from 'vitest';

const setFlags = vi.hoisted(() => vi.fn<(flags: string) => void>());
vi.mock('node:v8', () => ({ setFlagsFromString: setFlags }));

const { HEAP_GROWING_PERCENT, tuneHeapForServing } = await import('./heap-tuning.ts');

describe('tuneHeapForServing', () => {
  beforeEach(() => {
    setFlags.mockClear();
  });

  it('sets a fixed old-generation growing factor', () => {
    tuneHeapForServing(['--enable-source-maps']);
    expect(setFlags).toHaveBeenCalledExactlyOnceWith(`--heap-growing-percent=${String(HEAP_GROWING_PERCENT)}`);
  });

  it('keeps the factor node was started with', () => {
    tuneHeapForServing(['--heap-growing-percent=0']);
    expect(setFlags).not.toHaveBeenCalled();
  });
});
