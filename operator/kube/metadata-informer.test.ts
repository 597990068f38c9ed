// A metadata-only informer asks for metadata on both its list and its watch, and caches only each
// object's identity, even from a server that ignores the Accept header and sends the values.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ResourceInformer } from './informer.ts';
import { AS_METADATA, AS_METADATA_LIST, keepIdentityOnly } from './metadata-informer.ts';
import { Kinds } from './resource-kinds.ts';

const VALUE = 'c3VwZXItc2VjcmV0LXZhbHVl';

/** A Secret as a server that ignored the Accept header would send it: values, and kubectl's copy of them. */
function fullSecret(name: string, resourceVersion: string) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace: 'ns',
      resourceVersion,
      uid: `uid-${name}`,
      labels: { app: 'x' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ data: { key: VALUE } }) },
      managedFields: [{ manager: 'kubectl' }],
    },
    type: 'Opaque',
    data: { key: VALUE },
  };
}

/** Discovery: client-node asks whether the kind is namespaced before it lists in a namespace. */
function answeredDiscovery(url: URL, res: ServerResponse): boolean {
  if (url.pathname !== '/api/v1') return false;
  res.end(
    JSON.stringify({
      kind: 'APIResourceList',
      groupVersion: 'v1',
      resources: [{ name: 'secrets', kind: 'Secret', namespaced: true, verbs: ['list', 'watch'] }],
    }),
  );
  return true;
}

let server: Server | undefined;
let informer: ResourceInformer | undefined;

afterEach(async () => {
  await informer?.stop();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<KubeConfig> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: `http://127.0.0.1:${String(port)}`, skipTLSVerify: true }],
    users: [{ name: 'test', token: 'token' }],
    contexts: [{ name: 'test', cluster: 'test', user: 'test' }],
    currentContext: 'test',
  });
  return kc;
}

describe('a metadata-only informer', () => {
  it('asks for metadata on list and watch and caches no value, whatever the server sends', async () => {
    const accepts: Record<'list' | 'watch', string[]> = { list: [], watch: [] };
    const kc = await serve((req, res) => {
      const url = new URL(req.url ?? '', 'http://x');
      expect(url.pathname).toBe('/api/v1/secrets');
      if (url.searchParams.get('watch') === 'true') {
        accepts.watch.push(req.headers.accept ?? '');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(`${JSON.stringify({ type: 'MODIFIED', object: fullSecret('enc', '2') })}\n`);
        return; // held open, as a watch is
      }
      accepts.list.push(req.headers.accept ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'SecretList',
          metadata: { resourceVersion: '1' },
          items: [fullSecret('enc', '1'), fullSecret('db', '1')],
        }),
      );
    });
    const seen: KubernetesObject[] = [];
    informer = new ResourceInformer(kc, KubernetesObjectApi.makeApiClient(kc), Kinds.Secret, {
      log: pino({ level: 'silent' }),
      metadataOnly: true,
    });
    informer.onChange((obj) => seen.push(structuredClone(obj)));
    await informer.start();
    await informer.synced;
    await expect.poll(() => informer?.get('enc', 'ns')?.metadata?.resourceVersion).toBe('2');

    expect(accepts.list).toEqual([AS_METADATA_LIST]);
    expect(accepts.watch).toEqual([AS_METADATA]);
    const cached = informer.list();
    expect(cached.map((s) => s.metadata)).toEqual([
      { name: 'enc', namespace: 'ns', resourceVersion: '2' },
      { name: 'db', namespace: 'ns', resourceVersion: '1' },
    ]);
    for (const obj of [...cached, ...seen]) expect(JSON.stringify(obj)).not.toContain(VALUE);
    expect(seen.map((s) => `${s.metadata?.name ?? ''}@${s.metadata?.resourceVersion ?? ''}`)).toEqual(['enc@1', 'db@1', 'enc@2']);
  });
});

describe('an informer for one namespace (WATCH_NAMESPACES)', () => {
  it.each([false, true])('lists and watches that namespace only (metadata only: %s)', async (metadataOnly) => {
    const paths: string[] = [];
    const kc = await serve((req, res) => {
      const url = new URL(req.url ?? '', 'http://x');
      res.writeHead(200, { 'content-type': 'application/json' });
      if (answeredDiscovery(url, res)) return;
      paths.push(`${url.pathname}${url.searchParams.get('watch') === 'true' ? ' watch' : ''}`);
      if (url.searchParams.get('watch') === 'true') {
        res.flushHeaders(); // held open, as a watch is
        return;
      }
      res.end(JSON.stringify({ apiVersion: 'v1', kind: 'SecretList', metadata: { resourceVersion: '1' }, items: [] }));
    });
    informer = new ResourceInformer(kc, KubernetesObjectApi.makeApiClient(kc), Kinds.Secret, {
      log: pino({ level: 'silent' }),
      namespace: 'team-a',
      metadataOnly,
    });
    await informer.start();
    await informer.synced;
    await expect.poll(() => paths).toEqual(['/api/v1/namespaces/team-a/secrets', '/api/v1/namespaces/team-a/secrets watch']);
  });
});

describe('an informer whose list is empty', () => {
  // A Go API server marshals an empty list as `items: null`: a cluster with no Secret at all
  // answers the Secret list so. The informer must still sync and go on to watch.
  it.each([
    { metadataOnly: false, namespace: undefined },
    { metadataOnly: true, namespace: undefined },
    { metadataOnly: false, namespace: 'team-a' },
    { metadataOnly: true, namespace: 'team-a' },
  ])(
    'syncs on `items: null` and caches what the watch adds (metadata only: $metadataOnly, namespace: $namespace)',
    async ({ metadataOnly, namespace }) => {
      const added = fullSecret('db', '2');
      added.metadata.namespace = namespace ?? 'ns';
      const kc = await serve((req, res) => {
        const url = new URL(req.url ?? '', 'http://x');
        res.writeHead(200, { 'content-type': 'application/json' });
        if (answeredDiscovery(url, res)) return;
        if (url.searchParams.get('watch') === 'true') {
          res.write(`${JSON.stringify({ type: 'ADDED', object: added })}\n`);
          return; // held open, as a watch is
        }
        res.end(JSON.stringify({ apiVersion: 'v1', kind: 'SecretList', metadata: { resourceVersion: '1' }, items: null }));
      });
      informer = new ResourceInformer(kc, KubernetesObjectApi.makeApiClient(kc), Kinds.Secret, {
        log: pino({ level: 'silent' }),
        namespace,
        metadataOnly,
      });
      let synced = false;
      void informer.synced.then(() => (synced = true));
      await informer.start();
      await expect.poll(() => synced).toBe(true);
      await expect.poll(() => informer?.get('db', namespace ?? 'ns')?.metadata?.resourceVersion).toBe('2');
    },
  );
});

describe('keepIdentityOnly', () => {
  it('leaves kind, name, namespace and resourceVersion', () => {
    const secret: KubernetesObject = fullSecret('db', '7');
    keepIdentityOnly(secret);
    expect(secret).toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'ns', resourceVersion: '7' } });
  });
});
