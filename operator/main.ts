// The operator process: config → logger, metrics, HTTP endpoints → leader election → manager.
// Exits on lost leadership (a restart re-joins as a candidate, as client-go operators do).
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { endpointMapResolver, podAddressResolver, type EndpointResolver } from './autoscaler/endpoints.ts';
import { loadConfig, OPERATOR_VERSION, type OperatorConfig } from './config.ts';
import { connect } from './kube/client.ts';
import { LeaderElector } from './kube/leader-election.ts';
import { startManager, type Manager } from './manager.ts';
import { startHttpServer } from './observability/http-server.ts';
import { makeLogger } from './observability/logger.ts';
import { makeMetrics } from './observability/metrics.ts';
import { tracesUrl } from './api/v1alpha1/tracing.ts';
import { samplerRatio, startTracing } from './observability/tracing.ts';
import { errorMessage } from './utils.ts';

/** Pod IPs in production; the loopback map when a test names one (simulated pods cannot be dialled). */
function endpointResolver(config: OperatorConfig, log: Logger): EndpointResolver {
  const path = config.autoscaler.endpointMapFile;
  if (!path) return podAddressResolver();
  log.warn({ path }, 'Reading pod metrics through ENDPOINT_MAP_FILE (tests only): loopback addresses, not pod IPs');
  let lastError = '';
  return endpointMapResolver(path, (message) => {
    // Once per distinct problem, not once per interval.
    if (message !== lastError) log.warn(message);
    lastError = message;
  });
}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = makeLogger(config.logLevel);
  const metrics = makeMetrics();
  const kube = connect(config.kubeconfig);
  // Off unless OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT, or OTEL_TRACES_EXPORTER=otlp) is set.
  const url = tracesUrl(process.env);
  const tracing = url
    ? startTracing({
        serviceName: process.env.OTEL_SERVICE_NAME || 'perpetual-operator',
        serviceVersion: OPERATOR_VERSION,
        url,
        ratio: samplerRatio(process.env),
      })
    : undefined;
  if (url) log.info({ url }, 'Tracing on: one span per reconcile, over OTLP/HTTP');
  const state = { ready: false };
  const server = await startHttpServer(config.http.host, config.http.port, state, metrics.registry);
  log.info({ address: server.address() as AddressInfo, concurrency: config.concurrency }, 'Operator starting');

  const elector = config.leaderElection.enabled ? new LeaderElector(kube.coordination, config.leaderElection, log) : undefined;
  const running: { manager?: Manager } = {};
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    state.ready = false;
    log.info({ signal }, 'Shutting down');
    await running.manager?.stop();
    await elector?.release();
    await tracing?.shutdown().catch((err: unknown) => {
      log.warn({ err: errorMessage(err) }, 'Spans not flushed at shutdown');
    });
    server.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  state.ready = true; // a standby replica is healthy too
  if (elector) {
    await elector.acquire();
    metrics.isLeader.set(1);
    void elector.holdUntilLost().then(() => {
      if (stopping) return;
      log.error('Lost the leader lease; exiting so that a restart re-joins the election');
      process.exit(1);
    });
  }
  running.manager = await startManager({ config, kube, log, metrics, resolver: endpointResolver(config, log) });
  log.info('Operator running');
}

main().catch((err: unknown) => {
  console.error(JSON.stringify({ level: 'fatal', msg: 'Operator failed to start', err: errorMessage(err) }));
  process.exit(1);
});
