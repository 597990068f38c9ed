// The request path of the main job: the gateway the operator configured, run as a local process
// (kwok pods run no containers), in front of llm-d-inference-sim standing in for the ModelServer's
// vLLM, with PostgreSQL, Redis and the Qdrant emulator. A user is created through the admin API,
// states a fact, and later asks about it: the answer comes back with the memory that was used.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ControlPlane } from '../test/harness/control-plane.ts';
import { startInferenceSim, type InferenceSim } from '../test/harness/inference-sim.ts';
import { startPostgres } from '../test/harness/postgres.ts';
import { startRedis } from '../test/harness/redis.ts';
import { startQdrantEmulator } from '../test/stubs/qdrant-emulator.ts';
import { startGateway, type GatewayProcess } from '../test/support/gateway.ts';
import { migrateDatabase } from '../test/support/gateway-stack.ts';

export interface DemoStack {
  pd: string;
  modelServer: string;
  servedModel: string;
  namespace: string;
  /** Where the demo keeps its files (config, endpoint map). */
  dir: string;
}

/** kubectl's output, or an error naming the command and kubectl's stderr. */
export async function kubectlText(cp: Pick<ControlPlane, 'kubectl'>, args: string[], input?: string): Promise<string> {
  const { code, stdout, stderr } = await cp.kubectl(args, input);
  if (code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${stderr}`);
  return stdout;
}

/** Prints a kubectl command, what it is for, and its output: the main job's way of showing state. */
export async function show(cp: Pick<ControlPlane, 'kubectl'>, title: string, args: string[]): Promise<void> {
  const { stdout, stderr } = await cp.kubectl(args);
  console.log(`\n$ kubectl ${args.join(' ')}    # ${title}\n${stdout || stderr}`);
}

export async function secretValue(cp: ControlPlane, name: string, key: string, namespace: string): Promise<string> {
  const encoded = await kubectlText(cp, ['get', 'secret', name, '-n', namespace, '-o', `jsonpath={.data.${key}}`]);
  return Buffer.from(encoded, 'base64').toString('utf8');
}

async function call(
  gateway: Pick<GatewayProcess, 'url'>,
  path: string,
  init: { method?: string; token?: string; admin?: string; body?: unknown },
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.admin) headers['x-admin-token'] = init.admin;
  const res = await fetch(`${gateway.url}${path}`, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

export interface RunningGateway {
  gateway: GatewayProcess;
  sim: InferenceSim;
  /** The operator-generated admin token the gateway runs with. */
  adminToken: string;
  stop(): Promise<void>;
}

/** Starts the data stores, the simulator and the gateway with the configuration the operator rendered. */
export async function startDemoGateway(cp: ControlPlane, stack: DemoStack, extraEnv: NodeJS.ProcessEnv = {}): Promise<RunningGateway> {
  const [postgres, redis, qdrant, sim] = await Promise.all([
    startPostgres(),
    startRedis(),
    startQdrantEmulator(),
    startInferenceSim({ model: stack.servedModel }),
  ]);
  const configPath = join(stack.dir, 'gateway-config.yaml');
  writeFileSync(
    configPath,
    await kubectlText(cp, [
      'get',
      'configmap',
      `${stack.pd}-gateway-config`,
      '-n',
      stack.namespace,
      '-o',
      'jsonpath={.data.config\\.yaml}',
    ]),
  );
  const adminToken = await secretValue(cp, `${stack.pd}-admin-token`, 'token', stack.namespace);
  const env: NodeJS.ProcessEnv = {
    PERPETUAL_CONFIG: configPath,
    DATABASE_URL: postgres.url,
    REDIS_URL: redis.url,
    QDRANT_URL: qdrant.url,
    API_KEY_ENCRYPTION_KEY: await secretValue(cp, 'perpetual-encryption', 'API_KEY_ENCRYPTION_KEY', stack.namespace),
    ADMIN_TOKEN: adminToken,
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const migrated = await migrateDatabase(postgres.url);
  if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stderr}`);
  const gateway = await startGateway(env);
  return {
    gateway,
    sim,
    adminToken,
    stop: async () => {
      await gateway.stop();
      await Promise.all([sim.stop(), qdrant.close(), redis.stop(), postgres.stop()]);
    },
  };
}

/** The user's side: an account and key from the admin API, then two chats, the second recalling the first. */
/** A user created through the admin API states a fact, then asks about it; `gateway` is any URL that reaches it. */
export async function chatWithMemory(gateway: Pick<GatewayProcess, 'url'>, adminToken: string, model: string): Promise<void> {
  const user = (await call(gateway, '/admin/users', { method: 'POST', admin: adminToken, body: { email: 'ada@example.com', tier: 'pro' } }))
    .body as { id: string };
  const key = (await call(gateway, `/admin/users/${user.id}/keys`, { method: 'POST', admin: adminToken, body: { name: 'demo' } })).body as {
    key: string;
  };
  console.log(`\nCreated user ${user.id} and API key ${key.key.slice(0, 12)}... through the admin API`);
  const ask = async (content: string, conversation: string): Promise<void> => {
    const started = Date.now();
    const reply = await call(gateway, '/v1/chat/completions', {
      method: 'POST',
      token: key.key,
      body: { model, conversation_id: conversation, messages: [{ role: 'user', content }] },
    });
    const answer = reply.body as { choices?: { message: { content: string } }[]; error?: { message: string } };
    console.log(
      `\n> ${content}\n< ${answer.choices?.[0]?.message.content ?? `error ${String(reply.status)}: ${answer.error?.message ?? ''}`}`,
    );
    console.log(
      `  (${String(Date.now() - started)} ms; x-perpetual-memory: ${reply.headers.get('x-perpetual-memory') ?? '-'}, memories used: ${reply.headers.get('x-perpetual-memory-ids') || 'none'})`,
    );
  };
  await ask('My sister Priya lives in Lisbon.', 'monday');
  // Memories are written after the response, off the request path.
  await new Promise((r) => setTimeout(r, 600));
  await ask('Where does my sister live?', 'friday');
  // Usage rows are written in batches, about once a second.
  await new Promise((r) => setTimeout(r, 1500));
  const usage = (await call(gateway, '/v1/usage', { token: key.key })).body as {
    totals: { requests: number; total_tokens: number; retrieval_calls: number };
  };
  console.log(
    `\nUsage so far: ${String(usage.totals.requests)} requests, ${String(usage.totals.total_tokens)} tokens, ${String(usage.totals.retrieval_calls)} memory retrievals`,
  );
}
