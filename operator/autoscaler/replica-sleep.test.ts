// The operator's reading of vLLM's /is_sleeping and its /sleep call, against a loopback server.
import { createServer, type Server } from 'node:http';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSleepState, putToSleep, sleepReadings, sleepStateRequests, sleepStateUrl } from './replica-sleep.ts';
import type { PodEndpoint, ScrapeResult } from './scraper.ts';

const pod = (name: string): V1Pod => ({ metadata: { name, namespace: 'ml' } });

describe('sleep state readings', () => {
  it('reads /is_sleeping beside /metrics, for replicas only', () => {
    const endpoints: PodEndpoint[] = [
      { pod: pod('vllm-a'), role: 'replica', url: 'http://10.0.0.5:8000/metrics' },
      { pod: pod('vllm-b'), role: 'replica', error: 'no IP yet' },
      { pod: pod('gw'), role: 'gateway', url: 'http://10.0.0.9:8080/prometheus' },
    ];
    expect(sleepStateRequests(endpoints)).toEqual([{ url: 'http://10.0.0.5:8000/is_sleeping', role: 'replica' }]);
    const results = new Map<string, ScrapeResult>([
      [sleepStateUrl('http://10.0.0.5:8000/metrics'), { ok: true, text: '{"is_sleeping":true}' }],
    ]);
    expect(sleepReadings(endpoints, results)).toEqual([
      { pod: 'vllm-a', asleep: true },
      { pod: 'vllm-b', asleep: undefined },
    ]);
  });

  it.each([
    [{ ok: true, text: '{"is_sleeping":false}' }, false],
    [{ ok: true, text: '{"is_sleeping":"no"}' }, undefined],
    [{ ok: true, text: 'not json' }, undefined],
    [{ ok: false, error: 'HTTP 404' }, undefined],
    [undefined, undefined],
  ] as const)('%j says %s', (result, expected) => {
    expect(parseSleepState(result)).toBe(expected);
  });
});

describe('putToSleep', () => {
  let server: Server;
  let origin = '';
  const calls: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      calls.push(`${req.method ?? ''} ${req.url ?? ''}`);
      if (req.url?.includes('level=2')) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'Sleep mode is not enabled' } }));
        return;
      }
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    origin = `http://127.0.0.1:${String(typeof address === 'object' && address ? address.port : 0)}`;
  });
  afterAll(() => {
    server.close();
  });

  it('POSTs /sleep with the level on the replica, and carries the server message when refused', async () => {
    expect(await putToSleep(`${origin}/metrics`, 1, 2000)).toEqual({ ok: true });
    expect(await putToSleep(`${origin}/metrics`, 2, 2000)).toEqual({ ok: false, message: 'Sleep mode is not enabled' });
    expect(calls).toEqual(['POST /sleep?level=1', 'POST /sleep?level=2']);
  });
});
