// A whole gateway for one test file: its own database (migrated by the real `migrate` command),
// its own Redis key prefix, protocol-faithful OpenAI and Anthropic upstreams on loopback, and
// helpers to act as the platform team (users, keys) and as end users (provider keys).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { REPO_ROOT, run } from '../harness/processes.ts';
import { startAnthropicUpstream, type AnthropicUpstream } from '../stubs/anthropic-upstream.ts';
import { startOpenAIUpstream, type OpenAIUpstream } from '../stubs/openai-upstream.ts';
import { startQdrantEmulator, type QdrantEmulator } from '../stubs/qdrant-emulator.ts';
import { freshDatabase, freshKeyPrefix } from './database.ts';
import { startGateway, TEST_ADMIN_TOKEN, type GatewayProcess } from './gateway.ts';

/** Provider keys of the test users: tests assert they never leak. */
export const USER_OPENAI_KEY = 'sk-user-openai-SECRET-0123456789abcdef';
export const USER_ANTHROPIC_KEY = 'sk-ant-user-SECRET-0123456789abcdef';

export interface StackOptions {
  postgresUrl: string;
  redisUrl: string;
  /** The YAML config file's content (models, tiers, ...). */
  config?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** How many gateway replicas share the database and Redis. */
  replicas?: number;
  /** Start the Qdrant emulator and point the gateway at it (memory on). */
  memory?: boolean;
  /** Flags for each gateway's node, before the entry point (benchmarks: V8 flags). */
  nodeFlags?: string[];
}

/** The emulator's API key; tests assert it never leaks. */
export const QDRANT_TEST_API_KEY = 'qdrant-key-SECRET-0123456789';

export interface Stack {
  databaseUrl: string;
  redisKeyPrefix: string;
  env: NodeJS.ProcessEnv;
  gateways: GatewayProcess[];
  openai: OpenAIUpstream;
  anthropic: AnthropicUpstream;
  /** Present when started with `memory: true`. */
  qdrant: QdrantEmulator | undefined;
  /** The first replica's URL. */
  url: string;
  admin(method: string, path: string, body?: unknown): Promise<Response>;
  /** Creates a user and an API key for them; returns both. */
  newUser(tier?: string): Promise<{ userId: string; apiKey: string }>;
  addProviderKey(apiKey: string, provider: string, key: string): Promise<Response>;
  stop(): Promise<void>;
}

export async function migrateDatabase(databaseUrl: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [join(REPO_ROOT, 'gateway/main.ts'), 'migrate'], {
    env: { DATABASE_URL: databaseUrl, LOG_LEVEL: 'info' },
    timeoutMs: 60_000,
  });
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const databaseUrl = await freshDatabase(options.postgresUrl, 'gateway');
  const migrated = await migrateDatabase(databaseUrl);
  if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stderr}${migrated.stdout}`);
  const [openai, anthropic] = await Promise.all([
    startOpenAIUpstream({ apiKey: USER_OPENAI_KEY }),
    startAnthropicUpstream({ apiKey: USER_ANTHROPIC_KEY }),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'perpetual-gateway-'));
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, stringify(options.config ?? {}));
  const redisKeyPrefix = freshKeyPrefix();
  const qdrant = options.memory ? await startQdrantEmulator({ apiKey: QDRANT_TEST_API_KEY }) : undefined;
  const env: NodeJS.ProcessEnv = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: options.redisUrl,
    REDIS_KEY_PREFIX: redisKeyPrefix,
    OPENAI_BASE_URL: openai.url,
    ANTHROPIC_BASE_URL: anthropic.url,
    // An OpenAI-compatible provider without OpenAI's own APIs (Responses): the OpenAI stub again.
    GROQ_BASE_URL: openai.url,
    PERPETUAL_CONFIG: configPath,
    ...(qdrant ? { QDRANT_URL: qdrant.url, QDRANT_API_KEY: QDRANT_TEST_API_KEY } : {}),
    ...options.env,
  };
  const gateways = await Promise.all(Array.from({ length: options.replicas ?? 1 }, () => startGateway(env, 'serve', options.nodeFlags)));
  const url = gateways[0]?.url ?? '';
  const admin = (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${url}${path}`, {
      method,
      headers: { 'x-admin-token': TEST_ADMIN_TOKEN, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return {
    databaseUrl,
    redisKeyPrefix,
    env,
    gateways,
    openai,
    anthropic,
    qdrant,
    url,
    admin,
    newUser: async (tier = 'pro') => {
      const user = (await (await admin('POST', '/admin/users', { email: `u-${crypto.randomUUID()}@example.com`, tier })).json()) as {
        id: string;
      };
      const key = (await (await admin('POST', `/admin/users/${user.id}/keys`, { name: 'test' })).json()) as { key: string };
      return { userId: user.id, apiKey: key.key };
    },
    addProviderKey: (apiKey, provider, key) =>
      fetch(`${url}/v1/provider-keys/add`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ provider, api_key: key }),
      }),
    stop: async () => {
      await Promise.all(gateways.map((g) => g.stop()));
      await Promise.all([openai.close(), anthropic.close(), qdrant?.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
