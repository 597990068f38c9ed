// Gateway settings: the deployment guide's environment names, plus the non-secret YAML file the
// operator renders from the PerpetualDeployment (PERPETUAL_CONFIG), whose shape is the contract in
// operator/api/v1alpha1/gateway-config.ts. Validated once at start; every error names the variable
// or field and what a valid value looks like, and never echoes a secret. A variable that also has a
// place in the file (MODE, *_TIER_RATE_LIMIT_*, QDRANT_COLLECTION, ...) wins over the file: the
// operator sets none of them, so they are the override of an install without it or of spec.gateway.env.
import { readFileSync } from 'node:fs';
import Value from 'typebox/value';
import { parse } from 'yaml';
import { GatewayFileConfigSchema, type GatewayFileConfig, type GatewayFileEmbedding, type GatewayFileModel, type GatewayFileTierLimits } from '../operator/api/v1alpha1/gateway-config.ts';
import { modelNameProblem } from './chat/model-name.ts';
import { DEFAULT_ROUTING_POLICY, ROUTING_POLICIES, parseRoutingPolicy, type RoutingPolicy } from './routing/routing-policy.ts';

export type Mode = 'proxy' | 'local';
export type Tier = 'free' | 'pro' | 'enterprise';
export const TIERS: readonly Tier[] = ['free', 'pro', 'enterprise'];

export interface TierLimits {
  requestsPerMinute: number;
  requestsPerDay: number;
}

export interface ModelPricing {
  inputPerMillionTokens: number;
  outputPerMillionTokens: number;
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
  /** Routes without their own `routing` [ROUTING_POLICY, or the file's `routing`; sessionAffinity]. */
  policy: RoutingPolicy;
  /** Session affinity's load bound: a replica over this multiple of the mean in-flight load passes new requests on; 0 = none [SESSION_AFFINITY_MAX_LOAD_PERCENT / 100; 1.5]. */
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

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Guide defaults ("Tier Configuration"). */
const DEFAULT_TIERS: Record<Tier, TierLimits> = {
  free: { requestsPerMinute: 10, requestsPerDay: 1000 },
  pro: { requestsPerMinute: 60, requestsPerDay: 10_000 },
  enterprise: { requestsPerMinute: 1000, requestsPerDay: 1_000_000 },
};

export const DEFAULT_MEMORY: MemorySettings = { enabled: true, topK: 20, tokenBudget: 1000, retrievalTimeoutMs: 150, embedding: { source: 'builtin' } };

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

type Env = NodeJS.ProcessEnv;

function integer(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new ConfigError(`${name} must be an integer >= ${min}, got "${raw}".`);
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes'].includes(raw)) return true;
  if (['false', '0', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name] ?? ''}".`);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = raw.trim().toLowerCase();
  if (!(allowed as readonly string[]).includes(value)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}".`);
  return value as T;
}

function nonEmpty(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** The guide's REDIS_HOST/PORT/PASSWORD, or one REDIS_URL (what the operator sets), plus REDIS_PASSWORD. */
function redisUrl(env: Env): string {
  const password = nonEmpty(env, 'REDIS_PASSWORD');
  const url = nonEmpty(env, 'REDIS_URL');
  if (url) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError('REDIS_URL must be a URL such as redis://host:6379.');
    }
    if (password && !parsed.password) parsed.password = encodeURIComponent(password);
    return parsed.toString();
  }
  const host = nonEmpty(env, 'REDIS_HOST') ?? 'localhost';
  const port = integer(env, 'REDIS_PORT', 6379, 1);
  return `redis://${password ? `:${encodeURIComponent(password)}@` : ''}${host}:${port}`;
}

function tierLimits(env: Env, file: Partial<Record<Tier, GatewayFileTierLimits>> | undefined): Record<Tier, TierLimits> {
  const result = {} as Record<Tier, TierLimits>;
  for (const tier of TIERS) {
    const fromFile = { ...DEFAULT_TIERS[tier], ...file?.[tier] };
    const prefix = `${tier.toUpperCase()}_TIER_RATE_LIMIT`;
    result[tier] = {
      requestsPerMinute: integer(env, `${prefix}_PER_MINUTE`, fromFile.requestsPerMinute, 1),
      requestsPerDay: integer(env, `${prefix}_PER_DAY`, fromFile.requestsPerDay, 1),
    };
    if (result[tier].requestsPerMinute > result[tier].requestsPerDay) {
      throw new ConfigError(`${prefix}_PER_MINUTE (${result[tier].requestsPerMinute}) must not exceed ${prefix}_PER_DAY (${result[tier].requestsPerDay}).`);
    }
  }
  return result;
}

/** `/models/2/pricing` → `models[2].pricing`: the path as the file's author reads it. */
function fieldPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path === '' ? part : `${path}.${part}`), '');
}

const child = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

/** What is wrong with the file, one line per field, in the order TypeBox finds them; [] when it fits. */
export function configFileProblems(value: unknown): string[] {
  const problems = new Map<string, string>();
  for (const error of Value.Errors(GatewayFileConfigSchema, value)) {
    const path = fieldPath(error.instancePath);
    const params = error.params as { type?: string; allowedValues?: unknown[]; requiredProperties?: string[]; additionalProperties?: string[]; limit?: number };
    if (error.keyword === 'boolean') continue; // the schema-is-false twin of additionalProperties, below
    if (error.keyword === 'required') for (const key of params.requiredProperties ?? []) problems.set(child(path, key), 'required');
    else if (error.keyword === 'additionalProperties') for (const key of params.additionalProperties ?? []) problems.set(child(path, key), 'unknown field');
    // The first problem of a field is the one to fix (a number where an enum is wanted fails both).
    else if (!problems.has(path)) problems.set(path, problemText(error.keyword, params, error.message));
  }
  return [...problems].map(([path, problem]) => `${path || '(the file)'}: ${problem}`);
}

function problemText(keyword: string, params: { type?: string; allowedValues?: unknown[]; limit?: number }, message: string): string {
  if (keyword === 'type') return `expected ${params.type ?? 'another type'}`;
  if (keyword === 'enum') return `expected one of ${(params.allowedValues ?? []).join(', ')}`;
  if (keyword === 'minLength' && params.limit === 1) return 'must not be empty';
  return message;
}

function readConfigFile(env: Env): GatewayFileConfig {
  const path = nonEmpty(env, 'PERPETUAL_CONFIG');
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`PERPETUAL_CONFIG: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
  const parsed: unknown = parse(text);
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`PERPETUAL_CONFIG: ${path} must hold a YAML mapping.`);
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
      if (problem) throw new ConfigError(`PERPETUAL_CONFIG: models[${i}].${field} ${problem.reason}`);
    }
    if (seen.has(m.name)) throw new ConfigError(`PERPETUAL_CONFIG: model "${m.name}" is listed twice.`);
    seen.add(m.name);
    if (mode === 'local' && !m.endpoint && !m.baseURL && !m.provider) {
      throw new ConfigError(`PERPETUAL_CONFIG: model "${m.name}" needs an endpoint (a ModelServer) in local mode.`);
    }
    const { routing: policyName, ...route } = m;
    const routing = policyFrom(policyName, `PERPETUAL_CONFIG: models[${i}].routing`);
    return { ...route, upstreamModel: m.upstreamModel ?? m.name, ...(routing ? { routing } : {}) };
  });
}

/** The guide's single-model local setup: MODEL_NAME served at VLLM_URL. */
function envModels(env: Env, mode: Mode): ModelRoute[] {
  const name = nonEmpty(env, 'MODEL_NAME');
  if (mode !== 'local' || !name) return [];
  return [{ name, upstreamModel: name, endpoint: nonEmpty(env, 'VLLM_URL') ?? 'http://localhost:8000/v1' }];
}

function polarSettings(env: Env, file: GatewayFileConfig): PolarSettings | undefined {
  const apiKey = nonEmpty(env, 'POLAR_API_KEY');
  const organizationId = nonEmpty(env, 'POLAR_ORGANIZATION_ID') ?? file.billing?.polar?.organizationId;
  if (!apiKey && !organizationId) return undefined;
  if (!apiKey || !organizationId) throw new ConfigError('Polar billing needs both POLAR_API_KEY and POLAR_ORGANIZATION_ID (or neither, to turn billing off).');
  const baseURL = nonEmpty(env, 'POLAR_BASE_URL');
  return {
    apiKey,
    organizationId,
    server: oneOf(env, 'POLAR_SERVER', ['production', 'sandbox'], file.billing?.polar?.server ?? 'production'),
    eventName: file.billing?.polar?.eventName ?? 'llm.usage',
    ...(baseURL ? { baseURL } : {}),
  };
}

function qdrantSettings(env: Env, file: GatewayFileConfig): GatewayConfig['qdrant'] {
  return {
    url: nonEmpty(env, 'QDRANT_URL') ?? nonEmpty(env, 'QDRANT_CLOUD_URL'),
    apiKey: nonEmpty(env, 'QDRANT_API_KEY'),
    collection: nonEmpty(env, 'QDRANT_COLLECTION') ?? file.vectorStore?.collection ?? 'conversations',
  };
}

function usageSettings(env: Env): GatewayConfig['usage'] {
  const days = integer(env, 'USAGE_RETENTION_DAYS', 0, 0);
  return { retentionDays: days > 0 ? days : undefined, onUserDelete: oneOf(env, 'USAGE_ON_USER_DELETE', ['delete', 'anonymize'], 'delete') };
}

function providerBaseURLs(env: Env): Record<string, string> {
  const urls = { ...DEFAULT_PROVIDER_BASE_URLS };
  for (const [name, value] of Object.entries(env)) {
    const match = /^([A-Z0-9]+)_BASE_URL$/.exec(name);
    if (match?.[1] && value && name !== 'POLAR_BASE_URL') urls[match[1].toLowerCase()] = value.replace(/\/+$/, '');
  }
  return urls;
}

function apiPrefix(env: Env): string {
  const prefix = nonEmpty(env, 'API_PREFIX') ?? '/v1';
  if (!/^\/[A-Za-z0-9/_-]*$/.test(prefix)) throw new ConfigError(`API_PREFIX must be a path such as /v1, got "${prefix}".`);
  return prefix.replace(/\/+$/, '') || '/v1';
}

/** A routing policy from the file or the environment; undefined when not given. */
function policyFrom(raw: string | undefined, name: string): RoutingPolicy | undefined {
  if (raw === undefined) return undefined;
  const policy = parseRoutingPolicy(raw);
  if (!policy) throw new ConfigError(`${name} must be one of ${ROUTING_POLICIES.join(', ')}, got ${JSON.stringify(raw)}.`);
  return policy;
}

function routingPolicy(env: Env, file: GatewayFileConfig): RoutingPolicy {
  const fromEnv = nonEmpty(env, 'ROUTING_POLICY');
  return (fromEnv ? policyFrom(fromEnv, 'ROUTING_POLICY') : policyFrom(file.routing, 'PERPETUAL_CONFIG: routing')) ?? DEFAULT_ROUTING_POLICY;
}

function affinityLoadFactor(env: Env): number {
  const percent = integer(env, 'SESSION_AFFINITY_MAX_LOAD_PERCENT', 150);
  if (percent !== 0 && percent < 100) throw new ConfigError(`SESSION_AFFINITY_MAX_LOAD_PERCENT must be 0 (no bound) or at least 100, got "${String(percent)}".`);
  return percent / 100;
}

function healthPath(env: Env): string {
  const path = nonEmpty(env, 'REPLICA_HEALTH_PATH') ?? '/health';
  if (!/^\/[A-Za-z0-9/_.-]*$/.test(path)) throw new ConfigError(`REPLICA_HEALTH_PATH must be a path such as /health, got "${path}".`);
  return path;
}

/** In a cluster (or pointed at one with KUBECONFIG) the gateway asks Kubernetes; elsewhere it only logs. */
function scaleTrigger(env: Env): 'kube' | 'log' {
  const inCluster = nonEmpty(env, 'KUBERNETES_SERVICE_HOST') !== undefined || nonEmpty(env, 'KUBECONFIG') !== undefined;
  return oneOf(env, 'SCALE_TRIGGER', ['kube', 'log'], inCluster ? 'kube' : 'log');
}

function routingSettings(env: Env, file: GatewayFileConfig): RoutingSettings {
  return {
    policy: routingPolicy(env, file),
    affinityLoadFactor: affinityLoadFactor(env),
    maxAttempts: integer(env, 'ROUTING_MAX_ATTEMPTS', 3, 1),
    health: { path: healthPath(env), intervalMs: integer(env, 'REPLICA_HEALTH_INTERVAL_MS', 2000, 100), timeoutMs: integer(env, 'REPLICA_HEALTH_TIMEOUT_MS', 1000, 50) },
    unhealthyMs: integer(env, 'REPLICA_UNHEALTHY_MS', 5000, 0),
    endpointMapFile: nonEmpty(env, 'ENDPOINT_MAP_FILE'),
    scaleFromZero: {
      timeoutMs: integer(env, 'SCALE_FROM_ZERO_TIMEOUT_MS', 120_000, 100),
      queueMax: integer(env, 'SCALE_FROM_ZERO_QUEUE_MAX', 100, 0),
      keepAliveMs: integer(env, 'SCALE_FROM_ZERO_KEEPALIVE_MS', 3000, 100),
      trigger: scaleTrigger(env),
      kubeconfig: nonEmpty(env, 'KUBECONFIG'),
      namespace: nonEmpty(env, 'POD_NAMESPACE'),
    },
  };
}

export function loadConfig(env: Env = process.env): GatewayConfig {
  const file = readConfigFile(env);
  const mode = oneOf(env, 'MODE', ['proxy', 'local'], file.mode ?? 'proxy');
  const encryptionKeys = nonEmpty(env, 'API_KEY_ENCRYPTION_KEY');
  if (!encryptionKeys) {
    throw new ConfigError('API_KEY_ENCRYPTION_KEY is required: generate one with `python3 -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"` or `node -e "console.log(require(\'crypto\').randomBytes(32).toString(\'base64url\') + \'=\')"`.');
  }
  const models = validateModels([...(file.models ?? []), ...envModels(env, mode)], mode);
  const debug = boolean(env, 'DEBUG', false);
  return {
    appName: nonEmpty(env, 'APP_NAME') ?? 'Perpetual AI',
    version: nonEmpty(env, 'VERSION') ?? '2.0.0',
    debug,
    mode,
    host: nonEmpty(env, 'API_HOST') ?? '0.0.0.0',
    port: integer(env, 'API_PORT', 8000),
    prefix: apiPrefix(env),
    logLevel: nonEmpty(env, 'LOG_LEVEL') ?? (debug ? 'debug' : 'info'),
    databaseUrl: nonEmpty(env, 'DATABASE_URL'),
    redis: { url: redisUrl(env), onDown: oneOf(env, 'RATE_LIMIT_ON_REDIS_DOWN', ['allow', 'deny'], 'allow'), keyPrefix: nonEmpty(env, 'REDIS_KEY_PREFIX') ?? 'perpetual:' },
    encryptionKeys,
    jwtSecret: nonEmpty(env, 'SUPABASE_JWT_SECRET'),
    // Supabase signs user sessions with aud "authenticated"; other tokens signed with the same
    // secret (anon and service_role keys, other apps' tokens) carry another and are refused.
    jwtAudience: nonEmpty(env, 'SUPABASE_JWT_AUDIENCE') ?? 'authenticated',
    adminToken: nonEmpty(env, 'ADMIN_TOKEN'),
    qdrant: qdrantSettings(env, file),
    polar: polarSettings(env, file),
    tiers: tierLimits(env, file.tiers),
    defaultLimits: { requestsPerMinute: integer(env, 'RATE_LIMIT_PER_MINUTE', 60, 1), requestsPerDay: integer(env, 'RATE_LIMIT_PER_DAY', 10_000, 1) },
    models,
    memory: { ...DEFAULT_MEMORY, ...file.memory, embedding: { ...DEFAULT_MEMORY.embedding, ...file.memory?.embedding } },
    usage: usageSettings(env),
    corsOrigins: corsOrigins(env),
    limits: {
      // A 10 MB photo as a base64 data URL is about 13.4 MB of JSON.
      maxBodyBytes: integer(env, 'MAX_REQUEST_BODY_BYTES', 16 * 1024 * 1024, 1024),
      maxBufferedBodyBytes: integer(env, 'MAX_BUFFERED_BODY_BYTES', 256 * 1024 * 1024, 1024),
      upstreamTimeoutMs: integer(env, 'UPSTREAM_TIMEOUT_MS', 120_000, 100),
      connectTimeoutMs: integer(env, 'UPSTREAM_CONNECT_TIMEOUT_MS', 10_000, 100),
      shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 25_000, 0),
      keyCacheMs: integer(env, 'API_KEY_CACHE_MS', 30_000, 0),
      // Keys used recently keep working through a PostgreSQL outage this long past API_KEY_CACHE_MS
      // (only when the lookup fails: a key the database says is revoked stops at once). 0: none.
      keyStaleMs: integer(env, 'API_KEY_STALE_MS', 15 * 60_000, 0),
    },
    providerBaseURLs: providerBaseURLs(env),
    routing: routingSettings(env, file),
  };
}

/** CORS_ALLOWED_ORIGINS: a comma-separated list of origins (scheme://host[:port]) or `*`. */
function corsOrigins(env: NodeJS.ProcessEnv): string[] {
  const origins = (env.CORS_ALLOWED_ORIGINS ?? '').split(',').map((o) => o.trim()).filter((o) => o !== '');
  for (const origin of origins) {
    if (origin === '*') continue;
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.origin !== origin) throw new ConfigError(`CORS_ALLOWED_ORIGINS: "${origin}" is not an origin; write each as scheme://host[:port] with no path or trailing slash, comma-separated, or * for any.`);
  }
  return origins;
}

/** The configured limits of a tier; unknown tiers get the guide's RATE_LIMIT_PER_* defaults. */
export function limitsForTier(config: Pick<GatewayConfig, 'tiers' | 'defaultLimits'>, tier: string): TierLimits {
  return (TIERS as readonly string[]).includes(tier) ? config.tiers[tier as Tier] : config.defaultLimits;
}
