import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPki } from '../../test/harness/pki.ts';
import { PooledKubeConfig } from './pooled-kube-config.ts';

// A loopback HTTPS server standing in for the API server: it counts TLS connections and records
// the Authorization header of every request.
let dir: string;
let server: Server;
let caData: string;
let connections = 0;
const authorizations: (string | undefined)[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pooled-kube-config-'));
  const pki = await createPki(dir);
  caData = readFileSync(pki.caCert).toString('base64');
  server = createServer({ cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey) }, (req, res) => {
    authorizations.push(req.headers.authorization);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'ns' }, data: {} }));
  });
  server.on('secureConnection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

function load(kc: KubeConfig, token: string): CoreV1Api {
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: `https://127.0.0.1:${String((server.address() as AddressInfo).port)}`, caData }],
    users: [{ name: 'operator', token }],
    contexts: [{ name: 'test', cluster: 'test', user: 'operator' }],
    currentContext: 'test',
  });
  return kc.makeApiClient(CoreV1Api);
}

async function connectionsFor(api: CoreV1Api, requests: number): Promise<number> {
  const before = connections;
  for (let i = 0; i < requests; i++) {
    await api.readNamespacedSecret({ name: 'db', namespace: 'ns' });
    // undici returns a connection to its pool just after the response resolves: a request sent in
    // the same tick would open a second one, and the pool would then hold two.
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return connections - before;
}

describe('PooledKubeConfig', () => {
  it('sends every request over one kept-alive connection, where client-node alone opens one per request', async () => {
    expect(await connectionsFor(load(new KubeConfig(), 'plain'), 5)).toBe(5);
    expect(await connectionsFor(load(new PooledKubeConfig(), 'pooled'), 5)).toBe(1);
  });

  it('still authenticates every request', async () => {
    authorizations.length = 0;
    await connectionsFor(load(new PooledKubeConfig(), 'token-1'), 3);
    expect(authorizations).toEqual(['Bearer token-1', 'Bearer token-1', 'Bearer token-1']);
  });
});
