// A private PostgreSQL that a test can stop and start again: same data directory, same port,
// same password, so clients reconnect to the same URL as they would after a real restart or
// failover. Built like harness/postgres.ts (which stays the one-shot server for the shared setup).
//
// Unlike that one it keeps synchronous_commit on: a test that stops the server and then checks
// that every acknowledged row survived must not lose commits the server had acknowledged but not
// yet written. fsync stays off: the server process stops, the machine does not.
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { freePort, runOrThrow, startProcess, waitFor, type Service } from './processes.ts';

export interface RestartablePostgres {
  /** postgresql://postgres:<password>@127.0.0.1:<port>/postgres, valid across restarts. */
  url: string;
  port: number;
  readonly running: boolean;
  /**
   * Stops the server, keeping its data. `fast` (default) ends sessions and checkpoints, as an
   * orderly restart does; `immediate` is a crash: no checkpoint, recovery from WAL at start.
   */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again on the same port and data; resolves when it accepts connections. */
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  destroy(): Promise<void>;
}

function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).map(Number).filter((v) => v >= 15).sort((a, b) => b - a) : [];
  if (versions[0] === undefined) throw new Error('PostgreSQL 15+ is not installed: run ./hack/setup.sh');
  return join(root, String(versions[0]), 'bin');
}

/** PostgreSQL will not run as root; when we are root, run it as the Debian `postgres` user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

export async function startRestartablePostgres(): Promise<RestartablePostgres> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'perpetual-pg-restart-'));
  const user = serverUser();
  if (user) chownSync(dir, user.uid, user.gid);
  const password = randomBytes(16).toString('hex');
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, password);
  if (user) chownSync(pwfile, user.uid, user.gid);
  const data = join(dir, 'data');
  const asServerUser = (command: string, args: string[]): [string, string[]] =>
    user ? ['setpriv', [`--reuid=${String(user.uid)}`, `--regid=${String(user.gid)}`, '--clear-groups', command, ...args]] : [command, args];
  await runOrThrow(...asServerUser(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--no-sync']));
  const port = await freePort();
  const url = `postgresql://postgres:${password}@127.0.0.1:${String(port)}/postgres`;
  let service: Service | undefined;

  const start = async (): Promise<void> => {
    if (service) return;
    const [command, args] = asServerUser(join(bin, 'postgres'), [
      '-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-c', 'fsync=off', '-c', 'full_page_writes=off',
    ]);
    // setpriv execs postgres in place, so this pid is the postmaster's and signals reach it.
    const started = startProcess({ name: 'postgres', command, args, logDir: dir });
    service = started;
    await waitFor('postgres', async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.end();
      return true;
    }, { timeoutMs: 30_000, service: started });
  };

  const stop = async (mode: 'fast' | 'immediate' = 'fast'): Promise<void> => {
    const child = service?.process;
    service = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    // SIGTERM would be a "smart" shutdown, which waits for every client to disconnect (a pool
    // never does); SIGINT is fast shutdown, SIGQUIT immediate.
    const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
    child.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    url,
    port,
    get running() { return service !== undefined; },
    stop,
    start,
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
