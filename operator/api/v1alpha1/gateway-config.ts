// The gateway's configuration file (PERPETUAL_CONFIG): the contract between the operator, which
// renders it from a PerpetualDeployment into the `<pd>-gateway-config` ConfigMap
// (controllers/perpetual-deployment/children/gateway.ts builds a value of GatewayFileConfig), and the
// gateway, which validates the file against this schema at start (gateway/config.ts).
//
// The gateway imports this module as a value, so it stays pure data: TypeBox and the schema
// helpers, nothing of the operator's code. No secret ever belongs here: secrets reach the gateway
// as environment from Secrets, and process settings (ports, timeouts, log level) as environment too.
//
// Every field but a model's name is optional: the operator writes all it knows, while a
// hand-written file (an install without the operator, a test) gives only what differs from the
// gateway's defaults. Unknown fields are refused, so a misspelt key fails at start instead of
// being silently ignored.
import Type, { type Static } from 'typebox';
import type { MODES } from './perpetual-deployment.ts';
import { tierBudget } from './budget.ts';
import { modelPricing } from './pricing.ts';
import { stringEnum } from './schema-helpers.ts';

/** The bounds of budgets and token limits, which the gateway's admin API enforces as the CRD does. */
export { MAX_BUDGET_USD, MAX_TOKEN_LIMIT } from './budget.ts';

/** The two modes, as spec.mode spells them (perpetual-deployment.ts, not imported: it would pull the whole CRD schema into the gateway). */
const GATEWAY_MODES = ['proxy', 'local'] as const satisfies typeof MODES;

const closed = { additionalProperties: false } as const;

const ModelPricing = modelPricing(closed);

const GatewayFileAdapter = Type.Object(
  {
    name: Type.String({ description: "The adapter's name (vLLM lora_name), sent upstream as the model.", minLength: 1 }),
    tiers: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: 'The tiers that may use it (spec.adapters[].tiers); every tier when absent.',
      }),
    ),
    loadError: Type.Optional(
      Type.String({
        description: "Set when a replica refused the adapter: the server's message. Requests for it get a 404 that quotes it.",
      }),
    ),
  },
  { description: 'A LoRA adapter of a local model (spec.adapters of its ModelServer, with status.adapters failures).', ...closed },
);

const GatewayFileModel = Type.Object(
  {
    // The model-name rule (MODEL_NAME_PATTERN) is checked by the gateway itself, with a message
    // that says which characters are allowed: a pattern mismatch here would only say "pattern".
    name: Type.String({ description: 'The name clients send in `model`.', minLength: 1 }),
    provider: Type.Optional(
      Type.String({ description: 'Proxy mode: a provider name (openai, anthropic, groq, ...). Local mode: absent.', minLength: 1 }),
    ),
    upstreamModel: Type.Optional(Type.String({ description: 'The model id sent upstream; the name when absent.', minLength: 1 })),
    baseURL: Type.Optional(
      Type.String({ description: "An OpenAI-compatible base URL overriding the provider's default (ends in /v1).", minLength: 1 }),
    ),
    endpoint: Type.Optional(
      Type.String({ description: "Local mode: the ModelServer's in-cluster Service URL (ends in /v1).", minLength: 1 }),
    ),
    modelServer: Type.Optional(
      Type.String({
        description: "Local mode: the ModelServer's name; the gateway balances over its replicas and scales it from zero.",
        minLength: 1,
      }),
    ),
    replicasHost: Type.Optional(
      Type.String({
        description:
          "Local mode: the DNS name whose A records are the ModelServer's replica pods (its headless Service, e.g. `mistral-vllm-pods.team-a.svc`). " +
          "Absent: the endpoint's Service is the one replica, balanced by kube-proxy, without session affinity.",
        minLength: 1,
      }),
    ),
    routing: Type.Optional(
      Type.String({
        description:
          "Local mode: prefix, least-load (leastLoad) or session (sessionAffinity), any case, for this model; the file's `routing` when absent. " +
          "The operator writes the ModelServer's spec.routing when it is set.",
        minLength: 1,
      }),
    ),
    standby: Type.Optional(
      Type.Boolean({
        description:
          "Local mode: the ModelServer keeps idle replicas asleep (its autoscaling.standby). The gateway reads each replica's /is_sleeping, " +
          'never sends a request to a sleeping one, and wakes one (/wake_up) when a request finds none awake, holding it meanwhile.',
      }),
    ),
    fallback: Type.Optional(
      Type.String({ description: 'Another model name tried when this one fails before the first byte.', minLength: 1 }),
    ),
    pricing: Type.Optional(ModelPricing),
    adapters: Type.Optional(
      Type.Array(GatewayFileAdapter, {
        description:
          "Local mode: the ModelServer's LoRA adapters. Clients name one as `<name>:<adapter>`, or by the adapter's name alone; " +
          'the gateway sends it to the same replicas with the adapter name as the model.',
      }),
    ),
  },
  { description: 'A model clients may name, and where it goes.', ...closed },
);

const GatewayFileEmbedding = Type.Object(
  {
    source: Type.Optional(
      stringEnum(['builtin', 'provider', 'modelServer'], { description: 'spec.memory.embedding.source; builtin when absent.' }),
    ),
    model: Type.Optional(
      Type.String({ description: "Embedding model id (provider source), or the ModelServer's served model (modelServer source)." }),
    ),
    dimensions: Type.Optional(Type.Integer({ description: 'Vector size.', minimum: 1 })),
    modelServerRef: Type.Optional(
      Type.Object(
        { name: Type.String({ minLength: 1 }) },
        { description: 'The ModelServer serving embeddings, as in the spec.', ...closed },
      ),
    ),
    endpoint: Type.Optional(
      Type.String({
        description: "modelServer source: the ModelServer's in-cluster URL (ends in /v1), resolved by the operator.",
        minLength: 1,
      }),
    ),
  },
  { description: 'How memories and queries are embedded (spec.memory.embedding).', ...closed },
);

const GatewayFileFactExtraction = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ description: 'Extract facts from exchanges after the response; off when absent.' })),
    source: Type.Optional(
      stringEnum(['provider', 'modelServer'], { description: 'spec.memory.factExtraction.source; provider when absent.' }),
    ),
    model: Type.Optional(
      Type.String({
        description: "provider source: a model name as clients send it (the account's key pays); modelServer source: the served model.",
        minLength: 1,
      }),
    ),
    modelServerRef: Type.Optional(
      Type.Object({ name: Type.String({ minLength: 1 }) }, { description: 'The ModelServer extracting facts, as in the spec.', ...closed }),
    ),
    endpoint: Type.Optional(
      Type.String({
        description: "modelServer source: the ModelServer's in-cluster URL (ends in /v1), resolved by the operator.",
        minLength: 1,
      }),
    ),
    tiers: Type.Optional(
      Type.Array(stringEnum(['free', 'pro', 'enterprise'], { description: 'A tier.' }), {
        description: 'Tiers whose exchanges are extracted; all when absent.',
      }),
    ),
    batchSize: Type.Optional(Type.Integer({ description: 'Exchanges per extractor call.', minimum: 1 })),
    flushIntervalMs: Type.Optional(Type.Integer({ description: 'Longest an exchange waits for its batch, in milliseconds.', minimum: 1 })),
    timeoutMs: Type.Optional(Type.Integer({ description: 'Deadline of one extractor call, in milliseconds.', minimum: 1 })),
  },
  { description: 'Write-time fact extraction (spec.memory.factExtraction).', ...closed },
);

const GatewayFileMemory = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ description: "Inject each user's long-term memory into chats and store new turns." })),
    topK: Type.Optional(Type.Integer({ description: 'Most memories injected per request.', minimum: 1 })),
    tokenBudget: Type.Optional(Type.Integer({ description: 'Most prompt tokens spent on injected memories.', minimum: 0 })),
    retrievalTimeoutMs: Type.Optional(Type.Integer({ description: 'Retrieval deadline in milliseconds.', minimum: 1 })),
    embedding: Type.Optional(GatewayFileEmbedding),
    factExtraction: Type.Optional(GatewayFileFactExtraction),
  },
  { description: "Long-term per-user memory (spec.memory); the gateway's defaults fill what is absent.", ...closed },
);

const TierLimits = Type.Object(
  {
    requestsPerMinute: Type.Optional(Type.Integer({ description: 'Requests allowed per API key per minute.', minimum: 1 })),
    requestsPerDay: Type.Optional(Type.Integer({ description: 'Requests allowed per API key per day.', minimum: 1 })),
    tokensPerMinute: Type.Optional(
      Type.Integer({ description: 'Tokens allowed per API key per minute; unlimited when absent.', minimum: 1 }),
    ),
    tokensPerDay: Type.Optional(
      Type.Integer({ description: 'Tokens allowed per API key per UTC day; unlimited when absent.', minimum: 1 }),
    ),
    maxOutputTokens: Type.Optional(
      Type.Integer({
        description: 'Completion tokens reserved for a request without max_tokens, and the cap on a larger one.',
        minimum: 1,
      }),
    ),
    budget: Type.Optional(tierBudget(closed)),
  },
  { description: "One tier's limits; <TIER>_TIER_RATE_LIMIT_PER_MINUTE / _PER_DAY in the environment win.", ...closed },
);

const GatewayFileTiers = Type.Object(
  { free: Type.Optional(TierLimits), pro: Type.Optional(TierLimits), enterprise: Type.Optional(TierLimits) },
  { description: "Per-tier rate limits (spec.tiers); the deployment guide's table fills what is absent.", ...closed },
);

const GatewayFileBilling = Type.Object(
  {
    polar: Type.Optional(
      Type.Object(
        {
          organizationId: Type.Optional(
            Type.String({ description: 'Polar.sh organization id (POLAR_ORGANIZATION_ID wins).', minLength: 1 }),
          ),
          server: Type.Optional(stringEnum(['production', 'sandbox'], { description: 'Polar.sh environment (POLAR_SERVER wins).' })),
          eventName: Type.Optional(Type.String({ description: 'Name of the usage event sent per request.', minLength: 1 })),
        },
        { description: 'Polar.sh usage events; the token stays in POLAR_API_KEY, from a Secret.', ...closed },
      ),
    ),
  },
  { description: 'Usage-based billing (spec.billing without its secret references).', ...closed },
);

export const GatewayFileConfigSchema = Type.Object(
  {
    mode: Type.Optional(stringEnum(GATEWAY_MODES, { description: 'proxy or local (MODE wins); proxy when absent.' })),
    models: Type.Optional(Type.Array(GatewayFileModel, { description: 'The models clients may name.' })),
    routing: Type.Optional(
      Type.String({
        description:
          'Local mode: the routing policy of models without their own (ROUTING_POLICY wins); prefix when absent. Hand-written files only.',
        minLength: 1,
      }),
    ),
    memory: Type.Optional(GatewayFileMemory),
    tiers: Type.Optional(GatewayFileTiers),
    vectorStore: Type.Optional(
      Type.Object(
        {
          collection: Type.Optional(Type.String({ description: 'Qdrant collection name prefix (QDRANT_COLLECTION wins).', minLength: 1 })),
        },
        { description: 'Where memories are stored; the URL and API key are environment.', ...closed },
      ),
    ),
    billing: Type.Optional(GatewayFileBilling),
  },
  { description: "The gateway's configuration file (PERPETUAL_CONFIG).", ...closed },
);

export type GatewayFileConfig = Static<typeof GatewayFileConfigSchema>;
export type GatewayFileModel = Static<typeof GatewayFileModel>;
export type GatewayFileAdapter = Static<typeof GatewayFileAdapter>;
export type GatewayFileMemory = Static<typeof GatewayFileMemory>;
export type GatewayFileEmbedding = Static<typeof GatewayFileEmbedding>;
export type GatewayFileFactExtraction = Static<typeof GatewayFileFactExtraction>;
export type GatewayFileTierLimits = Static<typeof TierLimits>;
