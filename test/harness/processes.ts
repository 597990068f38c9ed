// Starting and stopping the helper servers the tests need (etcd, kube-apiserver, PostgreSQL, ...).
// Every child is tracked so that a crashing test run still kills what it started.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createWriteStream, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
const LOCAL_BIN = join(REPO_ROOT, '.bin');

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Path of a tool installed by hack/setup.sh into .bin/, or a clear error naming the fix. */
export function binary(name: string): string {
  const path = join(LOCAL_BIN, name);
  if (!existsSync(path)) throw new Error(`${name} is not built: run ./hack/setup.sh (expected ${path})`);
  return path;
}

/** A TCP port on 127.0.0.1 that was free a moment ago; the OS picks it so parallel runs do not collide. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => {
        resolvePort(port);
      });
    });
  });
}

export interface Service {
  name: string;
  process: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  logDir: string;
  env?: NodeJS.ProcessEnv;
  /** Working directory; default this process's. */
  cwd?: string;
}

/** Starts a long-running process with its output in `<logDir>/<name>.log`. */
export function startProcess(options: StartOptions): Service {
  const logFile = join(options.logDir, `${options.name}.log`);
  const log = createWriteStream(logFile);
  const child = spawn(options.command, options.args, {
    env: { ...process.env, ...options.env },
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  running.add(child);
  child.on('exit', () => running.delete(child));
  return { name: options.name, process: child, logFile, stop: () => stopProcess(child) };
}

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (hasExited(child)) return;
  const exited = new Promise<void>((done) =>
    child.once('exit', () => {
      done();
    }),
  );
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Polls `check` until it returns true; fails early, naming the log file, if the service exits. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; service?: Service },
): Promise<void> {
  const { service } = options;
  const seeLog = service ? `; see ${service.logFile}` : '';
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (service && hasExited(service.process)) throw new Error(`${what}: ${service.name} exited${seeLog}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${options.timeoutMs} ms${seeLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs a command to completion and returns its output; never throws on a non-zero exit. */
export async function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...options.env },
      timeout: options.timeoutMs ?? 60_000,
      // Only give the child a stdin pipe when there is input: writing to one it never reads fails with EPIPE.
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      done({ code: code ?? -1, stdout, stderr });
    });
    if (child.stdin) {
      child.stdin.on('error', () => undefined); // the exit code and stderr tell what went wrong
      child.stdin.end(options.input);
    }
  });
}

/** Like `run`, but throws with the command's stderr when it fails. */
export async function runOrThrow(command: string, args: string[], options: Parameters<typeof run>[2] = {}): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}
