// The gateway when something is off: the encryption key changed (the guide's "Encryption error",
// fixed by a rotation with the reencrypt command), and Redis unreachable (limits fail open, with a
// metric, and the request is still served).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { freePort, REPO_ROOT, run } from '../harness/processes.ts';
import { startGateway, TEST_ENCRYPTION_KEY, type GatewayProcess } from '../support/gateway.ts';
import { startStack, USER_OPENAI_KEY, type Stack } from '../support/gateway-stack.ts';

const NEW_KEY = 'fN2rBdp9pZ7R2s1W8y3vYq6oJc0kHh4TmLxGuEaIbDQ=';
let stack: Stack;
const extra: GatewayProcess[] = [];

beforeAll(async () => {
  stack = await startStack({
    postgresUrl: inject('postgresUrl'),
    redisUrl: inject('redisUrl'),
    config: { mode: 'proxy', models: [{ name: 'gpt-4o-mini', provider: 'openai', upstreamModel: 'gpt-4o-mini' }] },
  });
});

afterAll(async () => {
  await Promise.all(extra.map((g) => g.stop()));
  await stack.stop();
});

async function gatewayWith(env: NodeJS.ProcessEnv): Promise<GatewayProcess> {
  const gateway = await startGateway({ ...stack.env, ...env });
  extra.push(gateway);
  return gateway;
}

function chat(url: string, apiKey: string): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  });
}

describe('encryption key rotation', () => {
  it('explains an Encryption error, and the reencrypt command fixes it without the user doing anything', async () => {
    const { apiKey } = await stack.newUser('pro');
    expect((await stack.addProviderKey(apiKey, 'openai', USER_OPENAI_KEY)).status).toBe(201);

    const swapped = await gatewayWith({ API_KEY_ENCRYPTION_KEY: NEW_KEY });
    const broken = await chat(swapped.url, apiKey);
    expect(broken.status).toBe(500);
    const { error } = (await broken.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('encryption_error');
    expect(error.message).toMatch(/^Encryption error/);
    expect(JSON.stringify(error)).not.toContain(USER_OPENAI_KEY);

    const reencrypt = await run(process.execPath, [join(REPO_ROOT, 'gateway/main.ts'), 'reencrypt'], {
      env: { DATABASE_URL: stack.databaseUrl, API_KEY_ENCRYPTION_KEY: `${NEW_KEY},${TEST_ENCRYPTION_KEY}` },
    });
    expect(reencrypt.code).toBe(0);
    expect(reencrypt.stdout).toMatch(/"rewritten":1\b/);
    expect(reencrypt.stdout + reencrypt.stderr).not.toContain(NEW_KEY);

    const rotated = await gatewayWith({ API_KEY_ENCRYPTION_KEY: NEW_KEY });
    expect((await chat(rotated.url, apiKey)).status).toBe(200);
  });

  it('refuses to start with an invalid key, naming the variable but not the value', async () => {
    const result = await run(process.execPath, [join(REPO_ROOT, 'gateway/main.ts'), 'serve'], {
      env: {
        ...stack.env,
        MODE: 'proxy',
        API_KEY_ENCRYPTION_KEY: 'not+a/valid-key',
        API_PORT: String(await freePort()),
        API_HOST: '127.0.0.1',
      },
      timeoutMs: 20_000,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('API_KEY_ENCRYPTION_KEY');
    expect(result.stderr).not.toContain('not+a/valid-key');
  });
});

describe('Redis unreachable', () => {
  it('still serves, reports degraded health and counts the fail-open', async () => {
    const { apiKey } = await stack.newUser('pro');
    await stack.addProviderKey(apiKey, 'openai', USER_OPENAI_KEY);
    const gateway = await gatewayWith({ REDIS_URL: `redis://127.0.0.1:${String(await freePort())}` });
    const started = Date.now();
    expect((await chat(gateway.url, apiKey)).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5000);
    const health = (await (await fetch(`${gateway.url}/health`)).json()) as {
      status: string;
      dependencies: { redis: { ok: boolean }; database: { ok: boolean } };
    };
    expect(health).toMatchObject({ status: 'degraded', dependencies: { redis: { ok: false }, database: { ok: true } } });
    const metrics = await (await fetch(`${gateway.url}/prometheus`)).text();
    expect(metrics).toMatch(/perpetual_dependency_degraded_total\{dependency="redis"\} [1-9]/);
    expect(gateway.logs()).toContain('Rate limiter cannot reach Redis');
  });
});
