// The trigger against a recording stand-in for the API server's scale subresource on loopback.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeScaleTrigger, namespaceFromEnvironment } from './kube-scale-trigger.ts';

interface Recorded {
  method: string;
  path: string;
  contentType: string | undefined;
  body: unknown;
}

interface FakeApi {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

const SCALE_PATH = '/apis/perpetual.ai/v1alpha1/namespaces/team-a/modelservers/mistral/scale';
let servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  servers = [];
});

async function readBody(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text ? JSON.parse(text) : undefined;
}

/** `answer` gets the n-th request (0-based) and returns [status, body]. */
async function fakeApi(answer: (r: Recorded, n: number) => [number, unknown]): Promise<FakeApi> {
  const requests: Recorded[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void readBody(req).then((body) => {
      const recorded = { method: req.method ?? '', path: req.url?.split('?')[0] ?? '', contentType: req.headers['content-type'], body };
      requests.push(recorded);
      const [status, payload] = answer(recorded, requests.length - 1);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    });
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`,
    requests,
    close: () =>
      new Promise((done) =>
        server.close(() => {
          done();
        }),
      ),
  };
}

function trigger(api: FakeApi, lines: string[] = []): KubeScaleTrigger {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'test', server: api.url, skipTLSVerify: true }],
    users: [{ name: 'gateway', token: 'service-account-token' }],
    contexts: [{ name: 'test', cluster: 'test', user: 'gateway', namespace: 'team-a' }],
    currentContext: 'test',
  });
  const log = pino(
    { level: 'info' },
    {
      write: (line: string) => {
        lines.push(line);
      },
    },
  );
  return new KubeScaleTrigger({ kubeConfig, namespace: 'team-a', log });
}

const scale = (replicas: number | undefined, resourceVersion = '41') => ({
  apiVersion: 'autoscaling/v1',
  kind: 'Scale',
  metadata: { name: 'mistral', namespace: 'team-a', resourceVersion },
  spec: replicas === undefined ? {} : { replicas },
  status: { replicas: 0 },
});

describe('KubeScaleTrigger', () => {
  it('patches replicas to 1 through the scale subresource, conditional on the version it read', async () => {
    const api = await fakeApi((r) => (r.method === 'GET' ? [200, scale(undefined)] : [200, scale(1, '42')]));
    await trigger(api).scaleFromZero('mistral');
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET ${SCALE_PATH}`, `PATCH ${SCALE_PATH}`]);
    expect(api.requests[1]).toMatchObject({
      contentType: 'application/merge-patch+json',
      body: { metadata: { resourceVersion: '41' }, spec: { replicas: 1 } },
    });
  });

  it('leaves a ModelServer that already has replicas alone', async () => {
    const api = await fakeApi(() => [200, scale(2)]);
    await trigger(api).scaleFromZero('mistral');
    expect(api.requests.map((r) => r.method)).toEqual(['GET']);
  });

  it('reads again after a conflict and stops when someone else scaled it', async () => {
    const api = await fakeApi((r, n) => {
      if (r.method === 'PATCH') return [409, { kind: 'Status', code: 409, reason: 'Conflict' }];
      return [200, n === 0 ? scale(0) : scale(3, '43')];
    });
    await trigger(api).scaleFromZero('mistral');
    expect(api.requests.map((r) => r.method)).toEqual(['GET', 'PATCH', 'GET']);
  });

  it('never rejects; a refusal is logged with the permission it needs', async () => {
    const api = await fakeApi(() => [403, { kind: 'Status', code: 403, reason: 'Forbidden' }]);
    const lines: string[] = [];
    await expect(trigger(api, lines).scaleFromZero('mistral')).resolves.toBeUndefined();
    expect(lines.join('\n')).toContain('modelservers/scale');
    expect(lines.join('\n')).not.toContain('service-account-token');
  });
});

describe('namespaceFromEnvironment', () => {
  it('prefers POD_NAMESPACE, then the kubeconfig context', () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u', namespace: 'from-context' }],
      currentContext: 'x',
    });
    expect(namespaceFromEnvironment('from-env', kubeConfig)).toBe('from-env');
    expect(namespaceFromEnvironment(undefined, kubeConfig)).toBe('from-context');
  });
});
