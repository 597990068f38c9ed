// Gateway settings: the environment (every variable in gateway/config/env-schema.ts, read by
// gateway/config/read-env.ts), plus the non-secret YAML file the operator renders from the
// PerpetualDeployment (PERPETUAL_CONFIG), whose shape is the contract in
// operator/api/v1alpha1/gateway-config.ts. Both are checked against their schema once at start;
// every error names the variable or field and what a valid value looks like, and never echoes a
// secret. What is left here is combining them: a variable that also has a place in the file (MODE,
// *_TIER_RATE_LIMIT_*, QDRANT_COLLECTION, ...) wins over the file: the operator sets none of them,
// so they are the override of an install without it or of spec.gateway.env.
import { readFileSync } from 'node:fs';
import Value from 'typebox/value';
import { parse } from 'yaml';
import {
  GatewayFileConfigSchema,
  type GatewayFileConfig,
  type GatewayFileEmbedding,
  type GatewayFileModel,
  type GatewayFileTierLimits,
} from '../operator/api/v1alpha1/gateway-config.ts';
import type { TierBudget } from './budget/limits.ts';
import { modelNameProblem } from './chat/model-name.ts';
import { ConfigError } from './config/config-error.ts';
import type { GatewayEnv } from './config/env-schema.ts';
import { readEnv, type RawEnv } from './config/read-env.ts';
import { schemaProblems, type SchemaProblem } from './config/schema-problems.ts';
import { factExtractionSettings, type FactExtractionSettings } from './memory/facts/fact-settings.ts';
import { DEFAULT_ROUTING_POLICY, ROUTING_POLICIES, parseRoutingPolicy, type RoutingPolicy } from './routing/routing-policy.ts';

export { ConfigError };

export type Mode = 'proxy' | 'local';
export type Tier = 'free' | 'pro' | 'enterprise';
export const TIERS: readonly Tier[] = ['free', 'pro', 'enterprise'];

export interface TierLimits {
  requestsPerMinute: number;
  requestsPerDay: number;
  /** Prompt + completion tokens per key per minute; absent: not limited. */
  tokensPerMinute?: number;
  /** Prompt + completion tokens per key per UTC day; absent: not limited. */
  tokensPerDay?: number;
  /** Completion tokens reserved for a request without max_tokens, and the cap on a larger one (DEFAULT_MAX_OUTPUT_TOKENS when absent). */
  maxOutputTokens?: number;
  /** Each user's default money budget in this tier (budget/limits.ts); absent: none. */
  budget?: TierBudget;
}

/** What a request without max_tokens reserves against the token limits when its tier names no cap. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4096;

export interface ModelPricing {
  inputPerMillionTokens: number;
  outputPerMillionTokens: number;
  /** Prompt tokens read from the provider's cache; the input price when absent. */
  cachedInputPerMillionTokens?: number;
  /** Prompt tokens written to the provider's cache; the input price when absent. */
  cacheWritePerMillionTokens?: number;
}

/**
 * A model clients may name, and where it goes: the file's entry (see GatewayFileModel in
 * operator/api/v1alpha1/gateway-config.ts for each field) with the upstream name and policy settled.
 */
export type ModelRoute = Omit<GatewayFileModel, 'upstreamModel' | 'routing'> & {
  /** The name sent upstream. */
  upstreamModel: string;
  /** local mode: how requests spread over the ModelServer's replicas; the file's top-level `routing` when absent. */
  routing?: RoutingPolicy;
};

export interface MemorySettings {
  enabled: boolean;
  topK: number;
  tokenBudget: number;
  retrievalTimeoutMs: number;
  /** spec.memory.embedding; the operator adds `endpoint` for a ModelServer source. */
  embedding: GatewayFileEmbedding & { source: NonNullable<GatewayFileEmbedding['source']> };
  /** spec.memory.factExtraction with the gateway's defaults (memory/facts/fact-settings.ts); absent: off. */
  factExtraction?: FactExtractionSettings;
}

export interface PolarSettings {
  apiKey: string;
  organizationId: string;
  server: 'production' | 'sandbox';
  eventName: string;
  /** Overrides the server's base URL (tests). */
  baseURL?: string;
}

/**
 * Local mode: routing over a ModelServer's replicas and holding requests while it scales from zero
 * (gateway/routing/). Environment names in brackets.
 */
export interface RoutingSettings {
  /** Routes without their own `routing` [ROUTING_POLICY, or the file's `routing`; prefix]. */
  policy: RoutingPolicy;
  /** Session and prefix affinity's load bound: a replica over this multiple of the mean in-flight load passes new requests on; 0 = none [SESSION_AFFINITY_MAX_LOAD_PERCENT / 100; 1.5]. */
  affinityLoadFactor: number;
  /** Replicas tried per request after connection failures, the first included [ROUTING_MAX_ATTEMPTS; 3]. */
  maxAttempts: number;
  /** Readiness polling of every replica [REPLICA_HEALTH_PATH /health, REPLICA_HEALTH_INTERVAL_MS 2000, REPLICA_HEALTH_TIMEOUT_MS 1000]. */
  health: { path: string; intervalMs: number; timeoutMs: number };
  /** How long a replica that failed a request is skipped [REPLICA_UNHEALTHY_MS; 5000]. */
  unhealthyMs: number;
  /** Tests only: replicas from a JSON file of loopback URLs instead of cluster DNS [ENDPOINT_MAP_FILE]. */
  endpointMapFile: string | undefined;
  scaleFromZero: {
    /** The longest a request waits for a first ready replica [SCALE_FROM_ZERO_TIMEOUT_MS; 120000]. */
    timeoutMs: number;
    /** Requests held per ModelServer at most; more get a 503 [SCALE_FROM_ZERO_QUEUE_MAX; 100]. */
    queueMax: number;
    /** SSE comment interval for held streaming requests [SCALE_FROM_ZERO_KEEPALIVE_MS; 3000]. */
    keepAliveMs: number;
    /** `kube`: PATCH the ModelServer's scale subresource; `log`: only log [SCALE_TRIGGER; kube in a cluster or with KUBECONFIG, log otherwise]. */
    trigger: 'kube' | 'log';
    /** [KUBECONFIG]; the in-cluster ServiceAccount when unset. */
    kubeconfig: string | undefined;
    /** The ModelServers' namespace [POD_NAMESPACE; the ServiceAccount's]. */
    namespace: string | undefined;
  };
}

export interface GatewayConfig {
  appName: string;
  version: string;
  debug: boolean;
  mode: Mode;
  host: string;
  port: number;
  prefix: string;
  logLevel: string;
  databaseUrl: string | undefined;
  /** keyPrefix namespaces every key and channel, so several gateways can share one Redis. */
  redis: { url: string; onDown: 'allow' | 'deny'; keyPrefix: string };
  encryptionKeys: string;
  jwtSecret: string | undefined;
  /** SUPABASE_JWT_AUDIENCE: the `aud` a session JWT must carry. */
  jwtAudience: string;
  adminToken: string | undefined;
  qdrant: { url: string | undefined; apiKey: string | undefined; collection: string };
  polar: PolarSettings | undefined;
  tiers: Record<Tier, TierLimits>;
  /** Limits for a key whose tier is none of the three (the guide's RATE_LIMIT_PER_*). */
  defaultLimits: TierLimits;
  models: ModelRoute[];
  memory: MemorySettings;
  /** USAGE_RETENTION_DAYS (none: keep forever) and what deleting a user does to their usage rows. */
  usage: { retentionDays: number | undefined; onUserDelete: 'delete' | 'anonymize' };
  /** CORS_ALLOWED_ORIGINS: origins browser apps may call from (`*` for any); empty: no CORS headers. */
  corsOrigins: string[];
  limits: {
    maxBodyBytes: number;
    /** MAX_BUFFERED_BODY_BYTES: all request bodies held at once (see middleware/body-budget.ts). */
    maxBufferedBodyBytes: number;
    upstreamTimeoutMs: number;
    connectTimeoutMs: number;
    shutdownGraceMs: number;
    /** API_KEY_CACHE_MS: how long an API key or provider key lookup is reused before PostgreSQL is asked again. */
    keyCacheMs: number;
    /** API_KEY_STALE_MS: how much longer a cached key keeps working while PostgreSQL cannot be reached. */
    keyStaleMs: number;
  };
  /** Provider base URLs by name; overridable with <PROVIDER>_BASE_URL (tests point them at stubs). */
  providerBaseURLs: Record<string, string>;
  routing: RoutingSettings;
}

/** Guide defaults ("Tier Configuration"). */
const DEFAULT_TIERS: Record<Tier, TierLimits> = {
  free: { requestsPerMinute: 10, requestsPerDay: 1000 },
  pro: { requestsPerMinute: 60, requestsPerDay: 10_000 },
  enterprise: { requestsPerMinute: 1000, requestsPerDay: 1_000_000 },
};

export const DEFAULT_MEMORY: MemorySettings = {
  enabled: true,
  topK: 20,
  tokenBudget: 1000,
  retrievalTimeoutMs: 150,
  embedding: { source: 'builtin' },
};

export const DEFAULT_PROVIDER_BASE_URLS: Record<string, string> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
  groq: 'https://api.groq.com/openai/v1',
  together: 'https://api.together.xyz/v1',
  mistral: 'https://api.mistral.ai/v1',
  deepseek: 'https://api.deepseek.com/v1',
  openrouter: 'https://openrouter.ai/api/v1',
  fireworks: 'https://api.fireworks.ai/inference/v1',
};

/** The guide's REDIS_HOST/PORT/PASSWORD, or one REDIS_URL (what the operator sets), plus REDIS_PASSWORD. */
function redisUrl(env: GatewayEnv): string {
  const password = env.REDIS_PASSWORD;
  if (env.REDIS_URL) {
    const parsed = new URL(env.REDIS_URL);
    if (password && !parsed.password) parsed.password = encodeURIComponent(password);
    return parsed.toString();
  }
  return `redis://${password ? `:${encodeURIComponent(password)}@` : ''}${env.REDIS_HOST}:${String(env.REDIS_PORT)}`;
}

/** Each tier from the environment, else the file, else the guide; a day's limit below the minute's cannot be meant. */
function tierLimits(env: GatewayEnv, file: Partial<Record<Tier, GatewayFileTierLimits>> | undefined): Record<Tier, TierLimits> {
  const result = {} as Record<Tier, TierLimits>;
  for (const tier of TIERS) {
    const fromFile = { ...DEFAULT_TIERS[tier], ...file?.[tier] };
    const prefix = `${tier.toUpperCase() as Uppercase<Tier>}_TIER_RATE_LIMIT` as const;
    result[tier] = {
      requestsPerMinute: env[`${prefix}_PER_MINUTE`] ?? fromFile.requestsPerMinute,
      requestsPerDay: env[`${prefix}_PER_DAY`] ?? fromFile.requestsPerDay,
      // Token limits come from the file (spec.tiers) only: no guide variable names them.
      ...(fromFile.tokensPerMinute === undefined ? {} : { tokensPerMinute: fromFile.tokensPerMinute }),
      ...(fromFile.tokensPerDay === undefined ? {} : { tokensPerDay: fromFile.tokensPerDay }),
      ...(fromFile.maxOutputTokens === undefined ? {} : { maxOutputTokens: fromFile.maxOutputTokens }),
      ...(fromFile.budget === undefined ? {} : { budget: fromFile.budget }),
    };
    if (result[tier].requestsPerMinute > result[tier].requestsPerDay) {
      throw new ConfigError(
        `${prefix}_PER_MINUTE (${String(result[tier].requestsPerMinute)}) must not exceed ${prefix}_PER_DAY (${String(result[tier].requestsPerDay)}).`,
      );
    }
    const { tokensPerMinute, tokensPerDay } = result[tier];
    if (tokensPerMinute !== undefined && tokensPerDay !== undefined && tokensPerMinute > tokensPerDay) {
      throw new ConfigError(
        `tiers.${tier}.tokensPerMinute (${String(tokensPerMinute)}) must not exceed tiers.${tier}.tokensPerDay (${String(tokensPerDay)}).`,
      );
    }
  }
  return result;
}

/** ['models', '2', 'pricing'] → `models[2].pricing`: the path as the file's author reads it. */
function fieldPath(path: string[]): string {
  return path.reduce((text, part) => (/^\d+$/.test(part) ? `${text}[${part}]` : text === '' ? part : `${text}.${part}`), '');
}

/** What is wrong with the file, one line per field, in the order TypeBox finds them; [] when it fits. */
export function configFileProblems(value: unknown): string[] {
  return schemaProblems(GatewayFileConfigSchema, value).map(
    (problem) => `${fieldPath(problem.path) || '(the file)'}: ${problemText(problem)}`,
  );
}

function problemText({ keyword, params, message }: SchemaProblem): string {
  if (keyword === 'type') return `expected ${params.type ?? 'another type'}`;
  if (keyword === 'enum') return `expected one of ${(params.allowedValues ?? []).join(', ')}`;
  if (keyword === 'minLength' && params.limit === 1) return 'must not be empty';
  return message;
}

function readConfigFile(path: string | undefined): GatewayFileConfig {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`PERPETUAL_CONFIG: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
  const parsed: unknown = parse(text);
  if (parsed === null || parsed === undefined) return {};
  if (!Value.Check(GatewayFileConfigSchema, parsed)) {
    throw new ConfigError(`PERPETUAL_CONFIG: ${path} is not a gateway configuration file: ${configFileProblems(parsed).join('; ')}.`);
  }
  return parsed;
}

function validateModels(models: GatewayFileModel[], mode: Mode): ModelRoute[] {
  const seen = new Set<string>();
  return models.map((m, i) => {
    // The CRD refuses these already; a hand-written file or MODEL_NAME gets the same rule here.
    for (const field of ['name', 'fallback'] as const) {
      const problem = m[field] === undefined ? undefined : modelNameProblem(m[field]);
      if (problem) throw new ConfigError(`PERPETUAL_CONFIG: models[${String(i)}].${field} ${problem.reason}`);
    }
    if (seen.has(m.name)) throw new ConfigError(`PERPETUAL_CONFIG: model "${m.name}" is listed twice.`);
    seen.add(m.name);
    if (mode === 'local' && !m.endpoint && !m.baseURL && !m.provider) {
      throw new ConfigError(`PERPETUAL_CONFIG: model "${m.name}" needs an endpoint (a ModelServer) in local mode.`);
    }
    const { routing: policyName, ...route } = m;
    const routing = policyFrom(policyName, `PERPETUAL_CONFIG: models[${String(i)}].routing`);
    return { ...route, upstreamModel: m.upstreamModel ?? m.name, ...(routing ? { routing } : {}) };
  });
}

/** The guide's single-model local setup: MODEL_NAME served at VLLM_URL. */
function envModels(env: GatewayEnv, mode: Mode): ModelRoute[] {
  const name = env.MODEL_NAME;
  if (mode !== 'local' || !name) return [];
  return [{ name, upstreamModel: name, endpoint: env.VLLM_URL }];
}

function polarSettings(env: GatewayEnv, file: GatewayFileConfig): PolarSettings | undefined {
  const fromFile = { server: 'production' as const, eventName: 'llm.usage', ...file.billing?.polar };
  const apiKey = env.POLAR_API_KEY;
  const organizationId = env.POLAR_ORGANIZATION_ID ?? fromFile.organizationId;
  if (!apiKey && !organizationId) return undefined;
  if (!apiKey || !organizationId)
    throw new ConfigError('Polar billing needs both POLAR_API_KEY and POLAR_ORGANIZATION_ID (or neither, to turn billing off).');
  return {
    apiKey,
    organizationId,
    server: env.POLAR_SERVER ?? fromFile.server,
    eventName: fromFile.eventName,
    ...(env.POLAR_BASE_URL ? { baseURL: env.POLAR_BASE_URL } : {}),
  };
}

/** Every <PROVIDER>_BASE_URL (the schema's patternProperties) over the defaults. */
function providerBaseURLs(env: GatewayEnv): Record<string, string> {
  const urls = { ...DEFAULT_PROVIDER_BASE_URLS };
  for (const [name, value] of Object.entries(env as Record<string, unknown>)) {
    const match = /^([A-Z0-9]+)_BASE_URL$/.exec(name);
    if (match?.[1] && name !== 'POLAR_BASE_URL') urls[match[1].toLowerCase()] = String(value).replace(/\/+$/, '');
  }
  return urls;
}

/** A routing policy from the file; undefined when not given. */
function policyFrom(raw: string | undefined, name: string): RoutingPolicy | undefined {
  if (raw === undefined) return undefined;
  const policy = parseRoutingPolicy(raw);
  if (!policy) throw new ConfigError(`${name} must be one of ${ROUTING_POLICIES.join(', ')}, got ${JSON.stringify(raw)}.`);
  return policy;
}

function routingSettings(env: GatewayEnv, file: GatewayFileConfig): RoutingSettings {
  // In a cluster (or pointed at one with KUBECONFIG) the gateway asks Kubernetes; elsewhere it only logs.
  const inCluster = env.KUBERNETES_SERVICE_HOST !== undefined || env.KUBECONFIG !== undefined;
  return {
    policy: env.ROUTING_POLICY ?? policyFrom(file.routing, 'PERPETUAL_CONFIG: routing') ?? DEFAULT_ROUTING_POLICY,
    affinityLoadFactor: env.SESSION_AFFINITY_MAX_LOAD_PERCENT / 100,
    maxAttempts: env.ROUTING_MAX_ATTEMPTS,
    health: { path: env.REPLICA_HEALTH_PATH, intervalMs: env.REPLICA_HEALTH_INTERVAL_MS, timeoutMs: env.REPLICA_HEALTH_TIMEOUT_MS },
    unhealthyMs: env.REPLICA_UNHEALTHY_MS,
    endpointMapFile: env.ENDPOINT_MAP_FILE,
    scaleFromZero: {
      timeoutMs: env.SCALE_FROM_ZERO_TIMEOUT_MS,
      queueMax: env.SCALE_FROM_ZERO_QUEUE_MAX,
      keepAliveMs: env.SCALE_FROM_ZERO_KEEPALIVE_MS,
      trigger: env.SCALE_TRIGGER ?? (inCluster ? 'kube' : 'log'),
      kubeconfig: env.KUBECONFIG,
      namespace: env.POD_NAMESPACE,
    },
  };
}

/** The settings of `serve`, from the environment (read through gateway/config/env-schema.ts) and the file it names. */
export function loadConfig(raw: RawEnv = process.env): GatewayConfig {
  const env = readEnv(raw, ['API_KEY_ENCRYPTION_KEY']);
  const file = readConfigFile(env.PERPETUAL_CONFIG);
  const mode = env.MODE ?? file.mode ?? 'proxy';
  const models = validateModels([...(file.models ?? []), ...envModels(env, mode)], mode);
  return {
    appName: env.APP_NAME,
    version: env.VERSION,
    debug: env.DEBUG,
    mode,
    host: env.API_HOST,
    port: env.API_PORT,
    prefix: env.API_PREFIX.replace(/\/+$/, '') || '/v1',
    logLevel: env.LOG_LEVEL ?? (env.DEBUG ? 'debug' : 'info'),
    databaseUrl: env.DATABASE_URL,
    redis: { url: redisUrl(env), onDown: env.RATE_LIMIT_ON_REDIS_DOWN, keyPrefix: env.REDIS_KEY_PREFIX },
    encryptionKeys: env.API_KEY_ENCRYPTION_KEY,
    jwtSecret: env.SUPABASE_JWT_SECRET,
    // Supabase signs user sessions with aud "authenticated"; other tokens signed with the same
    // secret (anon and service_role keys, other apps' tokens) carry another and are refused.
    jwtAudience: env.SUPABASE_JWT_AUDIENCE,
    adminToken: env.ADMIN_TOKEN,
    qdrant: {
      url: env.QDRANT_URL ?? env.QDRANT_CLOUD_URL,
      apiKey: env.QDRANT_API_KEY,
      collection: env.QDRANT_COLLECTION ?? file.vectorStore?.collection ?? 'conversations',
    },
    polar: polarSettings(env, file),
    tiers: tierLimits(env, file.tiers),
    defaultLimits: { requestsPerMinute: env.RATE_LIMIT_PER_MINUTE, requestsPerDay: env.RATE_LIMIT_PER_DAY },
    models,
    memory: {
      ...DEFAULT_MEMORY,
      ...file.memory,
      embedding: { ...DEFAULT_MEMORY.embedding, ...file.memory?.embedding },
      factExtraction: factExtractionSettings(file.memory?.factExtraction),
    },
    usage: { retentionDays: env.USAGE_RETENTION_DAYS > 0 ? env.USAGE_RETENTION_DAYS : undefined, onUserDelete: env.USAGE_ON_USER_DELETE },
    corsOrigins: env.CORS_ALLOWED_ORIGINS,
    limits: {
      maxBodyBytes: env.MAX_REQUEST_BODY_BYTES,
      maxBufferedBodyBytes: env.MAX_BUFFERED_BODY_BYTES,
      upstreamTimeoutMs: env.UPSTREAM_TIMEOUT_MS,
      connectTimeoutMs: env.UPSTREAM_CONNECT_TIMEOUT_MS,
      shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
      keyCacheMs: env.API_KEY_CACHE_MS,
      keyStaleMs: env.API_KEY_STALE_MS,
    },
    providerBaseURLs: providerBaseURLs(env),
    routing: routingSettings(env, file),
  };
}

/** The configured limits of a tier; unknown tiers get the guide's RATE_LIMIT_PER_* defaults. */
export function limitsForTier(config: Pick<GatewayConfig, 'tiers' | 'defaultLimits'>, tier: string): TierLimits {
  return (TIERS as readonly string[]).includes(tier) ? config.tiers[tier as Tier] : config.defaultLimits;
}
