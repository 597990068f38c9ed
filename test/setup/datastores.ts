// Starts a private PostgreSQL, Redis and, where its binary is beside the repository, a real
// Qdrant server for the tests that need them.
import type { TestProject } from 'vitest/node';
import { startPostgres } from '../harness/postgres.ts';
import { startQdrantServer } from '../harness/qdrant.ts';
import { startRedis } from '../harness/redis.ts';
import './provided.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const [postgres, redis, qdrant] = await Promise.all([startPostgres(), startRedis(), startQdrantServer()]);
  console.log(
    `[harness] PostgreSQL, Redis${qdrant ? ' and the real Qdrant server' : ''} up in ${Date.now() - started} ms${qdrant ? '' : ' (no Qdrant server binary beside the repository: the contract suite runs against the emulator only)'}`,
  );
  project.provide('postgresUrl', postgres.url);
  project.provide('redisUrl', redis.url);
  project.provide('qdrantServer', qdrant ? { url: qdrant.url, apiKey: qdrant.apiKey } : undefined);
  return async () => {
    await Promise.all([postgres.stop(), redis.stop(), qdrant?.stop()]);
  };
}
