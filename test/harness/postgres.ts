// A private PostgreSQL on loopback: its own data directory, a free port, a generated password.
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { freePort, runOrThrow, startProcess, waitFor, type Service } from './processes.ts';

export interface Postgres {
  /** postgresql://postgres:<password>@127.0.0.1:<port>/postgres */
  url: string;
  stop(): Promise<void>;
}

/** The newest installed PostgreSQL (15 or later) from Debian's layout. */
function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .map(Number)
        .filter((v) => v >= 15)
        .sort((a, b) => b - a)
    : [];
  if (versions[0] === undefined) throw new Error('PostgreSQL 15+ is not installed: run ./hack/setup.sh');
  return join(root, String(versions[0]), 'bin');
}

/** PostgreSQL will not run as root; when we are root, run it as the Debian `postgres` user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** A freshly initialised data directory with its credentials, not yet served. */
export interface PostgresCluster {
  /** Holds the data, the password file, the server's socket and its log. */
  dir: string;
  port: number;
  /** postgresql://postgres:<password>@127.0.0.1:<port>/postgres */
  url: string;
  /** Starts the server on the cluster (as the server user), with these extra arguments. */
  startServer: (extraArgs: string[]) => Service;
}

/** Where the server listens: loopback by default; the node profile adds its bridge for pods. */
export interface PostgresListen {
  /** The address clients dial (the URL's host). */
  host: string;
  /** Who may connect from beyond loopback, as a CIDR (pg_hba.conf). */
  clients?: string;
}

/** initdb into a new temporary directory named after `dirPrefix`, with a generated password and a free port. */
export async function initPostgresCluster(dirPrefix: string, listen: PostgresListen = { host: '127.0.0.1' }): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const user = serverUser();
  if (user) chownSync(dir, user.uid, user.gid);
  const password = randomBytes(16).toString('hex');
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, password);
  if (user) chownSync(pwfile, user.uid, user.gid);
  const data = join(dir, 'data');
  const asServerUser = (command: string, args: string[]): [string, string[]] =>
    user
      ? ['setpriv', [`--reuid=${String(user.uid)}`, `--regid=${String(user.gid)}`, '--clear-groups', command, ...args]]
      : [command, args];
  await runOrThrow(
    ...asServerUser(join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=scram-sha-256',
      `--pwfile=${pwfile}`,
      '-E',
      'UTF8',
      '--no-sync',
    ]),
  );
  if (listen.clients) appendFileSync(join(data, 'pg_hba.conf'), `host all all ${listen.clients} scram-sha-256\n`);
  const port = await freePort();
  const addresses = [...new Set(['127.0.0.1', listen.host])].join(',');
  return {
    dir,
    port,
    url: `postgresql://postgres:${password}@${listen.host}:${String(port)}/postgres`,
    startServer: (extraArgs) => {
      const [command, args] = asServerUser(join(bin, 'postgres'), [
        '-D',
        data,
        '-p',
        String(port),
        '-h',
        addresses,
        '-k',
        dir,
        ...extraArgs,
      ]);
      return startProcess({ name: 'postgres', command, args, logDir: dir });
    },
  };
}

/** Resolves once the server at `url` accepts connections; fails early when `service` exits. */
export async function waitForPostgres(url: string, service: Service): Promise<void> {
  await waitFor(
    'postgres',
    async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.end();
      return true;
    },
    { timeoutMs: 30_000, service },
  );
}

export async function startPostgres(listen?: PostgresListen): Promise<Postgres> {
  const cluster = await initPostgresCluster('perpetual-pg-', listen);
  // Test data only: trade durability for speed.
  const service = cluster.startServer(['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']);
  await waitForPostgres(cluster.url, service);
  return {
    url: cluster.url,
    stop: async () => {
      await service.stop();
      rmSync(cluster.dir, { recursive: true, force: true });
    },
  };
}
