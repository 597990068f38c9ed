// Builds local-mode routing from the configuration: one replica pool per ModelServer named by the
// routes, the resolver (cluster DNS, or ENDPOINT_MAP_FILE in tests), the health probe, the scale
// trigger, and the metrics the autoscaler reads. Nothing is built when no route names a ModelServer.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import { DnsEndpointResolver } from './dns-endpoint-resolver.ts';
import type { EndpointResolver, ModelServerRef } from './endpoint-resolver.ts';
import { FileEndpointResolver } from './file-endpoint-resolver.ts';
import { httpProbe } from './health-probe.ts';
import { httpLoadProbe } from './replica-load.ts';
import { ReplicaPool, type PoolHooks } from './replica-pool.ts';
import { ReplicaRouter } from './replica-router.ts';
import { SPEC_POLICY_NAMES } from './routing-policy.ts';
import { lazyScaleTrigger, logScaleTrigger, type ScaleTrigger } from './scale-trigger.ts';
import { httpSleepControl } from './sleep-control.ts';

const START_WAIT_MS = 3000;

export interface Routing {
  router: ReplicaRouter;
  /** Starts polling and loads the Kubernetes client (when it will be needed) before traffic. */
  start(): Promise<void>;
  /** Shutdown began: held requests get a 503 at once and no new one is held; replicas still serve. */
  stopHolding(): void;
  /** Stops polling; held requests get a 503 at once. */
  close(): void;
}

/** The ModelServers the routes name, each once (several model names may share one). */
export function modelServersOf(config: Pick<GatewayConfig, 'models'>): ModelServerRef[] {
  const servers = new Map<string, ModelServerRef>();
  for (const route of config.models) {
    if (route.modelServer && !servers.has(route.modelServer))
      servers.set(route.modelServer, {
        name: route.modelServer,
        endpoint: route.endpoint,
        replicasHost: route.replicasHost,
        ...(route.standby ? { standby: true } : {}),
      });
  }
  return [...servers.values()];
}

function resolverFor(config: GatewayConfig, log: Logger): EndpointResolver {
  const path = config.routing.endpointMapFile;
  if (!path) return new DnsEndpointResolver();
  log.warn({ path }, 'ENDPOINT_MAP_FILE is set: ModelServer replicas come from a test file, not from cluster DNS');
  return new FileEndpointResolver({
    path,
    refuse: (entry) => {
      log.error({ entry }, 'ENDPOINT_MAP_FILE lists a non-loopback address; refused');
    },
  });
}

function triggerFor(config: GatewayConfig, log: Logger): ScaleTrigger & { warm?: () => Promise<void> } {
  const settings = config.routing.scaleFromZero;
  if (settings.trigger === 'log') return logScaleTrigger(log);
  return lazyScaleTrigger(async () => {
    const kube = await import('./kube-scale-trigger.ts');
    const kubeConfig = kube.kubeConfigFromEnvironment(settings.kubeconfig);
    return new kube.KubeScaleTrigger({ kubeConfig, namespace: kube.namespaceFromEnvironment(settings.namespace, kubeConfig), log });
  }, log);
}

function hooksFor(metrics: GatewayMetrics): PoolHooks {
  return {
    held: (model, delta) => {
      metrics.queued.inc({ model }, delta);
    },
    waited: (model, ms) => {
      metrics.queueWait.observe({ model }, ms / 1000);
    },
    scaleRequested: (modelServer) => {
      metrics.scaleUpRequests.inc({ model_server: modelServer });
    },
    decided: (model, policy, reason) => {
      metrics.routingDecisions.inc({ model, policy: SPEC_POLICY_NAMES[policy], reason });
    },
    woke: (modelServer, outcome) => {
      metrics.replicaWakeups.inc({ model_server: modelServer, outcome });
    },
  };
}

export function createRouting(options: { config: GatewayConfig; metrics: GatewayMetrics; log: Logger }): Routing | undefined {
  const { config, metrics } = options;
  const servers = modelServersOf(config);
  if (servers.length === 0) return undefined;
  const log = options.log.child({ component: 'routing' });
  const settings = config.routing;
  const resolver = resolverFor(config, log);
  const probe = httpProbe(settings.health.path, settings.health.timeoutMs);
  // vLLM serves its metrics on the API port; the queue and KV cache they report are every client's.
  const loadProbe = httpLoadProbe('/metrics', settings.health.timeoutMs);
  const trigger = triggerFor(config, log);
  // A wake-up lasts as long as reloading the weights may: as long as a request may be held.
  const sleepControl = httpSleepControl(settings.health.timeoutMs, settings.scaleFromZero.timeoutMs);
  const hooks = hooksFor(metrics);
  const poolSettings = {
    healthIntervalMs: settings.health.intervalMs,
    unhealthyMs: settings.unhealthyMs,
    holdTimeoutMs: settings.scaleFromZero.timeoutMs,
    queueMax: settings.scaleFromZero.queueMax,
    loadFactor: settings.affinityLoadFactor,
  };
  const pools = new Map(
    servers.map((server) => [
      server.name,
      new ReplicaPool({
        server,
        resolver,
        probe,
        loadProbe,
        trigger,
        sleep: server.standby ? sleepControl : undefined,
        settings: poolSettings,
        log,
        hooks,
      }),
    ]),
  );
  const router = new ReplicaRouter({
    pools,
    settings: { policy: settings.policy, maxAttempts: settings.maxAttempts },
    log,
    onFailover: (model) => {
      metrics.replicaFailovers.inc({ model });
    },
  });
  // Zero, not absent, before the first request: the autoscaler reads "nothing waiting" as a value.
  for (const route of config.models) {
    if (route.modelServer) {
      metrics.queued.set({ model: route.name }, 0);
      metrics.inFlight.set({ model: route.name }, 0);
    }
  }
  return {
    router,
    start: async () => {
      router.start();
      // The first discovery round, so the first requests find ready replicas instead of waiting
      // for one; bounded, because a slow DNS must not keep the gateway from starting.
      const firstRound = Promise.all([trigger.warm?.(), ...[...pools.values()].map((pool) => pool.refresh())]);
      await Promise.race([firstRound, sleep(START_WAIT_MS, undefined, { ref: false })]);
    },
    stopHolding: () => {
      router.stopHolding();
    },
    close: () => {
      router.close();
    },
  };
}
