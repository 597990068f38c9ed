// A finished request's responder leaves nothing that young-generation collections (scavenges) keep
// alive. As an object literal with a getter it did: each one got a hidden class of its own in the
// old generation, and through the getter's closure every request's response stayed alive until
// the next mark-compact, ~10 KB promoted per request under load (issue 18). Measured as the
// old-space growth across responders of large responses with forced scavenges between them.
import type { Response } from 'express';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { httpResponder, type Dialect } from './http-responder.ts';

type Gc = (options?: { type: 'minor' | 'major' }) => void;

function oldSpaceUsed(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')?.space_used_size ?? 0;
}

const dialect: Dialect<unknown, unknown> = {
  json: (result) => result,
  stream: () => ({ chunk: () => Promise.resolve(), end: () => Promise.resolve(), fail: () => Promise.resolve() }),
};

describe('HTTP responder and the young generation', () => {
  let gc: Gc;

  beforeAll(() => {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as Gc;
  });

  it('promotes (almost) nothing of finished requests: old space grows by far less than their responses', () => {
    const requests = 300;
    // About 64 KB of young objects per response, reachable only through it.
    const respond = (i: number): boolean => {
      const res = { headersSent: false, held: Array.from({ length: 2000 }, (_, k) => ({ k, i })) } as unknown as Response;
      return httpResponder(res, dialect).started;
    };
    respond(-1);
    gc({ type: 'major' });
    const before = oldSpaceUsed();
    for (let i = 0; i < requests; i++) {
      expect(respond(i)).toBe(false);
      if (i % 10 === 9) {
        gc({ type: 'minor' });
        gc({ type: 'minor' });
      }
    }
    const grown = oldSpaceUsed() - before;
    // 300 responses hold about 19 MB; promoted they would grow old space by at least that much.
    expect(grown).toBeLessThan(4 * 1024 * 1024);
  });
});
