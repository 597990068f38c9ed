// GET /health: exactly the guide's fields (status, version, uptime_seconds, models_loaded,
// vector_db_connected) plus per-dependency detail. Checks run in parallel with a short timeout and
// are cached for a moment, so probes from many kubelets cannot turn into load on the databases.
import type { Request, Response } from 'express';

export interface DependencyCheck {
  name: 'database' | 'redis' | 'vector_store' | 'models';
  /** Resolves when healthy; rejects with a message safe to show (no secrets). */
  check(signal: AbortSignal): Promise<void>;
}

export interface DependencyState {
  ok: boolean;
  latency_ms: number;
  error?: string;
}

export interface HealthReport {
  status: 'healthy' | 'degraded' | 'draining';
  version: string;
  uptime_seconds: number;
  models_loaded: boolean;
  vector_db_connected: boolean;
  mode: string;
  dependencies: Partial<Record<DependencyCheck['name'], DependencyState>>;
}

const CHECK_TIMEOUT_MS = 1000;
const CACHE_MS = 2000;

async function runCheck(dep: DependencyCheck): Promise<DependencyState> {
  const started = performance.now();
  const signal = AbortSignal.timeout(CHECK_TIMEOUT_MS);
  try {
    await Promise.race([
      dep.check(signal),
      new Promise((_, reject) => {
        signal.addEventListener('abort', () => {
          reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`));
        });
      }),
    ]);
    return { ok: true, latency_ms: Math.round((performance.now() - started) * 10) / 10 };
  } catch (err) {
    return {
      ok: false,
      latency_ms: Math.round(performance.now() - started),
      error: err instanceof Error ? err.message.slice(0, 200) : 'unavailable',
    };
  }
}

export function healthRoute(options: {
  version: string;
  mode: string;
  startedAt: number;
  checks: DependencyCheck[];
  draining: () => boolean;
}) {
  let cached: { at: number; report: Promise<HealthReport> } | undefined;
  const build = async (): Promise<HealthReport> => {
    const states = await Promise.all(options.checks.map(async (dep) => [dep.name, await runCheck(dep)] as const));
    const dependencies = Object.fromEntries(states);
    return {
      status: states.every(([, s]) => s.ok) ? 'healthy' : 'degraded',
      version: options.version,
      uptime_seconds: Math.floor((Date.now() - options.startedAt) / 1000),
      models_loaded: options.mode === 'local' && dependencies.models?.ok === true,
      vector_db_connected: dependencies.vector_store?.ok === true,
      mode: options.mode,
      dependencies,
    };
  };
  return async (_req: Request, res: Response): Promise<void> => {
    const now = Date.now();
    if (!cached || now - cached.at > CACHE_MS) cached = { at: now, report: build() };
    const report = await cached.report;
    // A 503 while shutting down takes this replica out of the Service before it stops.
    if (options.draining()) {
      res.status(503).json({ ...report, status: 'draining' });
      return;
    }
    // 200 even when degraded: the gateway still serves (usage is buffered, limits fail open);
    // a 5xx here would make Kubernetes pull every replica out of the Service at once.
    res.json({ ...report, uptime_seconds: Math.floor((Date.now() - options.startedAt) / 1000) });
  };
}
