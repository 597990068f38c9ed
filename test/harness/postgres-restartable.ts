// A private PostgreSQL that a test can stop and start again: same data directory, same port,
// same password, so clients reconnect to the same URL as they would after a real restart or
// failover. It shares initPostgresCluster with harness/postgres.ts (the one-shot server for the shared setup).
//
// Unlike that one it keeps synchronous_commit on: a test that stops the server and then checks
// that every acknowledged row survived must not lose commits the server had acknowledged but not
// yet written. fsync stays off: the server process stops, the machine does not.
import { rmSync } from 'node:fs';
import { initPostgresCluster, waitForPostgres } from './postgres.ts';
import type { Service } from './processes.ts';

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

export async function startRestartablePostgres(): Promise<RestartablePostgres> {
  const { dir, port, url, startServer } = await initPostgresCluster('perpetual-pg-restart-');
  let service: Service | undefined;

  const start = async (): Promise<void> => {
    if (service) return;
    // setpriv execs postgres in place, so this pid is the postmaster's and signals reach it.
    const started = startServer(['-c', 'fsync=off', '-c', 'full_page_writes=off']);
    service = started;
    await waitForPostgres(url, started);
  };

  const stop = async (mode: 'fast' | 'immediate' = 'fast'): Promise<void> => {
    const child = service?.process;
    service = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    // SIGTERM would be a "smart" shutdown, which waits for every client to disconnect (a pool
    // never does); SIGINT is fast shutdown, SIGQUIT immediate.
    const exited = new Promise<void>((resolve) =>
      child.once('exit', () => {
        resolve();
      }),
    );
    child.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    url,
    port,
    get running() {
      return service !== undefined;
    },
    stop,
    start,
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
