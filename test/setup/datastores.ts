// Starts a private PostgreSQL and Redis for the tests that need them.
import type { TestProject } from 'vitest/node';
import { startPostgres } from '../harness/postgres.ts';
import { startRedis } from '../harness/redis.ts';
import './provided.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  console.log(`[harness] PostgreSQL and Redis up in ${Date.now() - started} ms`);
  project.provide('postgresUrl', postgres.url);
  project.provide('redisUrl', redis.url);
  return async () => {
    await Promise.all([postgres.stop(), redis.stop()]);
  };
}
