// Runs the gateway as a separate process (as in production) on a free loopback port, with
// whatever environment a test needs, and keeps everything it printed so tests can scan the logs.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort, REPO_ROOT, stopProcess, waitFor } from '../harness/processes.ts';

export interface GatewayProcess {
  process: ChildProcess;
  url: string;
  /** Everything the process printed so far (JSON log lines). */
  logs(): string;
  /** SIGTERM and wait for exit (the gateway drains first). */
  stop(): Promise<void>;
  exited: Promise<number | null>;
}

/** A fixed, valid Fernet key for tests (never used anywhere else). */
export const TEST_ENCRYPTION_KEY = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';
export const TEST_ADMIN_TOKEN = 'admin-token-for-tests-only-0123456789';
export const TEST_JWT_SECRET = 'jwt-secret-for-tests-only-0123456789abcdef';

/** `nodeFlags`: flags for node itself, before the entry point (V8 flags NODE_OPTIONS refuses). */
export async function startGateway(env: NodeJS.ProcessEnv, command = 'serve', nodeFlags: string[] = []): Promise<GatewayProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeFlags, join(REPO_ROOT, 'gateway/main.ts'), command], {
    env: {
      PATH: process.env.PATH,
      API_HOST: '127.0.0.1',
      API_PORT: String(port),
      API_KEY_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      SUPABASE_JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'debug',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      resolve(code);
    }),
  );
  const url = `http://127.0.0.1:${String(port)}`;
  // A gateway that exits at start (a configuration error) fails here with what it printed.
  const died = exited.then((code) => {
    throw new Error(`gateway exited (${String(code)}) before it was healthy: ${output}`);
  });
  await Promise.race([died, waitFor('gateway /health', async () => (await fetch(`${url}/health`)).ok, { timeoutMs: 20_000 })]);
  died.catch(() => undefined);
  return { process: child, url, logs: () => output, stop: () => stopProcess(child, 30_000), exited };
}
