// The dependency checks behind /health. Each answers with a short, secret-free reason.
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { GatewayConfig } from '../config.ts';
import type { ModelServerState } from '../routing/replica-router.ts';
import type { DependencyCheck } from './health.ts';

function reason(err: unknown, what: string): Error {
  const code = (err as { code?: unknown } | undefined)?.code;
  return new Error(`${what} unreachable${typeof code === 'string' ? ` (${code})` : ''}`);
}

/** What stops each ModelServer from serving now, if anything: its pool's latest view, no request made. */
export function modelServerProblems(servers: readonly ModelServerState[]): string[] {
  return servers.flatMap(({ name, snapshot }) => {
    if (snapshot.state === 'absent') return [`ModelServer ${name} not found`];
    const total = snapshot.replicas.length;
    if (snapshot.eligible > 0) return [];
    const asleep = snapshot.replicas.filter((r) => r.ready && r.asleep).length;
    if (asleep > 0)
      return [
        `ModelServer ${name}: ${String(asleep)} ${asleep === 1 ? 'replica' : 'replicas'} asleep (standby: the next request wakes it)`,
      ];
    return [
      total === 0
        ? `ModelServer ${name} has no replica (scaled to zero, or starting)`
        : `ModelServer ${name}: none of ${String(total)} replicas ready`,
    ];
  });
}

/**
 * Every local model: a ModelServer's from its replica pool (which probes its replicas anyway), a
 * plain endpoint's by asking it for /models.
 */
function modelsCheck(config: GatewayConfig, modelServers: (() => readonly ModelServerState[]) | undefined): DependencyCheck {
  const endpoints = [
    ...new Map(
      config.models.filter((m) => m.endpoint && !(modelServers && m.modelServer)).map((m) => [m.endpoint ?? '', m.name]),
    ).entries(),
  ];
  return {
    name: 'models',
    check: async (signal) => {
      const problems = modelServerProblems(modelServers?.() ?? []);
      await Promise.all(
        endpoints.map(async ([endpoint, model]) => {
          const res = await fetch(`${endpoint.replace(/\/+$/, '')}/models`, { signal }).catch((err: unknown) => {
            throw reason(err, `Model server for ${model}`);
          });
          if (!res.ok) throw new Error(`Model server for ${model} answered ${String(res.status)}`);
        }),
      ).catch((err: unknown) => {
        problems.push(err instanceof Error ? err.message : String(err));
      });
      if (problems.length > 0) throw new Error(problems.join('; '));
    },
  };
}

export function dependencyChecks(options: {
  config: GatewayConfig;
  pool: pg.Pool;
  redis: Redis;
  vectorStore?: { health(options: { signal: AbortSignal }): Promise<void> };
  /** Local mode: the ModelServers' replica pools, read for the models check. */
  modelServers?: () => readonly ModelServerState[];
}): DependencyCheck[] {
  const { config, pool, redis, vectorStore } = options;
  const checks: DependencyCheck[] = [
    {
      name: 'database',
      check: async () => {
        await pool.query('SELECT 1').catch((err: unknown) => {
          throw reason(err, 'PostgreSQL');
        });
      },
    },
    {
      name: 'redis',
      check: async () => {
        if (redis.status !== 'ready') throw new Error(`Redis ${redis.status}`);
        await redis.ping().catch((err: unknown) => {
          throw reason(err, 'Redis');
        });
      },
    },
  ];
  if (vectorStore) checks.push({ name: 'vector_store', check: (signal) => vectorStore.health({ signal }) });
  if (config.mode === 'local') checks.push(modelsCheck(config, options.modelServers));
  return checks;
}
