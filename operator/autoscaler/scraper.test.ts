import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScalingPolicy } from './decide.ts';
import { observationOf, scrapeAll, type PodEndpoint } from './scraper.ts';
import type { ScaleTarget } from './targets.ts';

const policy: ScalingPolicy = { minReplicas: 0, maxReplicas: 3, metric: 'inFlight', target: 2, scaleDownDelaySeconds: 30 };
const pod = (name: string): V1Pod => ({ metadata: { name, namespace: 'ml' } });

describe('observationOf', () => {
  const target = { policy, currentReplicas: 2, modelNames: new Set(['m']) } as unknown as ScaleTarget;
  const endpoints: PodEndpoint[] = [
    { pod: pod('a'), role: 'replica', url: 'http://127.0.0.1:1/metrics' },
    { pod: pod('b'), role: 'replica', error: 'pod ml/b is not in ENDPOINT_MAP_FILE' },
    { pod: pod('c'), role: 'replica', url: 'http://127.0.0.1:3/metrics' },
    { pod: pod('gw'), role: 'gateway', url: 'http://127.0.0.1:4/prometheus' },
  ];
  const results = new Map([
    ['http://127.0.0.1:1/metrics', { ok: true as const, text: 'vllm:num_requests_running 3' }],
    ['http://127.0.0.1:3/metrics', { ok: false as const, error: 'HTTP 500' }],
    [
      'http://127.0.0.1:4/prometheus',
      { ok: true as const, text: 'perpetual_queued_requests{model="m"} 2\nperpetual_inflight_requests{model="m"} 5' },
    ],
  ]);

  it('counts every ready pod as asked, and only the answers as readings', () => {
    expect(observationOf(target, endpoints, results)).toEqual({
      currentReplicas: 2,
      readyReplicas: 3,
      replicas: [{ running: 3 }],
      gatewayPods: 1,
      gateways: [{ inFlight: 5, queued: 2 }],
    });
  });
});

describe('scrapeAll', () => {
  let server: Server;
  let base = '';
  const hits: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url === '/slow') return; // never answers: the timeout must end it
      if (req.url === '/broken') res.writeHead(503).end();
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('vllm:num_requests_running 1\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reads each URL once, reports failures and bounds a silent pod by the timeout', async () => {
    const started = Date.now();
    const results = await scrapeAll(
      [
        { url: `${base}/metrics`, role: 'replica' },
        { url: `${base}/metrics`, role: 'replica' },
        { url: `${base}/broken`, role: 'replica' },
        { url: `${base}/slow`, role: 'gateway' },
      ],
      300,
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(hits.filter((h) => h === '/metrics')).toHaveLength(1);
    expect(results.get(`${base}/metrics`)).toEqual({ ok: true, text: 'vllm:num_requests_running 1\n' });
    expect(results.get(`${base}/broken`)).toMatchObject({ ok: false, error: expect.stringContaining('HTTP 503') as unknown });
    expect(results.get(`${base}/slow`)).toMatchObject({ ok: false });
  });
});
