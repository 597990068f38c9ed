// The whole product on a real node: the operator installed from config/default as a pod from its
// image, a local-mode PerpetualDeployment whose every child runs for real (gateway pods passing
// their probes, the migration Job against PostgreSQL, Redis and Qdrant from images built here,
// the vLLM stand-in behind its Service), and a user's traffic from the node through kube-proxy.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { parseTable, testCluster } from '../support/kube.ts';
import {
  createStackNamespace,
  gatewayAccess,
  gatewayCall as callGateway,
  type GatewayReply,
  installOperator,
  kubeJson,
  localStackManifest,
  modelServerManifest,
  OPERATOR_NAMESPACE,
} from '../support/node-stack.ts';

const cluster = testCluster();
const images = inject('images');
const postgresUrl = inject('postgresUrl');
const NS = 'e2e';
const MODEL = 'perpetual-e2e/sim-7b';
const SERVED = 'sim-7b';

/** `kubectl get <resource> -o wide` as rows keyed by column header. */
async function table(resource: string, namespace = NS): Promise<Record<string, string>[]> {
  return parseTable(await cluster.kubectlOk(['get', resource, '-n', namespace, '-o', 'wide']));
}

async function json<T>(args: string[]): Promise<T> {
  return kubeJson<T>(cluster, args);
}

interface Status {
  phase?: string;
  phaseReason?: string;
  conditions?: { type: string; status: string; reason: string; message: string }[];
}

function modelServer(name: string, spec: Record<string, unknown>): string {
  return modelServerManifest(images, { name, namespace: NS, model: MODEL, servedName: SERVED }, spec);
}

function stack(): string {
  return localStackManifest(
    images,
    inject('externalQdrantUrl'),
    { name: 'stack', namespace: NS },
    { gatewayReplicas: 2, models: [{ name: SERVED, modelServerRef: { name: 'sim' } }] },
  );
}

let gatewayUrl = '';
let adminToken = '';
let apiKey = '';
let userId = '';

async function gatewayCall(
  path: string,
  init: { method?: string; token?: string; admin?: boolean; body?: unknown } = {},
): Promise<GatewayReply> {
  return callGateway(gatewayUrl, path, { ...init, ...(init.admin ? { adminToken } : {}) });
}

async function chat(content: string, conversation: string, endUser = 'e2e-end-user'): Promise<GatewayReply> {
  return gatewayCall('/v1/chat/completions', {
    method: 'POST',
    token: apiKey,
    body: { model: SERVED, user: endUser, conversation_id: conversation, messages: [{ role: 'user', content }] },
  });
}

async function usageRows(user: string): Promise<number> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM usage_logs WHERE user_id = $1', [user]);
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

async function gatewayPods(): Promise<string[]> {
  const pods = await json<{ items: { metadata: { name: string; deletionTimestamp?: string }; status: { phase: string } }[] }>([
    'get',
    'pods',
    '-n',
    NS,
    '-l',
    'app.kubernetes.io/instance=stack,app.kubernetes.io/component=gateway',
  ]);
  return pods.items
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => p.metadata.name)
    .sort();
}

beforeAll(async () => {
  await installOperator(cluster, images);
  await createStackNamespace(cluster, NS, postgresUrl);
}, 240_000);

afterAll(async () => {
  // Ask for the namespace to go; the harness stops the node (and every container) either way.
  await cluster.kubectl(['delete', 'namespace', NS, '--wait=false']);
});

describe('the operator, installed from config/default', () => {
  it('runs as two pods from its image under its own numeric non-root user', async () => {
    const pods = await json<{
      items: {
        spec: { containers: { image: string }[]; securityContext: { runAsUser?: number } };
        status: { containerStatuses: { ready: boolean }[] };
      }[];
    }>(['get', 'pods', '-n', OPERATOR_NAMESPACE, '-l', 'app.kubernetes.io/component=operator']);
    expect(pods.items).toHaveLength(2);
    for (const pod of pods.items) {
      expect(pod.spec.containers[0]?.image).toBe(images.operator);
      expect(pod.status.containerStatuses[0]?.ready).toBe(true);
    }
    // kubectl logs goes API server → kubelet by InternalIP: the real streaming path works.
    const logs = await cluster.kubectlOk(['logs', '-n', OPERATOR_NAMESPACE, 'deployment/perpetual-operator', '--tail=50']);
    expect(logs).toMatch(/"level"/);
  }, 240_000);
});

describe('a local-mode PerpetualDeployment on a real node', () => {
  it('brings every child up for real and says so in kubectl get', async () => {
    await cluster.kubectlOk(
      ['apply', '-f', '-'],
      modelServer('sim', { autoscaling: { minReplicas: 0, maxReplicas: 1, metric: 'inFlight', target: 4, scaleDownDelaySeconds: 600 } }),
    );
    await cluster.kubectlOk(['apply', '-f', '-'], stack());
    await cluster.kubectlOk(['wait', '--for=condition=Ready', 'pd/stack', '-n', NS, '--timeout=300s']);
    const [row] = await table('pd/stack');
    expect(row).toMatchObject({ READY: 'True', PHASE: 'Ready', MODE: 'local', GATEWAY: '2/2', MODELS: '1/1' });
    const pd = await json<{ status: Status }>(['get', 'pd/stack', '-n', NS]);
    const conditions = Object.fromEntries((pd.status.conditions ?? []).map((c) => [c.type, c.status]));
    expect(conditions).toMatchObject({
      DatabaseReady: 'True',
      CacheReady: 'True',
      GatewayReady: 'True',
      ModelsReady: 'True',
      Ready: 'True',
    });
    // The migration Job ran to completion against PostgreSQL.
    const jobs = await json<{ items: { metadata: { name: string }; status: { succeeded?: number } }[] }>(['get', 'jobs', '-n', NS]);
    expect(jobs.items.some((j) => j.metadata.name.startsWith('stack-migrate-') && j.status.succeeded === 1)).toBe(true);
    // Every pod the stack owns is running its container for real.
    const pods = await json<{
      items: { metadata: { labels: Record<string, string> }; status: { containerStatuses?: { state: { running?: unknown } }[] } }[];
    }>(['get', 'pods', '-n', NS, '-l', 'app.kubernetes.io/instance=stack']);
    const running = pods.items.filter((p) => p.status.containerStatuses?.every((c) => c.state.running));
    expect(new Set(running.map((p) => p.metadata.labels['app.kubernetes.io/component']))).toEqual(
      new Set(['gateway', 'redis', ...(images.qdrant ? ['qdrant'] : [])]),
    );
    // Scaled to zero until the first request.
    const [ms] = await table('ms/sim');
    expect(ms).toMatchObject({ READY: 'True', REPLICAS: '0/0', 'MIN-MAX': '0-1' });
    ({ url: gatewayUrl, adminToken } = await gatewayAccess(cluster, NS, 'stack'));
  }, 360_000);

  it('answers /health through the Service, and the admin API issues a key', async () => {
    // Every dependency reached from inside the pod by its cluster DNS name; the model is named but
    // not probed while it is scaled to zero. A gateway that started before Qdrant was ready says
    // so (degraded) until its next retry finds it, a few seconds later.
    await eventually(
      async () => {
        const health = await gatewayCall('/health');
        expect(health.status).toBe(200);
        expect(health.body).toMatchObject({
          vector_db_connected: true,
          dependencies: { database: { ok: true }, redis: { ok: true }, vector_store: { ok: true } },
        });
      },
      60_000,
      1000,
    );
    const user = await gatewayCall('/admin/users', { method: 'POST', admin: true, body: { email: 'e2e@example.com', tier: 'pro' } });
    expect(user.status).toBe(201);
    userId = String(user.body.id);
    const key = await gatewayCall(`/admin/users/${userId}/keys`, { method: 'POST', admin: true, body: { name: 'e2e' } });
    expect(key.status).toBe(201);
    apiKey = String(key.body.key);
  }, 120_000);

  it('scales the model from zero with a real pod and answers, then recalls it through memory', async () => {
    const first = await chat('My sister Priya lives in Lisbon.', 'monday');
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(JSON.stringify(first.body)).toContain('Priya');
    // The status follows the pod that served the chat.
    await eventually(
      async () => {
        const [ms] = await table('ms/sim');
        expect(ms).toMatchObject({ READY: 'True', REPLICAS: '1/1' });
      },
      30_000,
      500,
    );
    const pods = await json<{ items: { status: { containerStatuses?: { ready: boolean; state: { running?: unknown } }[] } }[] }>([
      'get',
      'pods',
      '-n',
      NS,
      '-l',
      'app.kubernetes.io/instance=sim',
    ]);
    expect(pods.items.some((p) => p.status.containerStatuses?.[0]?.ready)).toBe(true);
    // The turn is written to memory after the response; the next chat finds it.
    const second = await eventually(
      async () => {
        const reply = await chat('Where does my sister live?', 'friday');
        expect(reply.status).toBe(200);
        expect(reply.headers.get('x-perpetual-memory-ids') ?? '').not.toBe('');
        return reply;
      },
      30_000,
      1000,
    );
    expect(second.status).toBe(200);
    // Another end user of the same API key is never given it.
    const stranger = await chat('Where does my sister live?', 'friday', 'another-end-user');
    expect(stranger.status).toBe(200);
    expect(stranger.headers.get('x-perpetual-memory-ids') ?? '').toBe('');
    expect(JSON.stringify(stranger.body)).not.toContain('Priya');
  }, 240_000);

  it('rolls the gateway pods when the configuration changes', async () => {
    const before = await gatewayPods();
    await cluster.kubectlOk(['patch', 'pd/stack', '-n', NS, '--type=merge', '-p', JSON.stringify({ spec: { memory: { topK: 3 } } })]);
    await eventually(
      async () => {
        const after = await gatewayPods();
        expect(after).toHaveLength(2);
        expect(after.filter((p) => before.includes(p))).toEqual([]);
      },
      180_000,
      1000,
    );
    await cluster.kubectlOk(['wait', '--for=condition=Ready', 'pd/stack', '-n', NS, '--timeout=180s']);
    await cluster.kubectlOk(['rollout', 'status', 'deployment/stack-gateway', '-n', NS, '--timeout=180s']);
  }, 400_000);

  it('loses no usage row when a gateway pod is killed under traffic', async () => {
    const rowsBefore = await usageRows(userId);
    const [victim = ''] = await gatewayPods();
    let answered = 0;
    const traffic = (async () => {
      for (let i = 0; i < 30; i++) {
        const reply = await chat(`Message number ${String(i)}.`, 'under-fire').catch(() => undefined);
        if (reply?.status === 200) answered++;
      }
    })();
    await new Promise((r) => setTimeout(r, 500));
    await cluster.kubectlOk(['delete', 'pod', victim, '-n', NS, '--wait=false']);
    await traffic;
    expect(answered).toBeGreaterThan(20);
    // Usage rows are batched; the killed pod flushed its batch before exiting.
    await eventually(
      async () => {
        expect(await usageRows(userId)).toBe(rowsBefore + answered);
      },
      30_000,
      500,
    );
    await eventually(
      async () => {
        expect(await gatewayPods()).toHaveLength(2);
      },
      120_000,
      1000,
    );
  }, 300_000);
});

describe('a pod that fails shows why, in the kubelet words', () => {
  const broken: [string, Record<string, unknown>, RegExp][] = [
    ['no-image', { engine: { image: 'perpetual.local/does-not-exist:0.0.0' } }, /ImagePullBackOff|ErrImagePull/],
    ['crashes', { engine: { image: images['inference-sim'], args: ['--no-such-flag'] } }, /CrashLoopBackOff/],
    [
      'bad-config',
      {
        engine: {
          image: images['inference-sim'],
          args: ['--force-dummy-tokenizer'],
          env: [{ name: 'TOKEN', secretKeyRef: { name: 'missing', key: 'k' } }],
        },
      },
      /CreateContainerConfigError/,
    ],
    // Node.js needs far more than 16 MiB just to start: the kernel kills it at once.
    ['out-of-memory', { engine: { image: images.gateway, resources: { limits: { memory: '16Mi' } } } }, /OOMKilled/],
  ];

  it.each(broken)(
    '%s',
    async (name, spec, reason) => {
      await cluster.kubectlOk(['apply', '-f', '-'], modelServer(name, { gpu: { count: 0 }, replicas: 1, ...spec }));
      await eventually(
        async () => {
          const ms = await json<{ status: Status }>(['get', `ms/${name}`, '-n', NS]);
          const said = [ms.status.phaseReason ?? '', ...(ms.status.conditions ?? []).flatMap((c) => [c.reason, c.message])].join(' ');
          expect(said).toMatch(reason);
        },
        120_000,
        1000,
      );
      await cluster.kubectlOk(['delete', 'ms', name, '-n', NS, '--wait=false']);
    },
    180_000,
  );
});
