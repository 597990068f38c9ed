// The gateway's environment: every variable it reads, what it is for, its default and its bounds.
// read-env.ts turns the process's strings into these values (env-decoders.ts), fills the defaults
// and checks the result against this schema, naming each variable that is wrong.
//
// The environment holds the secrets (from Kubernetes Secrets) and the process settings; what the
// operator derives from a PerpetualDeployment is in the file (PERPETUAL_CONFIG,
// operator/api/v1alpha1/gateway-config.ts). A variable that also has a place in the file has no
// default here: when it is unset the file's value applies, and only then the gateway's.
//
// A variable with a default is listed as present (not Optional): the check runs after the
// defaults are filled, so the type says what config.ts can rely on. Two annotations beside the
// JSON Schema keywords: `x-expected` words a valid value for error messages where the keywords
// cannot ("a path such as /v1"), and `x-secret` marks values no error message shows.
import Type, { type Static, type TSchema } from 'typebox';

/** Node's timers fire at once for longer delays (2^31-1 ms, about 24.8 days), so durations that become timers stop there. */
const MAX_TIMER_MS = 2_147_483_647;

const secret = { 'x-secret': true } as const;

function isUrl(text: string): boolean {
  return URL.canParse(text);
}

function isHttpUrl(text: string): boolean {
  return URL.canParse(text) && ['http:', 'https:'].includes(new URL(text).protocol);
}

/** What a browser sends in an Origin header: `new URL(o).origin` gives it back unchanged (lower-case host, no default port, no path). */
function isOriginOrAny(text: string): boolean {
  return text === '*' || (URL.canParse(text) && new URL(text).origin === text);
}

const text = (description: string, options: Record<string, unknown> = {}) => Type.String({ description, minLength: 1, ...options });
const integer = (description: string, options: { default?: number; minimum: number; maximum?: number }) =>
  Type.Integer({ description, ...options });
const port = (description: string, fallback: number, minimum: number) =>
  Type.Integer({ description, default: fallback, minimum, maximum: 65_535 });
const timerMs = (description: string, fallback: number, minimum: number) =>
  Type.Integer({ description, default: fallback, minimum, maximum: MAX_TIMER_MS });
const httpUrl = (description: string, example: string, options: Record<string, unknown> = {}) =>
  Type.Refine(Type.String({ description, 'x-expected': `an http(s) URL such as ${example}`, ...options }), isHttpUrl);
const tierLimit = (tier: string, per: 'minute' | 'day') =>
  Type.Optional(
    integer(
      `Requests per ${per} for ${tier}-tier keys; overrides the file's tiers.${tier}; the guide's default when neither sets it.${per === 'minute' ? " Not above the day's." : ''}`,
      { minimum: 1 },
    ),
  );

/** The provider base-URL overrides: <PROVIDER>_BASE_URL for any provider name (tests point them at stubs). */
export const PROVIDER_BASE_URL_PATTERN = '^[A-Z0-9]+_BASE_URL$';
const ProviderBaseUrl = httpUrl(
  "Overrides one provider's base URL: OPENAI_BASE_URL, ANTHROPIC_BASE_URL, GROQ_BASE_URL, ... (tests point them at stubs).",
  'https://api.openai.com/v1',
);

export const GatewayEnvSchema = Type.Object(
  {
    // The process
    APP_NAME: text("The guide's application name; kept in the configuration, shown nowhere today.", { default: 'Perpetual AI' }),
    VERSION: text('Version reported by /health.', { default: '2.0.0' }),
    DEBUG: Type.Boolean({
      description: 'Debug logging (LOG_LEVEL debug when LOG_LEVEL is unset). true/false, 1/0 or yes/no.',
      default: false,
    }),
    LOG_LEVEL: Type.Optional(
      Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        description: 'Least severe level logged; debug with DEBUG, else info.',
      }),
    ),
    API_HOST: text('Address the API listens on.', { default: '0.0.0.0' }),
    API_PORT: port('Port the API listens on (0: any free port).', 8000, 0),
    API_PREFIX: text('Path prefix of the OpenAI-compatible API.', {
      default: '/v1',
      pattern: '^/[A-Za-z0-9/_-]*$',
      'x-expected': 'a path such as /v1',
    }),
    MODE: Type.Optional(
      Type.Enum(['proxy', 'local'], {
        description:
          "proxy: models are providers' (users bring keys); local: models are ModelServers. Overrides the file's mode; proxy when neither sets it.",
      }),
    ),
    PERPETUAL_CONFIG: Type.Optional(
      text(
        'Path of the YAML configuration file the operator renders (models, tiers, memory, billing); none: defaults and this environment only.',
      ),
    ),
    SHUTDOWN_GRACE_MS: timerMs(
      "On SIGTERM, how long in-flight requests may finish before buffers are flushed and the process exits; keep under the pod's terminationGracePeriodSeconds.",
      25_000,
      0,
    ),

    // Secrets and the stores
    API_KEY_ENCRYPTION_KEY: Type.Optional(
      text(
        'Fernet key(s) encrypting stored provider keys, comma-separated: the first encrypts, all decrypt (rotation; then run `reencrypt`). Required by serve and reencrypt.',
        {
          ...secret,
          'x-expected':
            "one or more Fernet keys, comma-separated; generate one with `python3 -c \"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())\"` or `node -e \"console.log(require('crypto').randomBytes(32).toString('base64url') + '=')\"`",
        },
      ),
    ),
    DATABASE_URL: Type.Optional(
      text('PostgreSQL connection string (postgres://user:password@host:5432/db). Required by every command.', {
        ...secret,
        'x-expected': 'a PostgreSQL connection string',
      }),
    ),
    REDIS_URL: Type.Optional(
      Type.Refine(
        Type.String({
          description:
            'Redis for rate limits (redis://host:6379); REDIS_PASSWORD is added when the URL has none. Wins over REDIS_HOST and REDIS_PORT.',
          ...secret,
          'x-expected': 'a URL such as redis://host:6379',
        }),
        isUrl,
      ),
    ),
    REDIS_HOST: text('Redis host, when REDIS_URL is unset.', { default: 'localhost' }),
    REDIS_PORT: port('Redis port, when REDIS_URL is unset.', 6379, 1),
    REDIS_PASSWORD: Type.Optional(text('Redis password.', secret)),
    REDIS_KEY_PREFIX: text('Prefix of every Redis key and channel, so several gateways can share one Redis.', { default: 'perpetual:' }),
    RATE_LIMIT_ON_REDIS_DOWN: Type.Enum(['allow', 'deny'], {
      description: 'When Redis cannot be reached: allow requests (fail open, counted in a metric) or deny them.',
      default: 'allow',
    }),
    QDRANT_URL: Type.Optional(httpUrl('Qdrant for long-term memory; none: memory is off.', 'http://qdrant:6333', secret)),
    QDRANT_CLOUD_URL: Type.Optional(
      httpUrl("Qdrant Cloud URL, when QDRANT_URL is unset (the guide's name).", 'https://xyz.cloud.qdrant.io:6333', secret),
    ),
    QDRANT_API_KEY: Type.Optional(text('Qdrant API key.', secret)),
    QDRANT_COLLECTION: Type.Optional(
      text("Qdrant collection of memories; overrides the file's vectorStore.collection; conversations when neither sets it."),
    ),

    // Who may call
    SUPABASE_JWT_SECRET: Type.Optional(
      text(
        'Secret verifying Supabase session JWTs, with which users manage their own keys; none: key management by session is off.',
        secret,
      ),
    ),
    SUPABASE_JWT_AUDIENCE: text(
      'The `aud` a session JWT must carry; Supabase signs user sessions with `authenticated`, other tokens signed with the same secret carry another.',
      { default: 'authenticated' },
    ),
    ADMIN_TOKEN: Type.Optional(text('Bearer token of the admin API (/admin/...); none: the admin API is off.', secret)),
    CORS_ALLOWED_ORIGINS: Type.Array(
      Type.Refine(
        Type.String({ 'x-expected': 'an origin, written scheme://host[:port] with no path or trailing slash, or * for any' }),
        isOriginOrAny,
      ),
      {
        description: 'Comma-separated origins browser apps may call from (scheme://host[:port]), or * for any; empty: no CORS headers.',
        default: [],
      },
    ),
    API_KEY_CACHE_MS: integer('How long an API key or provider key lookup is reused before PostgreSQL is asked again.', {
      default: 30_000,
      minimum: 0,
    }),
    API_KEY_STALE_MS: integer(
      'How much longer a cached key keeps working while PostgreSQL cannot be reached (only when the lookup fails: a key the database says is revoked stops at once); 0: none.',
      { default: 15 * 60_000, minimum: 0 },
    ),

    // Rate limits (tiers also come from the file)
    FREE_TIER_RATE_LIMIT_PER_MINUTE: tierLimit('free', 'minute'),
    FREE_TIER_RATE_LIMIT_PER_DAY: tierLimit('free', 'day'),
    PRO_TIER_RATE_LIMIT_PER_MINUTE: tierLimit('pro', 'minute'),
    PRO_TIER_RATE_LIMIT_PER_DAY: tierLimit('pro', 'day'),
    ENTERPRISE_TIER_RATE_LIMIT_PER_MINUTE: tierLimit('enterprise', 'minute'),
    ENTERPRISE_TIER_RATE_LIMIT_PER_DAY: tierLimit('enterprise', 'day'),
    RATE_LIMIT_PER_MINUTE: integer('Requests per minute for a key whose tier is none of free, pro, enterprise.', {
      default: 60,
      minimum: 1,
    }),
    RATE_LIMIT_PER_DAY: integer('Requests per day for a key whose tier is none of free, pro, enterprise.', { default: 10_000, minimum: 1 }),

    // Requests
    MAX_REQUEST_BODY_BYTES: integer('Largest request body (a 10 MB photo as a base64 data URL is about 13.4 MB of JSON).', {
      default: 16 * 1024 * 1024,
      minimum: 1024,
    }),
    MAX_BUFFERED_BODY_BYTES: integer('All request bodies held in memory at once; more get a 503.', {
      default: 256 * 1024 * 1024,
      minimum: 1024,
    }),
    UPSTREAM_TIMEOUT_MS: timerMs('Longest wait for an upstream (provider or model server) answer.', 120_000, 100),
    UPSTREAM_CONNECT_TIMEOUT_MS: timerMs('Longest wait for an upstream connection.', 10_000, 100),

    // Usage
    USAGE_RETENTION_DAYS: integer('Usage rows and stored responses older than this many days are deleted; 0: kept forever.', {
      default: 0,
      minimum: 0,
    }),
    USAGE_ON_USER_DELETE: Type.Enum(['delete', 'anonymize'], {
      description: 'What deleting a user does to their usage rows.',
      default: 'delete',
    }),

    // Billing
    POLAR_API_KEY: Type.Optional(
      text('Polar.sh access token; with POLAR_ORGANIZATION_ID turns usage billing on (both or neither).', secret),
    ),
    POLAR_ORGANIZATION_ID: Type.Optional(text("Polar.sh organization; overrides the file's billing.polar.organizationId.")),
    POLAR_SERVER: Type.Optional(
      Type.Enum(['production', 'sandbox'], {
        description: "Polar.sh server; overrides the file's billing.polar.server; production when neither sets it.",
      }),
    ),
    POLAR_BASE_URL: Type.Optional(httpUrl("Overrides the Polar server's base URL (tests).", 'http://127.0.0.1:9000')),

    // Traces (OpenTelemetry, OTLP over HTTP with JSON): off unless an endpoint or OTEL_TRACES_EXPORTER=otlp is set
    OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(
      httpUrl(
        'OTLP/HTTP collector base URL; spans go to <it>/v1/traces. Setting it turns tracing on (the standard OpenTelemetry variable); none: no span is recorded or sent.',
        'http://otel-collector:4318',
      ),
    ),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: Type.Optional(
      httpUrl(
        'Full URL spans are sent to; wins over OTEL_EXPORTER_OTLP_ENDPOINT and also turns tracing on.',
        'http://otel-collector:4318/v1/traces',
      ),
    ),
    OTEL_TRACES_EXPORTER: Type.Optional(
      Type.Enum(['otlp', 'none'], {
        description:
          'otlp: tracing on, to http://localhost:4318/v1/traces when no endpoint is set; none: tracing off even with an endpoint.',
      }),
    ),
    OTEL_EXPORTER_OTLP_HEADERS: Type.Optional(
      text(
        "Headers sent with every export, key=value pairs comma-separated (a hosted collector's API key); read by the OpenTelemetry exporter itself.",
        secret,
      ),
    ),
    OTEL_SERVICE_NAME: text("service.name of the gateway's spans.", { default: 'perpetual-gateway' }),
    OTEL_TRACES_SAMPLER_ARG: Type.Optional(
      Type.Number({
        description:
          'Share of traces kept, 0 to 1 (all when unset): a parent-based ratio sampler, so a request whose traceparent is sampled is always kept. The operator sets it from spec.observability.tracing.samplerRatio.',
        minimum: 0,
        maximum: 1,
      }),
    ),

    // Local mode: models and routing over a ModelServer's replicas
    MODEL_NAME: Type.Optional(text('Local mode without a file: the one model, served at VLLM_URL.')),
    VLLM_URL: httpUrl('Where MODEL_NAME is served.', 'http://localhost:8000/v1', { default: 'http://localhost:8000/v1' }),
    ROUTING_POLICY: Type.Optional(
      Type.Enum(['leastLoad', 'sessionAffinity', 'prefix'], {
        description:
          "How requests spread over a ModelServer's replicas (any case) when its model names no policy; overrides the file's top-level routing; prefix when neither sets it.",
      }),
    ),
    SESSION_AFFINITY_MAX_LOAD_PERCENT: Type.Integer({
      description:
        "Session and prefix affinity's load bound: a replica over this percentage of the mean in-flight load passes new requests on; 0: no bound.",
      default: 150,
      minimum: 0,
      not: { exclusiveMinimum: 0, exclusiveMaximum: 100 },
      'x-expected': '0 (no bound) or at least 100',
    }),
    ROUTING_MAX_ATTEMPTS: integer('Replicas tried per request after connection failures, the first included.', { default: 3, minimum: 1 }),
    REPLICA_HEALTH_PATH: text('Readiness path polled on every replica.', {
      default: '/health',
      pattern: '^/[A-Za-z0-9/_.-]*$',
      'x-expected': 'a path such as /health',
    }),
    REPLICA_HEALTH_INTERVAL_MS: timerMs('Interval of the readiness polling.', 2000, 100),
    REPLICA_HEALTH_TIMEOUT_MS: timerMs('Timeout of one readiness poll.', 1000, 50),
    REPLICA_UNHEALTHY_MS: integer('How long a replica that failed a request is skipped.', { default: 5000, minimum: 0 }),
    ENDPOINT_MAP_FILE: Type.Optional(text('Tests only: replicas from a JSON file of loopback URLs instead of cluster DNS.')),
    SCALE_FROM_ZERO_TIMEOUT_MS: timerMs('Longest a request waits for a first ready replica of a ModelServer scaled to zero.', 120_000, 100),
    SCALE_FROM_ZERO_QUEUE_MAX: integer('Requests held per ModelServer at most while it scales from zero; more get a 503.', {
      default: 100,
      minimum: 0,
    }),
    SCALE_FROM_ZERO_KEEPALIVE_MS: timerMs('Interval of SSE comments sent to held streaming requests.', 3000, 100),
    SCALE_TRIGGER: Type.Optional(
      Type.Enum(['kube', 'log'], {
        description:
          "kube: PATCH the ModelServer's scale subresource; log: only log. kube in a cluster (KUBERNETES_SERVICE_HOST) or with KUBECONFIG, log otherwise.",
      }),
    ),
    KUBECONFIG: Type.Optional(text('Kubeconfig of the cluster to scale ModelServers in; the in-cluster ServiceAccount when unset.')),
    KUBERNETES_SERVICE_HOST: Type.Optional(text('Set by Kubernetes in every pod; its presence means "in a cluster".')),
    POD_NAMESPACE: Type.Optional(
      text("Namespace of the ModelServers (the operator sets the pod's own); the ServiceAccount's when unset.", {
        maxLength: 63,
        pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
        'x-expected': 'a namespace name',
      }),
    ),
  },
  {
    description: "The gateway's environment variables.",
    // Any <PROVIDER>_BASE_URL overrides that provider's default base URL.
    patternProperties: { [PROVIDER_BASE_URL_PATTERN]: ProviderBaseUrl },
  },
);

/** The environment after decoding and defaults, as config.ts reads it (<PROVIDER>_BASE_URL variables aside). */
export type GatewayEnv = Static<typeof GatewayEnvSchema>;

/** The schema of one variable, <PROVIDER>_BASE_URL included; undefined for a variable the gateway does not read. */
export function variableSchema(name: string): TSchema | undefined {
  const properties: Record<string, TSchema> = GatewayEnvSchema.properties;
  if (Object.hasOwn(properties, name)) return properties[name];
  return new RegExp(PROVIDER_BASE_URL_PATTERN).test(name) ? ProviderBaseUrl : undefined;
}
