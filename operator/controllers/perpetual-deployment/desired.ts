// The desired children of a PerpetualDeployment: a pure function of the resource, the operator
// config and what was read for it. No clock, no randomness, sorted output.
import type { KubernetesObject, V1EnvVar, V1PodSpec, V1PodTemplateSpec } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { GatewayFileConfig, GatewayFileMemory, GatewayFileModel } from '../../api/v1alpha1/gateway-config.ts';
import { Annotations } from '../../api/v1alpha1/labels.ts';
import type { ModelServer } from '../../api/v1alpha1/model-server.ts';
import type { PerpetualDeployment } from '../../api/v1alpha1/perpetual-deployment.ts';
import type { OperatorConfig } from '../../config.ts';
import { buildConfigMap } from '../../resources/config-map.ts';
import { buildDeployment } from '../../resources/deployment.ts';
import { buildCpuHorizontalPodAutoscaler } from '../../resources/horizontal-pod-autoscaler.ts';
import { buildJob } from '../../resources/job.ts';
import { childMeta, ownerOf, selectorLabels, type Owner } from '../../resources/meta.ts';
import { buildPersistentVolumeClaim } from '../../resources/persistent-volume-claim.ts';
import { buildPodDisruptionBudget } from '../../resources/pod-disruption-budget.ts';
import {
  containerResources,
  envFromSecret,
  envValue,
  httpProbe,
  mergeEnv,
  ourImagePodSecurity,
  restrictedContainerSecurity,
  restrictedPodSecurity,
  specEnv,
} from '../../resources/pod.ts';
import { buildRole, buildRoleBinding } from '../../resources/role.ts';
import { buildSecret } from '../../resources/secret.ts';
import { buildServiceAccount } from '../../resources/service-account.ts';
import { buildService } from '../../resources/service.ts';
import { buildStatefulSet } from '../../resources/stateful-set.ts';
import { childNames, GeneratedKeys, Ports } from './names.ts';
import { modelServerEndpoint, modelServerReplicasHost } from '../model-server/names.ts';
import { shortHash } from '../../utils.ts';

export interface DesiredInput {
  pd: PerpetualDeployment;
  config: Pick<OperatorConfig, 'images'>;
  /** ModelServers in the namespace, by name (for local-mode endpoints). */
  modelServers: ReadonlyMap<string, ModelServer>;
  /** Hash of the referenced Secrets' contents: a change rolls the gateway pods. */
  referencedSecretsHash: string;
  /** Hash of the database credentials: a change runs the migration again. */
  databaseSecretHash: string;
  /** False while the database Secret is unusable: a migration then would only fail and hide the cause. */
  databaseUsable: boolean;
}

/** A Secret the operator creates once with random content and never overwrites. */
export interface GeneratedSecret {
  name: string;
  key: string;
  component: string;
}

export interface Desired {
  objects: KubernetesObject[];
  generatedSecrets: GeneratedSecret[];
}

type Spec = PerpetualDeployment['spec'];

function serviceUrl(name: string, namespace: string, port: number, scheme = 'http'): string {
  return `${scheme}://${name}.${namespace}.svc:${String(port)}`;
}

/** The in-cluster URL clients use to reach the gateway. */
export function gatewayUrl(pd: PerpetualDeployment): string {
  const spec = pd.spec;
  return serviceUrl(childNames(pd.metadata?.name ?? '').gateway, pd.metadata?.namespace ?? '', spec.gateway.service.port);
}

function qdrantUrl(pd: PerpetualDeployment): string {
  const spec = pd.spec;
  if (spec.vectorStore.type === 'external' && spec.vectorStore.external) return spec.vectorStore.external.url;
  return serviceUrl(childNames(pd.metadata?.name ?? '').qdrant, pd.metadata?.namespace ?? '', Ports.qdrantHttp);
}

function redisUrl(pd: PerpetualDeployment): string {
  const spec = pd.spec;
  if (spec.cache.type === 'external' && spec.cache.external) return spec.cache.external.url;
  return serviceUrl(childNames(pd.metadata?.name ?? '').redis, pd.metadata?.namespace ?? '', Ports.redis, 'redis');
}

export function generatedSecrets(pd: PerpetualDeployment): GeneratedSecret[] {
  const names = childNames(pd.metadata?.name ?? '');
  const secrets: GeneratedSecret[] = [];
  if (pd.spec.vectorStore.type === 'managed') secrets.push({ name: names.qdrantApiKey, key: GeneratedKeys.qdrantApiKey, component: 'qdrant' });
  if (pd.spec.cache.type === 'managed') secrets.push({ name: names.redisPassword, key: GeneratedKeys.redisPassword, component: 'redis' });
  if (!pd.spec.auth.adminTokenSecretRef) secrets.push({ name: names.adminToken, key: GeneratedKeys.adminToken, component: 'gateway' });
  return secrets;
}

// The builders below name every field of the file and use no conditional spreads: TypeScript
// checks object literals for unknown fields, but not inside `...(c ? { x } : {})`. An absent value
// is written as undefined, which the YAML leaves out.

/** spec.memory, with a ModelServer embedding source resolved to its in-cluster endpoint and served model. */
function memorySettings(spec: Spec, namespace: string, modelServers: ReadonlyMap<string, ModelServer>): GatewayFileMemory {
  const { enabled, topK, tokenBudget, retrievalTimeoutMs, embedding } = spec.memory;
  const ref = embedding.source === 'modelServer' ? embedding.modelServerRef : undefined;
  const server = ref ? modelServers.get(ref.name) : undefined;
  return {
    enabled,
    topK,
    tokenBudget,
    retrievalTimeoutMs,
    embedding: {
      source: embedding.source,
      modelServerRef: embedding.modelServerRef ? { name: embedding.modelServerRef.name } : undefined,
      endpoint: ref ? modelServerEndpoint(ref.name, namespace) : undefined,
      model: embedding.model ?? server?.spec.model.servedName ?? server?.spec.model.id,
      dimensions: embedding.dimensions,
    },
  };
}

/** The model id sent upstream: what the ModelServer serves, or the spec's upstreamModel for a provider. */
function upstreamModelOf(m: Spec['models'][number], server: ModelServer | undefined): string | undefined {
  if (m.modelServerRef) return server?.spec.model.servedName ?? server?.spec.model.id ?? m.name;
  return m.provider ? (m.upstreamModel ?? m.name) : undefined;
}

/** One model as the gateway routes it: to a provider, or to a ModelServer's Service and the DNS name of its replicas. */
function gatewayModel(m: Spec['models'][number], namespace: string, modelServers: ReadonlyMap<string, ModelServer>): GatewayFileModel {
  const ref = m.modelServerRef;
  return {
    name: m.name,
    provider: m.provider,
    upstreamModel: upstreamModelOf(m, ref ? modelServers.get(ref.name) : undefined),
    baseURL: m.baseURL,
    modelServer: ref?.name,
    endpoint: ref ? modelServerEndpoint(ref.name, namespace) : undefined,
    replicasHost: ref ? modelServerReplicasHost(ref.name, namespace) : undefined,
    fallback: m.fallback,
    pricing: m.pricing ? { inputPerMillionTokens: m.pricing.inputPerMillionTokens, outputPerMillionTokens: m.pricing.outputPerMillionTokens } : undefined,
  };
}

/**
 * The gateway's configuration (operator/api/v1alpha1/gateway-config.ts): everything it needs from
 * the spec but secrets, which go by reference in the environment. The only place the gateway learns
 * mode, models, memory, tiers, collection and billing from: the environment does not repeat them.
 */
export function gatewayFileConfig(pd: PerpetualDeployment, modelServers: ReadonlyMap<string, ModelServer>): GatewayFileConfig {
  const spec = pd.spec;
  const namespace = pd.metadata?.namespace ?? '';
  const polar = spec.billing?.polar;
  const tier = (limits: Spec['tiers']['free']) => ({ requestsPerMinute: limits.requestsPerMinute, requestsPerDay: limits.requestsPerDay });
  return {
    mode: spec.mode,
    models: [...spec.models].sort((a, b) => a.name.localeCompare(b.name)).map((m) => gatewayModel(m, namespace, modelServers)),
    memory: memorySettings(spec, namespace, modelServers),
    tiers: { free: tier(spec.tiers.free), pro: tier(spec.tiers.pro), enterprise: tier(spec.tiers.enterprise) },
    vectorStore: { collection: spec.vectorStore.collection },
    billing: polar ? { polar: { organizationId: polar.organizationId, server: polar.server, eventName: polar.eventName } } : undefined,
  };
}

/** The gateway's configuration file, mounted read-only from the ConfigMap. */
export function gatewayConfigFile(pd: PerpetualDeployment, modelServers: ReadonlyMap<string, ModelServer>): string {
  return stringify(gatewayFileConfig(pd, modelServers));
}

/**
 * Gateway environment, using the deployment guide's variable names: secrets (only by reference)
 * and process settings. What the spec says about mode, models, tiers, memory and billing is in the
 * configuration file alone; the gateway still reads those variables, for installs without the
 * operator and for a user's spec.gateway.env, which wins over the file.
 */
function gatewayEnv(pd: PerpetualDeployment): V1EnvVar[] {
  const spec = pd.spec;
  const names = childNames(pd.metadata?.name ?? '');
  const env: V1EnvVar[] = [
    envValue('API_HOST', '0.0.0.0'),
    envValue('API_PORT', String(Ports.gateway)),
    envValue('API_PREFIX', '/v1'),
    envValue('LOG_LEVEL', spec.gateway.logLevel ?? 'info'),
    envValue('PERPETUAL_CONFIG', '/etc/perpetual/config.yaml'),
    envFromSecret('DATABASE_URL', { name: spec.database.secretRef.name, key: spec.database.secretRef.key }),
    envFromSecret('API_KEY_ENCRYPTION_KEY', spec.encryptionKeySecretRef),
    // The URLs come from the connection Secret: an external one may carry credentials
    // (redis://user:password@...), which must not sit in the Deployment for anyone who can read it.
    envFromSecret('QDRANT_URL', { name: names.connection, key: 'QDRANT_URL' }),
    envFromSecret('REDIS_URL', { name: names.connection, key: 'REDIS_URL' }),
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
  ];
  return mergeEnv([...env, ...secretEnv(pd, names)], specEnv(spec.gateway.env));
}

/** Variables whose values come from Secrets: generated ones for managed components, the user's otherwise. */
function secretEnv(pd: PerpetualDeployment, names: ReturnType<typeof childNames>): V1EnvVar[] {
  const spec = pd.spec;
  const qdrantKey = spec.vectorStore.type === 'managed' ? { name: names.qdrantApiKey, key: GeneratedKeys.qdrantApiKey } : spec.vectorStore.external?.apiKeySecretRef;
  const redisPassword = spec.cache.type === 'managed' ? { name: names.redisPassword, key: GeneratedKeys.redisPassword } : spec.cache.external?.passwordSecretRef;
  const polar = spec.billing?.polar;
  return [
    ...(qdrantKey ? [envFromSecret('QDRANT_API_KEY', qdrantKey)] : []),
    ...(redisPassword ? [envFromSecret('REDIS_PASSWORD', redisPassword)] : []),
    ...(spec.auth.jwtSecretRef ? [envFromSecret('SUPABASE_JWT_SECRET', spec.auth.jwtSecretRef)] : []),
    envFromSecret('ADMIN_TOKEN', spec.auth.adminTokenSecretRef ?? { name: names.adminToken, key: GeneratedKeys.adminToken }),
    ...(polar
      ? [envFromSecret('POLAR_API_KEY', polar.tokenSecretRef)]
      : []),
  ];
}

type PodOverrides = NonNullable<Spec['gateway']['podTemplate']>;

/** The scheduling fields a user may set through gateway.podTemplate, only where set. */
function schedulingOverrides(overrides: PodOverrides | undefined): Partial<V1PodSpec> {
  if (!overrides) return {};
  const { serviceAccountName, priorityClassName, nodeSelector, tolerations, affinity, imagePullSecrets } = overrides;
  return Object.fromEntries(
    Object.entries({ serviceAccountName, priorityClassName, nodeSelector, tolerations, affinity, imagePullSecrets }).filter(([, v]) => v !== undefined),
  );
}

function gatewayPodTemplate(owner: Owner, pd: PerpetualDeployment, configHash: string, image: string): V1PodTemplateSpec {
  const spec = pd.spec;
  const overrides = spec.gateway.podTemplate;
  const names = childNames(owner.name);
  return {
    metadata: {
      labels: { ...overrides?.labels, ...childMeta(owner, '', 'gateway').labels },
      annotations: { ...overrides?.annotations, [Annotations.configHash]: configHash },
    },
    spec: {
      securityContext: ourImagePodSecurity,
      ...schedulingOverrides(overrides),
      // Spread replicas over nodes so one node failure cannot take the API down.
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selectorLabels(owner, 'gateway') } },
      ],
      terminationGracePeriodSeconds: 30,
      // Only local mode talks to the Kubernetes API (to scale a ModelServer from zero).
      ...(spec.mode === 'local' ? { serviceAccountName: childNames(owner.name).gateway } : { automountServiceAccountToken: false }),
      containers: [
        {
          name: 'gateway',
          image,
          args: ['serve'],
          ports: [{ name: 'http', containerPort: Ports.gateway }],
          env: gatewayEnv(pd),
          resources: containerResources(spec.gateway.resources ?? { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '1Gi' } }),
          readinessProbe: httpProbe('/health', 'http', { periodSeconds: 5, failureThreshold: 2 }),
          livenessProbe: httpProbe('/health', 'http', { periodSeconds: 10, failureThreshold: 6 }),
          securityContext: { ...restrictedContainerSecurity, readOnlyRootFilesystem: true },
          volumeMounts: [{ name: 'config', mountPath: '/etc/perpetual', readOnly: true }],
        },
      ],
      volumes: [{ name: 'config', configMap: { name: names.gatewayConfig } }],
    },
  };
}

function gatewayObjects(owner: Owner, input: DesiredInput, image: string): KubernetesObject[] {
  const { pd } = input;
  const spec = pd.spec;
  const names = childNames(owner.name);
  const configFile = gatewayConfigFile(pd, input.modelServers);
  // The URLs are in the hash because the pods read them from the connection Secret: a changed URL rolls them.
  const configHash = shortHash({ configFile, env: gatewayEnv(pd), urls: [qdrantUrl(pd), redisUrl(pd)], secrets: input.referencedSecretsHash });
  const selector = selectorLabels(owner, 'gateway');
  const autoscaling = spec.gateway.autoscaling;
  const objects: KubernetesObject[] = [
    buildConfigMap(childMeta(owner, names.gatewayConfig, 'gateway'), { 'config.yaml': configFile }),
    buildDeployment(childMeta(owner, names.gateway, 'gateway'), {
      selector,
      replicas: autoscaling ? undefined : (spec.gateway.replicas ?? 2),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: gatewayPodTemplate(owner, pd, configHash, image),
    }),
    buildService(childMeta(owner, names.gateway, 'gateway', spec.gateway.service.annotations ? { annotations: spec.gateway.service.annotations } : {}), {
      selector,
      type: spec.gateway.service.type,
      ports: [{ name: 'http', port: spec.gateway.service.port, targetPort: 'http' }],
    }),
    buildPodDisruptionBudget(childMeta(owner, names.gateway, 'gateway'), selector),
  ];
  if (autoscaling) {
    objects.push(buildCpuHorizontalPodAutoscaler(childMeta(owner, names.gateway, 'gateway'), { deploymentName: names.gateway, ...autoscaling }));
  }
  return objects;
}

function qdrantPodCommand(names: ReturnType<typeof childNames>, namespace: string, replicas: number): string[] {
  if (replicas === 1) return [];
  // Cluster mode: pod 0 starts the cluster, the others bootstrap from it (as Qdrant's own chart does).
  const peer = (host: string) => `http://${host}.${names.qdrantHeadless}.${namespace}.svc:${String(Ports.qdrantP2p)}`;
  return [
    '/bin/sh',
    '-c',
    `if [ "\${HOSTNAME##*-}" = 0 ]; then exec ./entrypoint.sh --uri ${peer('${HOSTNAME}')}; ` +
      `else exec ./entrypoint.sh --bootstrap ${peer(`${names.qdrant}-0`)} --uri ${peer('${HOSTNAME}')}; fi`,
  ];
}

function qdrantObjects(owner: Owner, pd: PerpetualDeployment): KubernetesObject[] {
  const managed = pd.spec.vectorStore.managed;
  const names = childNames(owner.name);
  const selector = selectorLabels(owner, 'qdrant');
  const command = qdrantPodCommand(names, owner.namespace, managed.replicas);
  const ports = [
    { name: 'http', port: Ports.qdrantHttp, targetPort: 'http' },
    { name: 'grpc', port: Ports.qdrantGrpc, targetPort: 'grpc' },
  ];
  return [
    buildService(childMeta(owner, names.qdrant, 'qdrant'), { selector, ports }),
    buildService(childMeta(owner, names.qdrantHeadless, 'qdrant'), {
      selector,
      headless: true,
      ports: [...ports, { name: 'p2p', port: Ports.qdrantP2p, targetPort: 'p2p' }],
    }),
    buildStatefulSet(childMeta(owner, names.qdrant, 'qdrant'), {
      selector,
      serviceName: names.qdrantHeadless,
      replicas: managed.replicas,
      template: {
        metadata: { labels: childMeta(owner, '', 'qdrant').labels },
        spec: {
          securityContext: { ...restrictedPodSecurity, runAsUser: 1000, fsGroup: 1000 },
          containers: [
            {
              name: 'qdrant',
              image: managed.image,
              ...(command.length > 0 ? { command } : {}),
              ports: [
                { name: 'http', containerPort: Ports.qdrantHttp },
                { name: 'grpc', containerPort: Ports.qdrantGrpc },
                { name: 'p2p', containerPort: Ports.qdrantP2p },
              ],
              env: [
                envFromSecret('QDRANT__SERVICE__API_KEY', { name: names.qdrantApiKey, key: GeneratedKeys.qdrantApiKey }),
                ...(managed.replicas > 1 ? [envValue('QDRANT__CLUSTER__ENABLED', 'true')] : []),
              ],
              ...(managed.resources ? { resources: containerResources(managed.resources) } : {}),
              readinessProbe: httpProbe('/readyz', 'http', { periodSeconds: 5 }),
              livenessProbe: httpProbe('/livez', 'http', { periodSeconds: 10, failureThreshold: 6 }),
              securityContext: restrictedContainerSecurity,
              volumeMounts: [{ name: 'storage', mountPath: '/qdrant/storage' }],
            },
          ],
        },
      },
      volumeClaimTemplates: [
        buildPersistentVolumeClaim({ name: 'storage' }, { size: String(managed.storage.size), accessMode: 'ReadWriteOnce', ...(managed.storage.storageClassName ? { storageClassName: managed.storage.storageClassName } : {}) }),
      ],
    }),
  ];
}

function redisObjects(owner: Owner, pd: PerpetualDeployment): KubernetesObject[] {
  const managed = pd.spec.cache.managed;
  const names = childNames(owner.name);
  const selector = selectorLabels(owner, 'redis');
  return [
    buildService(childMeta(owner, names.redis, 'redis'), { selector, ports: [{ name: 'redis', port: Ports.redis, targetPort: 'redis' }] }),
    buildDeployment(childMeta(owner, names.redis, 'redis'), {
      selector,
      replicas: 1,
      // Never two Redis at once: counters would split between them during a rollout.
      strategy: { type: 'Recreate' },
      template: {
        metadata: { labels: childMeta(owner, '', 'redis').labels },
        spec: {
          securityContext: { ...restrictedPodSecurity, runAsUser: 999 },
          containers: [
            {
              name: 'redis',
              image: managed.image,
              // Rate-limit counters are cheap to lose and must be fast: no persistence.
              command: ['sh', '-c', 'exec redis-server --requirepass "$REDIS_PASSWORD" --save "" --appendonly no'],
              ports: [{ name: 'redis', containerPort: Ports.redis }],
              env: [envFromSecret('REDIS_PASSWORD', { name: names.redisPassword, key: GeneratedKeys.redisPassword })],
              ...(managed.resources ? { resources: containerResources(managed.resources) } : {}),
              readinessProbe: { tcpSocket: { port: 'redis' }, periodSeconds: 5 },
              livenessProbe: { tcpSocket: { port: 'redis' }, periodSeconds: 10, failureThreshold: 6 },
              securityContext: restrictedContainerSecurity,
            },
          ],
        },
      },
    }),
  ];
}

/**
 * The migration Job's name changes with the gateway image and the database credentials, so a new
 * version migrates again, and so does a fix after a failed run (a Job never runs twice).
 */
export function migrationJobName(pdName: string, image: string, databaseSecretHash: string): string {
  return `${childNames(pdName).migrationPrefix}${shortHash({ image, databaseSecretHash }, 8)}`;
}

export function gatewayImage(pd: PerpetualDeployment, config: Pick<OperatorConfig, 'images'>): string {
  return pd.spec.gateway.image ?? config.images.gateway;
}

function migrationJob(owner: Owner, pd: PerpetualDeployment, image: string, databaseSecretHash: string): KubernetesObject {
  const db = pd.spec.database.secretRef;
  return buildJob(childMeta(owner, migrationJobName(owner.name, image, databaseSecretHash), 'migration'), {
    metadata: { labels: childMeta(owner, '', 'migration').labels },
    spec: {
      securityContext: ourImagePodSecurity,
      containers: [
        {
          name: 'migrate',
          image,
          args: ['migrate'],
          env: [envFromSecret('DATABASE_URL', { name: db.name, key: db.key })],
          securityContext: { ...restrictedContainerSecurity, readOnlyRootFilesystem: true },
        },
      ],
    },
  });
}

function connectionSecret(owner: Owner, pd: PerpetualDeployment): KubernetesObject {
  const redis = new URL(redisUrl(pd));
  return buildSecret(childMeta(owner, childNames(owner.name).connection, 'gateway'), {
    GATEWAY_URL: gatewayUrl(pd),
    OPENAI_BASE_URL: `${gatewayUrl(pd)}/v1`,
    QDRANT_URL: qdrantUrl(pd),
    REDIS_URL: redisUrl(pd),
    REDIS_HOST: redis.hostname,
    REDIS_PORT: redis.port || String(Ports.redis),
  });
}

function sortObjects(objects: KubernetesObject[]): KubernetesObject[] {
  const key = (o: KubernetesObject): string => `${o.kind ?? ''}/${o.metadata?.name ?? ''}`;
  return [...objects].sort((a, b) => key(a).localeCompare(key(b)));
}

/**
 * Local mode: the gateway's own ServiceAccount, allowed exactly what scale-from-zero needs: read
 * and patch the scale of the namespace's ModelServers. The gateway only ever patches 0 -> 1,
 * guarded by the resourceVersion it read, so it cannot fight the autoscaler.
 */
function gatewayIdentity(owner: Owner): KubernetesObject[] {
  const name = childNames(owner.name).gateway;
  return [
    buildServiceAccount(childMeta(owner, name, 'gateway')),
    buildRole(childMeta(owner, name, 'gateway'), [{ apiGroups: ['perpetual.ai'], resources: ['modelservers/scale'], verbs: ['get', 'patch'] }]),
    buildRoleBinding(childMeta(owner, name, 'gateway'), { role: name, serviceAccount: name }),
  ];
}

export function desiredObjects(input: DesiredInput): Desired {
  const { pd } = input;
  const owner = ownerOf({ ...pd, kind: 'PerpetualDeployment' });
  const image = gatewayImage(pd, input.config);
  const objects = [
    ...gatewayObjects(owner, input, image),
    ...(pd.spec.mode === 'local' ? gatewayIdentity(owner) : []),
    ...(pd.spec.vectorStore.type === 'managed' ? qdrantObjects(owner, pd) : []),
    ...(pd.spec.cache.type === 'managed' ? redisObjects(owner, pd) : []),
    ...(input.databaseUsable ? [migrationJob(owner, pd, image, input.databaseSecretHash)] : []),
    connectionSecret(owner, pd),
  ];
  return { objects: sortObjects(objects), generatedSecrets: generatedSecrets(pd) };
}
