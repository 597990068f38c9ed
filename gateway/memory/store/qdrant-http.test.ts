// QdrantHttp against a loopback HTTP server: what it sends, how it reads answers and failures
// (mapped by qdrant-failure.ts exactly as the client library's), abort, and connection reuse.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toMemoryStoreError, type FailureContext } from './qdrant-failure.ts';
import { collectionPath, QdrantHttp, QdrantHttpError } from './qdrant-http.ts';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const seen: Seen[] = [];
let connections = 0;
let server: http.Server;
let origin: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url?.includes('/slow')) return; // never answers: for abort
      if (req.url?.includes('/denied')) {
        res.writeHead(403, { 'content-type': 'text/plain' }).end('Invalid api-key');
        return;
      }
      if (req.url?.includes('/missing')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"status":{"error":"Not found: Collection `x` doesn\'t exist!"}}');
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"result":{"points":[{"id":"a","score":0.5}]},"status":"ok","time":0.001}');
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const context = (deadline: AbortSignal): FailureContext => ({
  operation: 'search',
  collection: 'memories',
  origin,
  timeoutMs: 1000,
  timedOut: deadline.aborted,
  callerSignal: undefined,
  secrets: ['key-SECRET'],
});

describe('QdrantHttp', () => {
  it('sends JSON with the store headers under the prefix and parses the answer', async () => {
    const client = new QdrantHttp({ origin, prefix: '/qdrant/', headers: { 'api-key': 'key-SECRET', 'accept-encoding': 'identity' } });
    const answer = await client.call<{ result: { points: { id: string }[] } }>(
      'POST',
      `${collectionPath('my memories')}/points/query?timeout=2`,
      { limit: 3 },
      AbortSignal.timeout(5000),
    );
    await client.close();
    expect(answer.result.points[0]?.id).toBe('a');
    const request = seen.at(-1);
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/qdrant/collections/my%20memories/points/query?timeout=2');
    expect(request?.headers['api-key']).toBe('key-SECRET');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['accept-encoding']).toBe('identity');
    expect(JSON.parse(request?.body ?? '')).toEqual({ limit: 3 });
  });

  it('reuses its kept-alive connections across sequential calls', async () => {
    const client = new QdrantHttp({ origin });
    const before = connections;
    for (let i = 0; i < 20; i++) await client.call('PUT', '/collections/c/points?wait=true', { points: [] }, AbortSignal.timeout(5000));
    await client.close();
    // undici may open a second one while the first is being released; never one per call.
    expect(connections - before).toBeLessThanOrEqual(2);
    expect(seen.at(-1)?.method).toBe('PUT');
  });

  it('turns a refusal into the same MemoryStoreError as the client library (text and JSON bodies)', async () => {
    const client = new QdrantHttp({ origin });
    const deadline = AbortSignal.timeout(5000);
    const denied = await client.call('POST', '/denied', {}, deadline).catch((err: unknown) => err);
    const missing = await client.call('POST', '/missing', {}, deadline).catch((err: unknown) => err);
    await client.close();
    expect(denied).toBeInstanceOf(QdrantHttpError);
    expect(toMemoryStoreError(denied, context(deadline))).toMatchObject({ code: 'unauthorized', status: 403 });
    expect(toMemoryStoreError(denied, context(deadline)).message).toContain('Invalid api-key');
    expect(toMemoryStoreError(missing, context(deadline))).toMatchObject({ code: 'not_found', status: 404 });
    expect(toMemoryStoreError(missing, context(deadline)).message).toContain("Collection `x` doesn't exist");
  });

  it('gives up when the signal fires, and the failure reads as a timeout', async () => {
    const client = new QdrantHttp({ origin });
    const deadline = AbortSignal.timeout(50);
    const started = performance.now();
    const err = await client.call('POST', '/slow', {}, deadline).catch((e: unknown) => e);
    await client.close();
    expect(performance.now() - started).toBeLessThan(2000);
    expect(toMemoryStoreError(err, context(deadline))).toMatchObject({ code: 'timeout' });
  });

  it('reports an unreachable Qdrant by its socket error', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const client = new QdrantHttp({ origin: `http://127.0.0.1:${String(port)}` });
    const deadline = AbortSignal.timeout(5000);
    const err = await client.call('POST', '/x', {}, deadline).catch((e: unknown) => e);
    await client.close();
    const mapped = toMemoryStoreError(err, { ...context(deadline), origin: `http://127.0.0.1:${String(port)}` });
    expect(mapped).toMatchObject({ code: 'unavailable' });
    expect(mapped.message).toContain('ECONNREFUSED');
  });
});
