// A private Redis on loopback: no persistence, a free port, a generated password.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis as RedisClient } from 'ioredis';
import { freePort, startProcess, waitFor, type Service } from './processes.ts';

export interface Redis {
  /** redis://:<password>@127.0.0.1:<port> */
  url: string;
  /**
   * Stops the server and starts a new one on the same port and password: with no persistence it
   * comes back empty (no keys, no cached scripts), as a restarted cache does. Clients reconnect.
   */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<Redis> {
  const dir = mkdtempSync(join(tmpdir(), 'perpetual-redis-'));
  const port = await freePort();
  const password = randomBytes(16).toString('hex');
  const url = `redis://:${password}@127.0.0.1:${port}`;
  const start = async (): Promise<Service> => {
    const service = startProcess({
      name: 'redis',
      command: 'redis-server',
      args: ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'no', '--requirepass', password],
      logDir: dir,
    });
    await waitFor(
      'redis',
      async () => {
        const client = new RedisClient(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        client.on('error', () => undefined); // refused connections while starting are expected; connect() reports them
        try {
          await client.connect();
          await client.ping();
          return true;
        } finally {
          client.disconnect();
        }
      },
      { timeoutMs: 20_000, service },
    );
    return service;
  };
  let service = await start();
  return {
    url,
    restart: async () => {
      await service.stop();
      service = await start();
    },
    stop: async () => {
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
