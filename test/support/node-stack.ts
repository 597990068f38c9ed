// What the e2e tier and the main job both do on the node profile: install the operator as a
// platform team does (config/default), with the images built here in place of the registry's.
import { parseAllDocuments, stringify } from 'yaml';
import { generateFernetKey } from '../../gateway/crypto/fernet.ts';
import type { BuiltImage } from '../../hack/images.ts';
import type { ControlPlane } from '../harness/control-plane.ts';
import { REPO_ROOT } from '../harness/processes.ts';

/** Image references by name, as the node profile imported them (operator, gateway, redis, ...). */
export type NodeImages = Record<string, string>;

export function imageReferences(images: ReadonlyMap<string, BuiltImage>): NodeImages {
  return Object.fromEntries([...images].map(([name, image]) => [name, image.reference]));
}

interface Container {
  image?: string;
  args?: string[];
  env?: { name: string; value?: string }[];
}

interface Doc {
  kind?: string;
  spec?: {
    template?: { spec?: { containers?: Container[] } };
    engine?: { image?: string; args?: string[] };
    cache?: { managed?: { image?: string } };
    vectorStore?: { type?: string; managed?: { image?: string }; external?: { url: string } };
  };
}

/** config/default rendered by kubectl kustomize, its operator and gateway images replaced by ours. */
export async function operatorManifests(cp: Pick<ControlPlane, 'kubectl'>, images: NodeImages): Promise<string> {
  const rendered = await cp.kubectl(['kustomize', `${REPO_ROOT}/config/default`]);
  if (rendered.code !== 0) throw new Error(`kubectl kustomize config/default: ${rendered.stderr}`);
  const docs = parseAllDocuments(rendered.stdout).map((d) => d.toJS() as Doc);
  const containers = docs.filter((d) => d.kind === 'Deployment').flatMap((d) => d.spec?.template?.spec?.containers ?? []);
  for (const container of containers) {
    container.image = images.operator;
    for (const env of container.env ?? []) if (env.name === 'GATEWAY_IMAGE') env.value = images.gateway;
  }
  return docs.map((d) => stringify(d)).join('---\n');
}

/** The simulator takes vLLM's flags; a dummy tokenizer keeps it offline whatever the model id. */
export const SIMULATOR_ARGS = ['--force-dummy-tokenizer', '--mode=echo'];

/**
 * Sample manifests made runnable here: a ModelServer runs the vLLM stand-in, a managed Redis and
 * Qdrant run the images built here. Where ../shared/qdrant had no server to pack, the vector store
 * is external: `qdrantUrl`, the emulator on the node's bridge.
 */
export function withNodeImages(manifests: string, images: NodeImages, qdrantUrl?: string): string {
  return parseAllDocuments(manifests)
    .map((d) => {
      const doc = d.toJS() as Doc;
      if (doc.kind === 'ModelServer' && doc.spec)
        doc.spec.engine = { ...doc.spec.engine, image: images['inference-sim'], args: SIMULATOR_ARGS };
      if (doc.kind === 'PerpetualDeployment' && doc.spec) {
        doc.spec.cache = { ...doc.spec.cache, managed: { ...doc.spec.cache?.managed, image: images.redis } };
        if (images.qdrant)
          doc.spec.vectorStore = { ...doc.spec.vectorStore, managed: { ...doc.spec.vectorStore?.managed, image: images.qdrant } };
        else if (qdrantUrl) doc.spec.vectorStore = { type: 'external', external: { url: qdrantUrl } };
      }
      return stringify(doc);
    })
    .join('---\n');
}

/** What the helpers below need of a cluster: kubectl that throws with its stderr on failure. */
export interface Kubectl {
  kubectlOk(args: string[], input?: string): Promise<string>;
}

export const OPERATOR_NAMESPACE = 'perpetual-system';

/** config/default applied (server-side, so every e2e file may apply it again) and its two pods rolled out. */
export async function installOperator(cluster: Kubectl & Pick<ControlPlane, 'kubectl'>, images: NodeImages): Promise<void> {
  await cluster.kubectlOk(['apply', '--server-side', '-f', '-'], await operatorManifests(cluster, images));
  await cluster.kubectlOk(['rollout', 'status', 'deployment/perpetual-operator', '-n', OPERATOR_NAMESPACE, '--timeout=180s']);
}

/** `kubectl get ... -o json`, parsed. */
export async function kubeJson<T>(cluster: Kubectl, args: string[]): Promise<T> {
  return JSON.parse(await cluster.kubectlOk([...args, '-o', 'json'])) as T;
}

/** A namespace with the two Secrets a stack refers to: `db` (PostgreSQL on the bridge) and `enc` (a fresh Fernet key). */
export async function createStackNamespace(cluster: Kubectl, namespace: string, postgresUrl: string): Promise<void> {
  await cluster.kubectlOk(['create', 'namespace', namespace]);
  const secrets = [
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace }, stringData: { uri: postgresUrl } },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'enc', namespace },
      stringData: { API_KEY_ENCRYPTION_KEY: generateFernetKey() },
    },
  ];
  await cluster.kubectlOk(['apply', '-f', '-'], secrets.map((s) => stringify(s)).join('---\n'));
}

/** A ModelServer running the vLLM stand-in (a made-up model and a dummy tokenizer keep it offline). */
export function modelServerManifest(
  images: NodeImages,
  meta: { name: string; namespace: string; model: string; servedName: string },
  spec: Record<string, unknown>,
): string {
  return stringify({
    apiVersion: 'perpetual.ai/v1alpha1',
    kind: 'ModelServer',
    metadata: { name: meta.name, namespace: meta.namespace },
    spec: {
      model: { id: meta.model, servedName: meta.servedName },
      engine: { image: images['inference-sim'], args: SIMULATOR_ARGS },
      gpu: { count: 1 },
      ...spec,
    },
  });
}

/** A local-mode PerpetualDeployment on the `db` and `enc` Secrets, its Redis and Qdrant from the images built here. */
export function localStackManifest(
  images: NodeImages,
  qdrantUrl: string | undefined,
  meta: { name: string; namespace: string },
  spec: { gatewayReplicas: number; models: { name: string; modelServerRef: { name: string } }[] },
): string {
  return withNodeImages(
    stringify({
      apiVersion: 'perpetual.ai/v1alpha1',
      kind: 'PerpetualDeployment',
      metadata: meta,
      spec: {
        mode: 'local',
        gateway: { replicas: spec.gatewayReplicas },
        database: { secretRef: { name: 'db' } },
        encryptionKeySecretRef: { name: 'enc' },
        vectorStore: { type: 'managed', managed: { storage: { size: '1Gi' } } },
        models: spec.models,
      },
    }),
    images,
    qdrantUrl,
  );
}

/** The gateway's Service URL (reached from the node through kube-proxy) and its admin token. */
export async function gatewayAccess(cluster: Kubectl, namespace: string, stack: string): Promise<{ url: string; adminToken: string }> {
  const service = await kubeJson<{ spec: { clusterIP: string; ports: { port: number }[] } }>(cluster, [
    'get',
    `service/${stack}-gateway`,
    '-n',
    namespace,
  ]);
  const secret = await kubeJson<{ data: { token: string } }>(cluster, ['get', `secret/${stack}-admin-token`, '-n', namespace]);
  return {
    url: `http://${service.spec.clusterIP}:${String(service.spec.ports[0]?.port)}`,
    adminToken: Buffer.from(secret.data.token, 'base64').toString(),
  };
}

export interface GatewayReply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** One JSON call to a gateway: an API key (`token`) or the admin token (`adminToken`). */
export async function gatewayCall(
  url: string,
  path: string,
  init: { method?: string; token?: string; adminToken?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<GatewayReply> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.adminToken) headers['x-admin-token'] = init.adminToken;
  const response = await fetch(`${url}${path}`, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    signal: AbortSignal.timeout(init.timeoutMs ?? 180_000),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

/** A user of `tier` and an API key for it, through the admin API. */
export async function newApiKey(url: string, adminToken: string, email: string, tier = 'pro'): Promise<{ userId: string; apiKey: string }> {
  const user = await gatewayCall(url, '/admin/users', { method: 'POST', adminToken, body: { email, tier } });
  if (user.status !== 201) throw new Error(`POST /admin/users: ${String(user.status)} ${JSON.stringify(user.body)}`);
  const userId = String(user.body.id);
  const key = await gatewayCall(url, `/admin/users/${userId}/keys`, { method: 'POST', adminToken, body: { name: email } });
  if (key.status !== 201) throw new Error(`POST /admin/users/${userId}/keys: ${String(key.status)} ${JSON.stringify(key.body)}`);
  return { userId, apiKey: String(key.body.key) };
}
