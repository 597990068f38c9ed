// PerpetualDeployment: one whole Perpetual stack (gateway, vector store, cache, migrations, models).
// The schema below is the single source of truth: the TypeScript type is derived from it and
// hack/gen-crds.ts renders it into crds/. Every description becomes `kubectl explain` output.
import Type from 'typebox';
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  EnvVar,
  LabelSelector,
  localRef,
  modelName,
  nameRule,
  PodTemplateOverrides,
  Resources,
  secretKeyRef,
  SENTENCE_MAX_LENGTH,
  statusBase,
} from './common.ts';
import { MAX_TOKEN_LIMIT, tierBudget } from './budget.ts';
import { modelPricing } from './pricing.ts';
import { imageReference, quantity, stringEnum, withRules } from './schema-helpers.ts';
import { tracingSettings } from './tracing.ts';
import { QDRANT_DEFAULT_REQUESTS, REDIS_DEFAULT_REQUESTS, withResourceDefault } from './resource-defaults.ts';

export const MODES = ['proxy', 'local'] as const;
export const PROVIDERS = ['openai', 'anthropic', 'openai-compatible'] as const;

const replicasAndAutoscalingExclusive = {
  rule: '!(has(self.replicas) && has(self.autoscaling))',
  message: 'set either replicas or autoscaling, not both',
};
const minNotAboveMax = {
  rule: 'self.minReplicas <= self.maxReplicas',
  message: 'minReplicas must be less than or equal to maxReplicas',
  fieldPath: '.minReplicas',
};

const GatewayAutoscaling = withRules(
  Type.Object(
    {
      minReplicas: Type.Integer({ description: 'Fewest gateway pods.', minimum: 1, default: 2 }),
      maxReplicas: Type.Integer({ description: 'Most gateway pods.', minimum: 1, maximum: 1000 }),
      targetCPUUtilizationPercentage: Type.Integer({
        description: 'Average CPU utilisation the HorizontalPodAutoscaler aims for.',
        minimum: 1,
        maximum: 100,
        default: 70,
      }),
    },
    { description: 'Scale the gateway with a HorizontalPodAutoscaler instead of a fixed replica count.' },
  ),
  [minNotAboveMax],
);

const Gateway = withRules(
  Type.Object(
    {
      image: Type.Optional(
        imageReference({ description: 'Gateway container image. Defaults to the image matching the operator version.' }),
      ),
      replicas: Type.Optional(
        Type.Integer({
          description: 'Fixed number of gateway pods (default 2). Mutually exclusive with autoscaling.',
          minimum: 1,
          maximum: 1000,
        }),
      ),
      autoscaling: Type.Optional(GatewayAutoscaling),
      resources: Type.Optional(Resources),
      env: Type.Optional(
        Type.Array(EnvVar, {
          description: 'Extra environment for the gateway, e.g. settings from the deployment guide not modelled here.',
          maxItems: 64,
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
        }),
      ),
      logLevel: Type.Optional(stringEnum(['debug', 'info', 'warn', 'error'], { description: 'Gateway log level.', default: 'info' })),
      service: Type.Object(
        {
          type: stringEnum(['ClusterIP', 'NodePort', 'LoadBalancer'], { description: 'Kubernetes Service type.', default: 'ClusterIP' }),
          port: Type.Integer({ description: 'Port the Service exposes.', minimum: 1, maximum: 65535, default: 80 }),
          annotations: Type.Optional(
            Type.Unsafe<Record<string, string>>({
              type: 'object',
              additionalProperties: { type: 'string' },
              description: 'Annotations on the Service, e.g. for a cloud load balancer.',
            }),
          ),
        },
        { description: 'How the gateway is exposed.', default: {} },
      ),
      podTemplate: Type.Optional(PodTemplateOverrides),
    },
    { description: 'The OpenAI-compatible gateway Deployment.', default: {} },
  ),
  [replicasAndAutoscalingExclusive],
);

const Database = Type.Object(
  {
    secretRef: secretKeyRef(
      'Secret holding a PostgreSQL connection URI (postgresql://...). A CloudNativePG `<cluster>-app` Secret works as is (key `uri`).',
      'uri',
    ),
  },
  { description: 'The PostgreSQL database (Supabase, CloudNativePG, RDS, ...). The operator runs migrations against it.' },
);

const Storage = Type.Object(
  {
    size: quantity({ description: 'Size of each volume.', default: '10Gi' }),
    storageClassName: Type.Optional(Type.String({ description: 'StorageClass for the volumes; the cluster default when empty.' })),
  },
  { description: 'Persistent storage for each replica.', default: {} },
);

function managedOrExternalRules(what: string) {
  return [
    {
      rule: "self.type != 'external' || has(self.external)",
      message: `${what}.external is required when type is external`,
      fieldPath: '.external',
      reason: 'FieldValueRequired' as const,
    },
    {
      rule: "self.type != 'managed' || !has(self.external)",
      message: `${what}.external must be empty when type is managed`,
      fieldPath: '.external',
      reason: 'FieldValueForbidden' as const,
    },
  ];
}

const VectorStore = withRules(
  Type.Object(
    {
      type: stringEnum(['managed', 'external'], {
        description: '`managed`: the operator runs Qdrant as a StatefulSet. `external`: use an existing Qdrant (e.g. Qdrant Cloud).',
        default: 'managed',
      }),
      collection: Type.String({
        description: 'Collection name prefix; one collection exists per embedding model and dimension.',
        default: 'conversations',
        pattern: '^[a-zA-Z0-9_-]{1,200}$',
      }),
      managed: Type.Object(
        {
          image: imageReference({ description: 'Qdrant image.', default: 'qdrant/qdrant:v1.19.0' }),
          replicas: Type.Integer({ description: 'Qdrant pods.', minimum: 1, maximum: 15, default: 1 }),
          storage: Storage,
          retainOnDelete: Type.Boolean({
            description:
              "Default true: the volume claims (every user's memories) are kept when the PerpetualDeployment is deleted, or when the vector store " +
              'stops being managed, and must be deleted by hand (kubectl delete pvc -l app.kubernetes.io/instance=<name>,app.kubernetes.io/component=qdrant). ' +
              'false: they are deleted with the Qdrant StatefulSet, and the memories with them. Scaling down never deletes a claim.',
            default: true,
          }),
          resources: Type.Optional(withResourceDefault(Resources, QDRANT_DEFAULT_REQUESTS)),
        },
        { description: 'Settings for the operator-run Qdrant.', default: {} },
      ),
      external: Type.Optional(
        Type.Object(
          {
            url: Type.String({ description: 'Qdrant REST URL, e.g. https://xyz.cloud.qdrant.io:6333.', pattern: '^https?://.+' }),
            apiKeySecretRef: Type.Optional(secretKeyRef('Secret holding the Qdrant API key.', 'api-key')),
          },
          { description: 'An existing Qdrant.' },
        ),
      ),
    },
    { description: 'Where long-term memory is stored (Qdrant).', default: {} },
  ),
  managedOrExternalRules('vectorStore'),
);

const Cache = withRules(
  Type.Object(
    {
      type: stringEnum(['managed', 'external'], {
        description: '`managed`: the operator runs Redis. `external`: use an existing Redis.',
        default: 'managed',
      }),
      managed: Type.Object(
        {
          image: imageReference({ description: 'Redis image.', default: 'redis:7.4-alpine' }),
          resources: Type.Optional(withResourceDefault(Resources, REDIS_DEFAULT_REQUESTS)),
        },
        { description: 'Settings for the operator-run Redis.', default: {} },
      ),
      external: Type.Optional(
        Type.Object(
          {
            url: Type.String({ description: 'Redis URL, redis://host:6379 or rediss:// for TLS.', pattern: '^rediss?://.+' }),
            passwordSecretRef: Type.Optional(secretKeyRef('Secret holding the Redis password.', 'password')),
          },
          { description: 'An existing Redis.' },
        ),
      ),
    },
    { description: 'The Redis used for rate limits and caches.', default: {} },
  ),
  managedOrExternalRules('cache'),
);

export { MAX_TOKEN_LIMIT };
/** No model produces more than this in one answer. */
export const MAX_OUTPUT_TOKENS = 10_000_000;

function tier(perMinute: number, perDay: number, name: string) {
  return withRules(
    Type.Object(
      {
        requestsPerMinute: Type.Integer({ description: 'Requests allowed per API key per minute.', minimum: 1, default: perMinute }),
        requestsPerDay: Type.Integer({ description: 'Requests allowed per API key per day.', minimum: 1, default: perDay }),
        tokensPerMinute: Type.Optional(
          Type.Integer({
            description: 'Tokens (prompt + completion) allowed per API key per minute; unlimited when absent.',
            minimum: 1,
            maximum: MAX_TOKEN_LIMIT,
          }),
        ),
        tokensPerDay: Type.Optional(
          Type.Integer({
            description: 'Tokens (prompt + completion) allowed per API key per UTC day; unlimited when absent.',
            minimum: 1,
            maximum: MAX_TOKEN_LIMIT,
          }),
        ),
        maxOutputTokens: Type.Optional(
          Type.Integer({
            description:
              'Completion tokens reserved against the token limits for a request that sets no max_tokens (4096 when absent); a larger max_tokens is capped to it.',
            minimum: 1,
            maximum: MAX_OUTPUT_TOKENS,
          }),
        ),
        budget: Type.Optional(tierBudget()),
      },
      { description: `Limits for the ${name} tier.`, default: {} },
    ),
    [
      {
        rule: 'self.requestsPerMinute <= self.requestsPerDay',
        message: 'requestsPerMinute must not exceed requestsPerDay',
        fieldPath: '.requestsPerMinute',
      },
      {
        rule: '!has(self.tokensPerMinute) || !has(self.tokensPerDay) || self.tokensPerMinute <= self.tokensPerDay',
        message: 'tokensPerMinute must not exceed tokensPerDay',
        fieldPath: '.tokensPerMinute',
      },
    ],
  );
}

// Defaults are the deployment guide's tier table.
const Tiers = Type.Object(
  {
    free: tier(10, 1000, 'free'),
    pro: tier(60, 10000, 'pro'),
    enterprise: tier(1000, 1000000, 'enterprise'),
  },
  { description: 'Per-tier rate limits, enforced per API key in Redis.', default: {} },
);

const Pricing = modelPricing();

const Model = withRules(
  Type.Object(
    {
      name: modelName('Model name clients send in `model`: ASCII letters, digits and `. _ - / : @ +`, at most 256 characters.'),
      modelServerRef: Type.Optional(localRef('Local mode: the ModelServer that serves this model.')),
      provider: Type.Optional(stringEnum(PROVIDERS, { description: 'Proxy mode: the upstream provider.' })),
      upstreamModel: Type.Optional(Type.String({ description: 'Model id sent upstream; defaults to name.', minLength: 1 })),
      baseURL: Type.Optional(
        Type.String({
          description: 'API base URL; required for openai-compatible (e.g. https://api.groq.com/openai/v1).',
          pattern: '^https?://.+',
        }),
      ),
      fallback: Type.Optional(modelName('Another model name tried when this one fails before the first byte.')),
      pricing: Type.Optional(Pricing),
    },
    { description: 'A model the gateway serves.' },
  ),
  [
    {
      rule: 'has(self.modelServerRef) != has(self.provider)',
      message: 'set exactly one of modelServerRef (local mode) or provider (proxy mode)',
    },
    {
      rule: "!has(self.provider) || self.provider != 'openai-compatible' || has(self.baseURL)",
      message: 'baseURL is required for provider openai-compatible',
      fieldPath: '.baseURL',
      reason: 'FieldValueRequired',
    },
  ],
);

const Embedding = withRules(
  Type.Object(
    {
      source: stringEnum(['builtin', 'provider', 'modelServer'], {
        description:
          "`builtin`: an offline hashing embedder that needs nothing. `provider`: the user's provider `/v1/embeddings` with their own key. `modelServer`: an in-cluster embedding model.",
        default: 'builtin',
      }),
      model: Type.Optional(Type.String({ description: 'Embedding model id (provider or modelServer source).' })),
      modelServerRef: Type.Optional(localRef('The ModelServer serving embeddings (modelServer source).')),
      dimensions: Type.Optional(
        Type.Integer({ description: 'Vector size; checked against the collection at start.', minimum: 8, maximum: 65536 }),
      ),
    },
    { description: 'How memories and queries are embedded.', default: {} },
  ),
  [
    {
      rule: "self.source != 'modelServer' || has(self.modelServerRef)",
      message: 'modelServerRef is required when source is modelServer',
      fieldPath: '.modelServerRef',
      reason: 'FieldValueRequired',
    },
    {
      rule: "self.source != 'provider' || has(self.model)",
      message: 'model is required when source is provider',
      fieldPath: '.model',
      reason: 'FieldValueRequired',
    },
  ],
);

const FactExtraction = withRules(
  Type.Object(
    {
      enabled: Type.Boolean({
        description:
          'Extract short standalone facts (dated, with the speaker) from each exchange after the response, in batches and off the request path, and recall them with the raw turns. A later fact about the same subject marks the older one superseded (kept, no longer recalled). Raw turns are stored whatever extraction does.',
        default: false,
      }),
      source: stringEnum(['provider', 'modelServer'], {
        description:
          "`provider`: `model` is a model name as clients send it, called with the account's own provider key in proxy mode (a usage row with endpoint `memory.extract` per call, on the same account). `modelServer`: an in-cluster ModelServer (local mode).",
        default: 'provider',
      }),
      model: Type.Optional(
        Type.String({
          description:
            "provider source: the extracting model's name (required). modelServer source: the served model; the ModelServer's when absent.",
          minLength: 1,
        }),
      ),
      modelServerRef: Type.Optional(localRef('The ModelServer that extracts facts (modelServer source).')),
      tiers: Type.Array(stringEnum(['free', 'pro', 'enterprise'], { description: 'A tier.' }), {
        description: "Tiers whose users' exchanges are extracted; the others keep raw turns only.",
        default: ['free', 'pro', 'enterprise'],
        maxItems: 3,
        'x-kubernetes-list-type': 'set',
      }),
      batchSize: Type.Integer({
        description: "Exchanges of one end user's conversation sent to the extractor in one call.",
        minimum: 1,
        maximum: 50,
        default: 8,
      }),
      flushIntervalMs: Type.Integer({
        description: 'Longest an exchange waits for its batch to fill before it is extracted anyway.',
        minimum: 100,
        maximum: 3600000,
        default: 30000,
      }),
      timeoutMs: Type.Integer({
        description: 'Deadline of one extractor call; past it the batch is counted as a timeout failure.',
        minimum: 1000,
        maximum: 600000,
        default: 30000,
      }),
    },
    { description: 'Write-time fact extraction (off by default).', default: {} },
  ),
  [
    {
      rule: "!self.enabled || self.source != 'provider' || has(self.model)",
      message: 'model is required when fact extraction uses the provider source',
      fieldPath: '.model',
      reason: 'FieldValueRequired',
    },
    {
      rule: "self.source != 'modelServer' || has(self.modelServerRef)",
      message: 'modelServerRef is required when source is modelServer',
      fieldPath: '.modelServerRef',
      reason: 'FieldValueRequired',
    },
  ],
);

const Memory = Type.Object(
  {
    enabled: Type.Boolean({ description: "Inject each user's long-term memory into chats and store new turns.", default: true }),
    topK: Type.Integer({
      description:
        'Most memories injected per request. Recall fetches 50 candidates (by meaning and by shared words, fused by rank), drops duplicates and fills up to tokenBudget, at most topK of them. Default 20: on the recall benchmark, recall within the budget stopped improving past 20 (59.7 % at 5, 68.6 % at 20).',
      minimum: 1,
      maximum: 50,
      default: 20,
    }),
    tokenBudget: Type.Integer({
      description:
        "Most prompt tokens spent on injected memories (estimated at 4 characters a token, the block's tags and instruction included). 1000 holds about 30 remembered turns; on the recall benchmark the block averaged about 240 tokens, the budget binding only on long turns.",
      minimum: 0,
      maximum: 32000,
      default: 1000,
    }),
    retrievalTimeoutMs: Type.Integer({
      description: 'Retrieval deadline; past it the chat proceeds without memory.',
      minimum: 10,
      maximum: 10000,
      default: 150,
    }),
    embedding: Embedding,
    factExtraction: FactExtraction,
  },
  { description: 'Long-term per-user memory.', default: {} },
);

const Auth = Type.Object(
  {
    jwtSecretRef: Type.Optional(
      secretKeyRef('Secret with the Supabase JWT secret (HS256) that signs user tokens for the key endpoints.', 'SUPABASE_JWT_SECRET'),
    ),
    adminTokenSecretRef: Type.Optional(secretKeyRef('Secret with the admin token; generated when empty.', 'token')),
  },
  { description: 'How users and administrators authenticate to the management endpoints.', default: {} },
);

const Billing = Type.Object(
  {
    polar: Type.Optional(
      Type.Object(
        {
          tokenSecretRef: secretKeyRef('Secret with the Polar.sh access token.', 'POLAR_API_KEY'),
          organizationId: Type.String({ description: 'Polar.sh organization id.', minLength: 1 }),
          server: stringEnum(['production', 'sandbox'], { description: 'Polar.sh environment.', default: 'production' }),
          eventName: Type.String({ description: 'Name of the usage event sent per request.', default: 'llm.usage', minLength: 1 }),
        },
        { description: 'Send usage events to Polar.sh.' },
      ),
    ),
  },
  { description: 'Optional usage-based billing.' },
);

/** An IPv4 or IPv6 CIDR such as 10.0.0.0/8 (isCIDR is CEL's, on API servers from Kubernetes 1.31). */
function cidr(description: string) {
  return Type.String({
    description,
    maxLength: 64,
    'x-kubernetes-validations': [{ rule: 'isCIDR(self)', message: 'must be a CIDR such as 10.0.0.0/8 or fd00::/8' }],
  });
}

/** A core/v1 NetworkPolicyPeer: pods (by pod and namespace labels) or an IP block. */
const NetworkPolicyPeer = withRules(
  Type.Object(
    {
      podSelector: Type.Optional({
        ...LabelSelector,
        description: 'Pods with these labels (in the namespaces namespaceSelector selects, else in this namespace).',
      }),
      namespaceSelector: Type.Optional({ ...LabelSelector, description: 'Namespaces with these labels; `{}` selects every namespace.' }),
      ipBlock: Type.Optional(
        Type.Object(
          {
            cidr: cidr('Addresses allowed, e.g. 10.0.0.0/8.'),
            except: Type.Optional(
              Type.Array(cidr('Addresses inside cidr that are not allowed.'), { description: 'Parts of cidr left out.', maxItems: 32 }),
            ),
          },
          { description: "An address range, for clients outside the cluster's pod network (a load balancer, a node)." },
        ),
      ),
    },
    { description: 'Who may connect: pods chosen by labels, or an address range (as in a NetworkPolicy rule).' },
  ),
  [
    {
      rule: 'has(self.ipBlock) != (has(self.podSelector) || has(self.namespaceSelector))',
      message: 'set ipBlock, or podSelector and/or namespaceSelector (not both kinds, not neither)',
    },
  ],
);

const GatewayEgress = withRules(
  Type.Object(
    {
      policy: stringEnum(['AllowAll', 'Restricted'], {
        description:
          '`AllowAll` (default): the gateway may connect anywhere, as proxy mode must to reach hosted providers. ' +
          '`Restricted`: only DNS (port 53), pods in this namespace and allowedCIDRs; list there the database, the providers, an external Qdrant or Redis ' +
          'and, in local mode, the Kubernetes API server (the gateway scales a ModelServer from zero through it).',
        default: 'AllowAll',
      }),
      allowedCIDRs: Type.Optional(
        Type.Array(cidr('An address range the gateway may connect to, on any port.'), {
          description: 'With policy Restricted: address ranges the gateway may reach besides DNS and this namespace.',
          maxItems: 64,
        }),
      ),
    },
    { description: 'Where the gateway may connect to.', default: {} },
  ),
  [
    {
      rule: "self.policy == 'Restricted' || !has(self.allowedCIDRs)",
      message: 'allowedCIDRs applies only with policy Restricted',
      fieldPath: '.allowedCIDRs',
    },
  ],
);

const NetworkPolicySettings = Type.Object(
  {
    enabled: Type.Boolean({
      description:
        "Default true: the operator generates NetworkPolicies for the stack. Only this stack's gateway may reach its Redis and Qdrant " +
        '(and Qdrant pods each other); only Perpetual gateways of this namespace and the operator (its autoscaler reads /metrics) may reach the vLLM pods of the ModelServers the stack uses, ' +
        'so clients of those ModelServers go through the gateway; the migration Job reaches none of them. The gateway accepts connections on its port from gatewayIngressFrom, or from anywhere when that is empty. ' +
        'They take effect only where the network plugin enforces NetworkPolicy (Calico, Cilium, ...). false: no policies, every pod may connect to every other.',
      default: true,
    }),
    gatewayIngressFrom: Type.Optional(
      Type.Array(NetworkPolicyPeer, {
        description:
          "Who may connect to the gateway; empty (default): anyone. When set, the operator (which reads the gateway's metrics) and metricsFrom are allowed too.",
        maxItems: 32,
      }),
    ),
    metricsFrom: Type.Optional(
      Type.Array(NetworkPolicyPeer, {
        description:
          'Who may read the metrics of the gateway and vLLM pods besides the operator, e.g. Prometheus: `{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}`.',
        maxItems: 32,
      }),
    ),
    gatewayEgress: GatewayEgress,
  },
  { description: 'NetworkPolicies generated for the stack.', default: {} },
);

const Observability = Type.Object(
  {
    tracing: Type.Optional(
      tracingSettings('gateway pods', 'The gateway container gets OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_TRACES_SAMPLER_ARG.'),
    ),
  },
  { description: "The stack's telemetry beyond its Prometheus metrics." },
);

export const PerpetualDeploymentSpec = withRules(
  Type.Object(
    {
      mode: stringEnum(MODES, {
        description: '`proxy`: forward to hosted providers (OpenAI, Anthropic, ...). `local`: serve models from ModelServers.',
      }),
      gateway: Gateway,
      database: Database,
      encryptionKeySecretRef: secretKeyRef(
        "Secret with the Fernet key(s) that encrypt users' provider keys: one key, or several separated by commas or newlines for rotation (the first encrypts, all decrypt).",
        'API_KEY_ENCRYPTION_KEY',
      ),
      vectorStore: VectorStore,
      cache: Cache,
      tiers: Tiers,
      models: Type.Array(Model, {
        description: 'Models the gateway serves.',
        default: [],
        maxItems: 100,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
      memory: Memory,
      auth: Auth,
      billing: Type.Optional(Billing),
      networkPolicy: NetworkPolicySettings,
      observability: Type.Optional(Observability),
    },
    { description: 'The desired Perpetual stack.' },
  ),
  [
    {
      rule: "self.mode != 'local' || self.models.all(m, has(m.modelServerRef))",
      message: 'in local mode every model needs a modelServerRef',
      fieldPath: '.models',
    },
    {
      rule: "self.mode != 'proxy' || self.models.all(m, has(m.provider))",
      message: 'in proxy mode every model needs a provider',
      fieldPath: '.models',
    },
  ],
);

const ModelStatus = Type.Object(
  {
    name: Type.String({ description: 'Model name.' }),
    ready: Type.Boolean({ description: 'Whether the model can serve requests now.' }),
    endpoint: Type.Optional(Type.String({ description: 'In-cluster URL requests for this model go to.' })),
    message: Type.Optional(Type.String({ description: 'Why the model is not ready.', maxLength: SENTENCE_MAX_LENGTH })),
  },
  { description: 'Readiness of one model.' },
);

export const PerpetualDeploymentStatus = Type.Object(
  {
    ...statusBase,
    gatewayReplicas: Type.Optional(Type.Integer({ description: 'Desired gateway pods.', minimum: 0 })),
    gatewayReadyReplicas: Type.Optional(Type.Integer({ description: 'Gateway pods ready to serve.', minimum: 0 })),
    gatewaySummary: Type.Optional(Type.String({ description: 'Ready/desired gateway pods, for kubectl get.' })),
    modelsSummary: Type.Optional(Type.String({ description: 'Ready/total models, for kubectl get.' })),
    models: Type.Optional(
      Type.Array(ModelStatus, {
        description: 'Per-model readiness.',
        maxItems: 100,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
    ),
    url: Type.Optional(Type.String({ description: 'In-cluster URL of the gateway.' })),
    connectionSecretName: Type.Optional(Type.String({ description: 'Secret with the gateway URL and the Qdrant and Redis addresses.' })),
  },
  { description: 'The observed state of the stack.' },
);

export const PerpetualDeploymentRootRules = [nameRule];

export type PerpetualDeploymentSpec = Type.Static<typeof PerpetualDeploymentSpec>;
export type PerpetualDeploymentStatus = Type.Static<typeof PerpetualDeploymentStatus>;
export type Mode = (typeof MODES)[number];
export type Provider = (typeof PROVIDERS)[number];

/** A PerpetualDeployment as read from the API server (defaults applied). */
export interface PerpetualDeployment extends KubernetesObject {
  spec: PerpetualDeploymentSpec;
  status?: PerpetualDeploymentStatus;
}
