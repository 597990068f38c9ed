// Runs the operator as a separate process (as in production) against a test control plane.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Deployment } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { freePort, REPO_ROOT, stopProcess, waitFor } from '../harness/processes.ts';

export interface OperatorProcess {
  process: ChildProcess;
  port: number;
  /** Everything the process printed so far (JSON log lines). */
  logs(): string;
  metrics(): Promise<string>;
  /** Sum of a counter across its label sets, e.g. perpetual_operator_api_writes_total. */
  counter(name: string): Promise<number>;
  /** A counter's values summed by one label, e.g. writes by verb: { apply: 10, create: 3 }. */
  countersBy(name: string, label: string): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

export interface OperatorOptions {
  kubeconfigPath: string;
  env?: NodeJS.ProcessEnv;
  /** The entry point; default the TypeScript source (npm run build makes the bundle, dist/perpetual-operator.js). */
  entry?: string;
  /** Flags for node itself, before the entry point (V8 flags NODE_OPTIONS does not accept). */
  nodeArgs?: string[];
}

/** Short timings so tests see requeues and failovers quickly. */
const TEST_ENV = {
  WAITING_REQUEUE_MS: '1000',
  LEADER_ELECTION_NAMESPACE: 'perpetual-system',
  LEADER_ELECTION_LEASE_DURATION_MS: '3000',
  LEADER_ELECTION_RENEW_DEADLINE_MS: '2000',
  LEADER_ELECTION_RETRY_PERIOD_MS: '300',
  LOG_LEVEL: 'debug',
};

/** Sum of a metric's samples across its label sets in a Prometheus text exposition. */
export function sampleSum(text: string, name: string): number {
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
}

export async function startOperator(options: OperatorOptions): Promise<OperatorProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.entry ?? join(REPO_ROOT, 'operator/main.ts')], {
    env: {
      ...process.env,
      ...TEST_ENV,
      KUBECONFIG: options.kubeconfigPath,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${String(port)}`;
  const metrics = async (): Promise<string> => (await fetch(`${url}/metrics`)).text();
  const op: OperatorProcess = {
    process: child,
    port,
    logs: () => output,
    metrics,
    countersBy: async (name, label) => {
      const byLabel = new Map<string, number>();
      for (const m of (await metrics()).matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
        const value = new RegExp(`${label}="([^"]*)"`).exec(m[1] ?? '')?.[1] ?? '';
        byLabel.set(value, (byLabel.get(value) ?? 0) + Number(m[2]));
      }
      return byLabel;
    },
    counter: async (name) => sampleSum(await metrics(), name),
    stop: () => stopProcess(child),
  };
  const ready = async (): Promise<boolean> => {
    if (child.exitCode !== null) throw new Error(`operator exited: ${output}`);
    return (await fetch(`${url}/readyz`)).ok;
  };
  await waitFor('operator /readyz', ready, { timeoutMs: 20_000 });
  return op;
}

/** How the operator's image runs: its bundled entry point, built into `dir`, and the runtime settings config/manager gives it. */
export async function imageRuntime(dir: string): Promise<Pick<OperatorOptions, 'entry' | 'env'>> {
  const manifest = parse(readFileSync(join(REPO_ROOT, 'config/manager/manager.yaml'), 'utf8')) as V1Deployment;
  const env = manifest.spec?.template.spec?.containers.find((c) => c.name === 'operator')?.env ?? [];
  // Node's and the C library's memory settings; the rest (names, images) are the cluster's business.
  const runtime = env.filter((e) => e.value !== undefined && (e.name === 'NODE_OPTIONS' || e.name === 'GLIBC_TUNABLES'));
  return { entry: await buildOperatorBundle(dir), env: Object.fromEntries(runtime.map((e) => [e.name, e.value])) };
}

/** Builds the operator's image entry point (the one bundled file, as `npm run build` makes it) into `dir`. */
async function buildOperatorBundle(dir: string): Promise<string> {
  // Loaded here, not at the top: only tests that run the image's entry point need the bundler.
  const [{ build }, { operatorBundle }] = await Promise.all([import('rolldown'), import('../../rolldown.config.ts')]);
  const file = join(dir, 'perpetual-operator.js');
  await build({ ...operatorBundle, cwd: REPO_ROOT, logLevel: 'warn', output: { ...operatorBundle.output, file, sourcemap: false } });
  return file;
}
