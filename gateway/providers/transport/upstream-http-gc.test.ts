// A finished upstream call leaves nothing that young-generation collections (scavenges) keep alive:
// undici's request() did, until the next mark-compact, so under load a share of every gateway
// request was promoted to the old generation and collected there (issue 18). Measured here as the
// old-space growth across calls with a 64 KB payload each and forced scavenges between them.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpstreamHttp } from './upstream-http.ts';

type Gc = (options?: { type: 'minor' | 'major' }) => void;

function oldSpaceUsed(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')?.space_used_size ?? 0;
}

describe('upstream HTTP client and the young generation', () => {
  let server: http.Server;
  let url: string;
  let gc: Gc;

  beforeAll(async () => {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as Gc;
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/v1/chat/completions`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('promotes (almost) nothing of finished calls: old space grows by far less than their payloads', async () => {
    const client = createUpstreamHttp();
    const calls = 300;
    const filler = 'x'.repeat(64 * 1024);
    const call = async (i: number): Promise<void> => {
      const res = await client.postJson({
        url,
        headers: {},
        body: { model: 'm', n: i, filler },
        signal: new AbortController().signal,
        provider: 'stub',
        secrets: [],
      });
      expect(await res.body.text()).toBe('{"ok":true}');
    };
    await call(-1);
    gc({ type: 'major' });
    const before = oldSpaceUsed();
    for (let i = 0; i < calls; i++) {
      await call(i);
      if (i % 10 === 9) {
        gc({ type: 'minor' });
        gc({ type: 'minor' });
      }
    }
    const grown = oldSpaceUsed() - before;
    await client.close();
    // 300 payloads are 19 MB; promoted they would grow old space by at least that much.
    expect(grown).toBeLessThan(4 * 1024 * 1024);
  });
});
