// A private PostgreSQL on loopback: its own data directory, a free port, a generated password.
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { freePort, runOrThrow, startProcess, waitFor } from './processes.ts';

export interface Postgres {
  /** postgresql://postgres:<password>@127.0.0.1:<port>/postgres */
  url: string;
  stop(): Promise<void>;
}

/** The newest installed PostgreSQL (15 or later) from Debian's layout. */
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

export async function startPostgres(): Promise<Postgres> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'perpetual-pg-'));
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
  const [command, args] = asServerUser(join(bin, 'postgres'), [
    '-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir,
    // Test data only: trade durability for speed.
    '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
  ]);
  const service = startProcess({ name: 'postgres', command, args, logDir: dir });
  const url = `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`;
  await waitFor('postgres', async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.end();
    return true;
  }, { timeoutMs: 30_000, service });
  return {
    url,
    stop: async () => {
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
