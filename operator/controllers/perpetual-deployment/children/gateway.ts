// The gateway: its configuration file (a ConfigMap), the Deployment that mounts it, its Service,
// a PodDisruptionBudget and, when it autoscales, a HorizontalPodAutoscaler.
import type { KubernetesObject, V1EnvVar, V1PodSpec, V1PodTemplateSpec } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type {
  GatewayFileConfig,
  GatewayFileFactExtraction,
  GatewayFileMemory,
  GatewayFileModel,
} from '../../../api/v1alpha1/gateway-config.ts';
import { Annotations } from '../../../api/v1alpha1/labels.ts';
import type { ModelServer } from '../../../api/v1alpha1/model-server.ts';
import type { PerpetualDeployment } from '../../../api/v1alpha1/perpetual-deployment.ts';
import type { OperatorConfig } from '../../../config.ts';
import { buildConfigMap } from '../../../resources/config-map.ts';
import { buildDeployment } from '../../../resources/deployment.ts';
import { buildCpuHorizontalPodAutoscaler } from '../../../resources/horizontal-pod-autoscaler.ts';
import { childMeta, selectorLabels, type Owner } from '../../../resources/meta.ts';
import { buildPodDisruptionBudget } from '../../../resources/pod-disruption-budget.ts';
import {
  containerResources,
  envFromSecret,
  envValue,
  httpProbe,
  mergeEnv,
  ourImagePodSecurity,
  restrictedContainerSecurity,
  specEnv,
} from '../../../resources/pod.ts';
import {
  buildNetworkPolicy,
  DNS_EGRESS,
  ingressRule,
  tcpPorts,
  type NetworkPolicy,
  type NetworkPolicyEgressRule,
} from '../../../resources/network-policy.ts';
import { buildService } from '../../../resources/service.ts';
import { shortHash } from '../../../utils.ts';
import { modelServerEndpoint, modelServerReplicasHost } from '../../model-server/names.ts';
import { gatewayAdapters } from '../../../adapters/gateway-adapters.ts';
import { childNames, GeneratedKeys, Ports } from '../names.ts';
import { qdrantUrl, redisUrl } from './connection.ts';
import { metricsPeers, networkPoliciesEnabled, operatorPeer, specPeer } from './network-peers.ts';

/** What the gateway's children are built from, besides their owner. */
export interface GatewayInput {
  pd: PerpetualDeployment;
  /** The gateway image (gatewayImage): the Deployment runs it. */
  image: string;
  /** ModelServers in the namespace, by name (for local-mode endpoints). */
  modelServers: ReadonlyMap<string, ModelServer>;
  /** Hash of the referenced Secrets' contents: a change rolls the gateway pods. */
  referencedSecretsHash: string;
  /** Where the operator runs: its autoscaler reads the gateway's metrics, which the NetworkPolicy allows. */
  operatorNamespace: string;
}

type Spec = PerpetualDeployment['spec'];

/** spec.gateway.image, else the operator's default. The migration Job runs it too. */
export function gatewayImage(pd: PerpetualDeployment, config: Pick<OperatorConfig, 'images'>): string {
  return pd.spec.gateway.image ?? config.images.gateway;
}

// The builders below name every field of the file and use no conditional spreads: TypeScript
// checks object literals for unknown fields, but not inside `...(c ? { x } : {})`. An absent value
// is written as undefined, which the YAML leaves out.

/** spec.memory.factExtraction when on (absent from the file when off, so files of deployments without it stay as they were). */
function factExtractionSettings(
  spec: Spec,
  namespace: string,
  modelServers: ReadonlyMap<string, ModelServer>,
): GatewayFileFactExtraction | undefined {
  const facts = spec.memory.factExtraction;
  if (!facts.enabled) return undefined;
  const ref = facts.source === 'modelServer' ? facts.modelServerRef : undefined;
  const server = ref ? modelServers.get(ref.name) : undefined;
  return {
    enabled: true,
    source: facts.source,
    model: facts.model ?? server?.spec.model.servedName ?? server?.spec.model.id,
    modelServerRef: ref ? { name: ref.name } : undefined,
    endpoint: ref ? modelServerEndpoint(ref.name, namespace) : undefined,
    tiers: [...facts.tiers],
    batchSize: facts.batchSize,
    flushIntervalMs: facts.flushIntervalMs,
    timeoutMs: facts.timeoutMs,
  };
}

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
    factExtraction: factExtractionSettings(spec, namespace, modelServers),
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
  const server = ref ? modelServers.get(ref.name) : undefined;
  return {
    name: m.name,
    provider: m.provider,
    upstreamModel: upstreamModelOf(m, server),
    baseURL: m.baseURL,
    modelServer: ref?.name,
    endpoint: ref ? modelServerEndpoint(ref.name, namespace) : undefined,
    replicasHost: ref ? modelServerReplicasHost(ref.name, namespace) : undefined,
    // The ModelServer says how its replicas share the work; unset, the gateway's ROUTING_POLICY or its default (prefix).
    routing: server?.spec.routing,
    adapters: gatewayAdapters(server),
    standby: server?.spec.autoscaling?.standby ? true : undefined,
    fallback: m.fallback,
    pricing: m.pricing
      ? {
          inputPerMillionTokens: m.pricing.inputPerMillionTokens,
          outputPerMillionTokens: m.pricing.outputPerMillionTokens,
          cachedInputPerMillionTokens: m.pricing.cachedInputPerMillionTokens,
          cacheWritePerMillionTokens: m.pricing.cacheWritePerMillionTokens,
        }
      : undefined,
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
  const tier = (limits: Spec['tiers']['free']) => ({
    requestsPerMinute: limits.requestsPerMinute,
    requestsPerDay: limits.requestsPerDay,
    tokensPerMinute: limits.tokensPerMinute,
    tokensPerDay: limits.tokensPerDay,
    maxOutputTokens: limits.maxOutputTokens,
    budget: limits.budget,
  });
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

/** spec.observability.tracing as the OpenTelemetry variables the gateway reads (gateway/config/env-schema.ts); none when tracing is off. */
function tracingEnv(tracing: { endpoint: string; samplerRatio?: number } | undefined): V1EnvVar[] {
  if (!tracing) return [];
  return [
    envValue('OTEL_EXPORTER_OTLP_ENDPOINT', tracing.endpoint),
    ...(tracing.samplerRatio === undefined ? [] : [envValue('OTEL_TRACES_SAMPLER_ARG', String(tracing.samplerRatio))]),
  ];
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
    ...tracingEnv(spec.observability?.tracing),
  ];
  return mergeEnv([...env, ...secretEnv(pd, names)], specEnv(spec.gateway.env));
}

/** Variables whose values come from Secrets: generated ones for managed components, the user's otherwise. */
function secretEnv(pd: PerpetualDeployment, names: ReturnType<typeof childNames>): V1EnvVar[] {
  const spec = pd.spec;
  const qdrantKey =
    spec.vectorStore.type === 'managed'
      ? { name: names.qdrantApiKey, key: GeneratedKeys.qdrantApiKey }
      : spec.vectorStore.external?.apiKeySecretRef;
  const redisPassword =
    spec.cache.type === 'managed'
      ? { name: names.redisPassword, key: GeneratedKeys.redisPassword }
      : spec.cache.external?.passwordSecretRef;
  const polar = spec.billing?.polar;
  return [
    ...(qdrantKey ? [envFromSecret('QDRANT_API_KEY', qdrantKey)] : []),
    ...(redisPassword ? [envFromSecret('REDIS_PASSWORD', redisPassword)] : []),
    ...(spec.auth.jwtSecretRef ? [envFromSecret('SUPABASE_JWT_SECRET', spec.auth.jwtSecretRef)] : []),
    envFromSecret('ADMIN_TOKEN', spec.auth.adminTokenSecretRef ?? { name: names.adminToken, key: GeneratedKeys.adminToken }),
    ...(polar ? [envFromSecret('POLAR_API_KEY', polar.tokenSecretRef)] : []),
  ];
}

type PodOverrides = NonNullable<Spec['gateway']['podTemplate']>;

/** The scheduling fields a user may set through gateway.podTemplate, only where set. */
function schedulingOverrides(overrides: PodOverrides | undefined): Partial<V1PodSpec> {
  if (!overrides) return {};
  const { serviceAccountName, priorityClassName, nodeSelector, tolerations, affinity, imagePullSecrets } = overrides;
  return Object.fromEntries(
    Object.entries({ serviceAccountName, priorityClassName, nodeSelector, tolerations, affinity, imagePullSecrets }).filter(
      ([, v]) => v !== undefined,
    ),
  );
}

/**
 * How long a gateway pod keeps serving after it is told to stop, before it gets SIGTERM (and stops
 * accepting connections). Its Service endpoint is removed at the same moment, but kube-proxy (or a
 * load balancer) drops it from its rules a little later: without the wait, the new connections
 * sent meanwhile are refused or, once the pod is gone, left to time out (seen on the e2e node
 * during every roll, test/e2e/serving.test.ts).
 */
export const DRAIN_DELAY_SECONDS = 5;

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
        {
          maxSkew: 1,
          topologyKey: 'kubernetes.io/hostname',
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: { matchLabels: selectorLabels(owner, 'gateway') },
        },
      ],
      // The preStop wait plus the gateway's own drain (SHUTDOWN_GRACE_MS, 25 s by default) and its flush.
      terminationGracePeriodSeconds: DRAIN_DELAY_SECONDS + 30,
      // Only local mode talks to the Kubernetes API (to scale a ModelServer from zero).
      ...(spec.mode === 'local' ? { serviceAccountName: childNames(owner.name).gateway } : { automountServiceAccountToken: false }),
      containers: [
        {
          name: 'gateway',
          image,
          args: ['serve'],
          ports: [{ name: 'http', containerPort: Ports.gateway }],
          env: gatewayEnv(pd),
          resources: containerResources(
            spec.gateway.resources ?? { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '1Gi' } },
          ),
          readinessProbe: httpProbe('/health', 'http', { periodSeconds: 5, failureThreshold: 2 }),
          livenessProbe: httpProbe('/health', 'http', { periodSeconds: 10, failureThreshold: 6 }),
          lifecycle: { preStop: { sleep: { seconds: DRAIN_DELAY_SECONDS } } },
          securityContext: { ...restrictedContainerSecurity, readOnlyRootFilesystem: true },
          volumeMounts: [{ name: 'config', mountPath: '/etc/perpetual', readOnly: true }],
        },
      ],
      volumes: [{ name: 'config', configMap: { name: names.gatewayConfig } }],
    },
  };
}

/**
 * The gateway accepts connections on its port from spec.networkPolicy.gatewayIngressFrom (anyone
 * when empty; the operator and metricsFrom too, for /prometheus, when not). Its egress is open
 * unless gatewayEgress.policy is Restricted: then DNS, this namespace's pods and allowedCIDRs.
 */
export function gatewayNetworkPolicy(owner: Owner, pd: PerpetualDeployment, operatorNamespace: string): NetworkPolicy {
  const settings = pd.spec.networkPolicy;
  const from = (settings.gatewayIngressFrom ?? []).map(specPeer);
  const allowed = from.length === 0 ? [] : [...from, operatorPeer(operatorNamespace), ...metricsPeers(pd)];
  const cidrs = settings.gatewayEgress.allowedCIDRs ?? [];
  const egress: NetworkPolicyEgressRule[] | undefined =
    settings.gatewayEgress.policy === 'Restricted'
      ? [DNS_EGRESS, { to: [{ podSelector: {} }] }, ...(cidrs.length > 0 ? [{ to: cidrs.map((cidr) => ({ ipBlock: { cidr } })) }] : [])]
      : undefined;
  return buildNetworkPolicy(childMeta(owner, childNames(owner.name).gateway, 'gateway'), {
    podSelector: { matchLabels: selectorLabels(owner, 'gateway') },
    ingress: [ingressRule(tcpPorts(Ports.gateway), allowed)],
    egress,
  });
}

export function gatewayObjects(owner: Owner, input: GatewayInput): KubernetesObject[] {
  const { pd, image } = input;
  const spec = pd.spec;
  const names = childNames(owner.name);
  const configFile = gatewayConfigFile(pd, input.modelServers);
  // The URLs are in the hash because the pods read them from the connection Secret: a changed URL rolls them.
  const configHash = shortHash({
    configFile,
    env: gatewayEnv(pd),
    urls: [qdrantUrl(pd), redisUrl(pd)],
    secrets: input.referencedSecretsHash,
  });
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
    buildService(
      childMeta(owner, names.gateway, 'gateway', spec.gateway.service.annotations ? { annotations: spec.gateway.service.annotations } : {}),
      {
        selector,
        type: spec.gateway.service.type,
        ports: [{ name: 'http', port: spec.gateway.service.port, targetPort: 'http' }],
      },
    ),
    buildPodDisruptionBudget(childMeta(owner, names.gateway, 'gateway'), selector),
  ];
  if (networkPoliciesEnabled(pd)) objects.push(gatewayNetworkPolicy(owner, pd, input.operatorNamespace));
  if (autoscaling) {
    objects.push(
      buildCpuHorizontalPodAutoscaler(childMeta(owner, names.gateway, 'gateway'), { deploymentName: names.gateway, ...autoscaling }),
    );
  }
  return objects;
}
