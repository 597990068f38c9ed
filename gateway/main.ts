// The gateway process. Commands:
//   serve     the OpenAI-compatible API (default)
//   migrate   apply database migrations (the operator's Job runs this; needs only DATABASE_URL)
//   reencrypt re-encrypt every stored provider key under the first API_KEY_ENCRYPTION_KEY key,
//             the last step of a key rotation
// SIGTERM drains: /health turns 503, new connections are refused, requests held for a model
// replica get a 503 to retry elsewhere, in-flight requests finish (up to SHUTDOWN_GRACE_MS), then
// usage, billing and last-used buffers are flushed.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ConfigError, loadConfig } from './config.ts';
import { readVariables } from './config/read-env.ts';
import { KeyRing, KeyRingConfigError } from './crypto/key-ring.ts';
import { migrate } from './db/migrate.ts';
import { createPool } from './db/pool.ts';
import { reencryptProviderKeys } from './db/reencrypt.ts';
import { buildGateway } from './deps.ts';
import { makeLogger } from './observability/logger.ts';
import { tuneHeapForServing } from './observability/heap-tuning.ts';
import { makeMetrics } from './observability/metrics.ts';
import { tracesUrl } from '../operator/api/v1alpha1/tracing.ts';
import { startTracing } from './observability/tracing.ts';
import { createApp } from './server.ts';

async function runMigrate(log: Logger): Promise<void> {
  const env = readVariables(process.env, { required: ['DATABASE_URL'] });
  const result = await migrate(env.DATABASE_URL, log);
  log.info(
    { applied: result.applied.map((m) => m.name), version: result.version },
    result.applied.length > 0 ? 'Migrations applied' : 'Database already up to date',
  );
}

async function runReencrypt(log: Logger): Promise<void> {
  const env = readVariables(process.env, { required: ['DATABASE_URL', 'API_KEY_ENCRYPTION_KEY'] });
  const keyRing = KeyRing.fromEnv(env.API_KEY_ENCRYPTION_KEY);
  const pool = createPool({ connectionString: env.DATABASE_URL, applicationName: 'perpetual-reencrypt' });
  try {
    const result = await reencryptProviderKeys(pool, keyRing);
    log.info(result, 'Provider keys re-encrypted under the primary key; the old keys can now be removed from API_KEY_ENCRYPTION_KEY');
  } finally {
    await pool.end();
  }
}

/** Resolves once every in-flight request has finished, or the grace period is over. */
async function drain(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  // Keep-alive connections go idle as their last response ends; close them as they do.
  const idle = setInterval(() => {
    server.closeIdleConnections();
  }, 100);
  const timer = setTimeout(() => {
    server.closeAllConnections();
  }, graceMs);
  await closed;
  clearInterval(idle);
  clearTimeout(timer);
}

async function runServe(log: Logger): Promise<void> {
  tuneHeapForServing();
  const config = loadConfig();
  const logger = log.child({}, { level: config.logLevel });
  const metrics = makeMetrics();
  const otel = readVariables(process.env, {
    optional: [
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
      'OTEL_TRACES_EXPORTER',
      'OTEL_SERVICE_NAME',
      'OTEL_TRACES_SAMPLER_ARG',
    ],
  });
  const url = tracesUrl(otel);
  const tracing =
    url === undefined
      ? undefined
      : startTracing({
          serviceName: otel.OTEL_SERVICE_NAME,
          serviceVersion: config.version,
          url,
          ...(otel.OTEL_TRACES_SAMPLER_ARG === undefined ? {} : { ratio: otel.OTEL_TRACES_SAMPLER_ARG }),
        });
  if (tracing) logger.info({ collector: new URL(url ?? '').host }, 'Tracing on: spans exported over OTLP/HTTP');
  let draining = false;
  const gateway = buildGateway(config, logger, metrics, () => draining);
  await gateway.start();
  const server = createServer(createApp({ ...gateway.deps, tracing: tracing !== undefined }));
  // Streams can be long; the defaults would cut them. Idle keep-alive sockets still time out.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  logger.info(
    { address: server.address() as AddressInfo, mode: config.mode, prefix: config.prefix, models: config.models.length },
    'Gateway listening',
  );

  const shutdown = async (signal: string): Promise<void> => {
    if (draining) return;
    draining = true;
    logger.info({ signal }, 'Draining: finishing in-flight requests, then flushing buffers');
    gateway.stopHolding();
    // One budget for the whole shutdown, so it ends before Kubernetes' grace period does.
    const grace = config.limits.shutdownGraceMs;
    const deadline = Date.now() + grace;
    const force = setTimeout(() => {
      logger.error('Shutdown took longer than SHUTDOWN_GRACE_MS; exiting with work unfinished');
      process.exit(1);
    }, grace + 2000);
    force.unref();
    await drain(server, grace);
    logger.info('Requests drained; flushing buffers');
    await gateway.close(Math.max(1000, deadline - Date.now()));
    // The last spans (this shutdown's requests) go out before the process does; a collector that
    // does not answer is not worth a hung shutdown.
    await Promise.race([tracing?.shutdown(), new Promise((resolve) => setTimeout(resolve, 2000).unref())]).catch(() => undefined);
    logger.info('Gateway stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

const COMMANDS: Record<string, (log: Logger) => Promise<void>> = { serve: runServe, migrate: runMigrate, reencrypt: runReencrypt };

async function main(): Promise<void> {
  const command = process.argv[2] ?? 'serve';
  // Each command reads the variables it needs (serve: all of them, in loadConfig).
  const log = makeLogger(readVariables(process.env, { optional: ['LOG_LEVEL'] }).LOG_LEVEL ?? 'info');
  const run = COMMANDS[command];
  if (!run) throw new ConfigError(`Unknown command "${command}": use serve, migrate or reencrypt.`);
  await run(log);
  if (command !== 'serve') process.exit(0);
}

main().catch((err: unknown) => {
  const known = err instanceof ConfigError || err instanceof KeyRingConfigError;
  const message = err instanceof Error ? err.message : String(err);
  // Configuration mistakes get one clear line; anything else is a crash worth a stack in the logs.
  console.error(JSON.stringify({ level: 'fatal', msg: known ? `Invalid configuration: ${message}` : `Gateway failed: ${message}` }));
  process.exit(known ? 2 : 1);
});
