// The dependency checks behind /health. Each answers with a short, secret-free reason.
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { GatewayConfig } from '../config.ts';
import type { DependencyCheck } from './health.ts';

function reason(err: unknown, what: string): Error {
  const code = (err as { code?: unknown } | undefined)?.code;
  return new Error(`${what} unreachable${typeof code === 'string' ? ` (${code})` : ''}`);
}

export function dependencyChecks(options: { config: GatewayConfig; pool: pg.Pool; redis: Redis; vectorStore?: { health(options: { signal: AbortSignal }): Promise<void> } }): DependencyCheck[] {
  const { config, pool, redis, vectorStore } = options;
  const checks: DependencyCheck[] = [
    { name: 'database', check: async () => { await pool.query('SELECT 1').catch((err: unknown) => { throw reason(err, 'PostgreSQL'); }); } },
    {
      name: 'redis',
      check: async () => {
        if (redis.status !== 'ready') throw new Error(`Redis ${redis.status}`);
        await redis.ping().catch((err: unknown) => { throw reason(err, 'Redis'); });
      },
    },
  ];
  if (vectorStore) checks.push({ name: 'vector_store', check: (signal) => vectorStore.health({ signal }) });
  const local = config.models.find((m) => m.endpoint);
  if (config.mode === 'local' && local?.endpoint) {
    const endpoint = local.endpoint;
    checks.push({
      name: 'models',
      check: async (signal) => {
        const res = await fetch(`${endpoint.replace(/\/+$/, '')}/models`, { signal }).catch((err: unknown) => { throw reason(err, `Model server for ${local.name}`); });
        if (!res.ok) throw new Error(`Model server for ${local.name} answered ${res.status}`);
      },
    });
  }
  return checks;
}
