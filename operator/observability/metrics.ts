// The operator's own Prometheus metrics. Labels are bounded: controller, kind, verb, result, phase,
// source; the per-object gauges (desired replicas, conditions) are labelled by the object's
// namespace and name, as kube-state-metrics labels its per-object series, and dropped when the
// object goes. The operator's ServiceMonitor honours these labels (honorLabels), as
// kube-state-metrics' does, so `namespace` stays the object's and is not renamed exported_namespace.
import type { ConditionLabel } from './condition-series.ts';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface OperatorMetrics {
  registry: Registry;
  reconciles: Counter<'controller' | 'result'>;
  reconcileErrors: Counter<'controller'>;
  reconcileDuration: Histogram<'controller'>;
  queueDepth: Gauge<'controller'>;
  writes: Counter<'verb' | 'kind'>;
  informerLists: Counter<'kind'>;
  objectsByPhase: Gauge<'kind' | 'phase'>;
  conditions: Gauge<ConditionLabel>;
  isLeader: Gauge;
  autoscalerDecisions: Counter<'result'>;
  autoscalerDesiredReplicas: Gauge<'namespace' | 'modelserver'>;
  autoscalerScrapeErrors: Counter<'source'>;
  autoscalerIntervalDuration: Histogram;
}

export function makeMetrics(): OperatorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'perpetual_operator_' });
  const registers = [registry];
  return {
    registry,
    reconciles: new Counter({
      name: 'perpetual_operator_reconcile_total',
      help: 'Reconciles by controller and result (success, requeue, error, terminal).',
      labelNames: ['controller', 'result'],
      registers,
    }),
    reconcileErrors: new Counter({
      name: 'perpetual_operator_reconcile_errors_total',
      help: 'Reconciles that failed and were retried with backoff.',
      labelNames: ['controller'],
      registers,
    }),
    reconcileDuration: new Histogram({
      name: 'perpetual_operator_reconcile_duration_seconds',
      help: 'Time spent in one reconcile.',
      labelNames: ['controller'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    queueDepth: new Gauge({
      name: 'perpetual_operator_workqueue_depth',
      help: 'Keys waiting in the work queue.',
      labelNames: ['controller'],
      registers,
    }),
    writes: new Counter({
      name: 'perpetual_operator_api_writes_total',
      help: 'Write requests sent to the API server, by verb and kind. Zero at steady state.',
      labelNames: ['verb', 'kind'],
      registers,
    }),
    informerLists: new Counter({
      name: 'perpetual_operator_informer_lists_total',
      help: 'Full lists by informer kind: one at start, one more after every 410 Gone (a watch that fell too far behind relists).',
      labelNames: ['kind'],
      registers,
    }),
    objectsByPhase: new Gauge({
      name: 'perpetual_operator_objects',
      help: 'Custom resources by kind and phase.',
      labelNames: ['kind', 'phase'],
      registers,
    }),
    conditions: new Gauge({
      name: 'perpetual_operator_condition',
      help: 'Each current condition of every PerpetualDeployment and ModelServer (1), by kind, namespace, name, type, reason and status.',
      labelNames: ['kind', 'namespace', 'name', 'type', 'reason', 'status'],
      registers,
    }),
    isLeader: new Gauge({
      name: 'perpetual_operator_leader',
      help: '1 while this replica holds the leader lease.',
      registers,
    }),
    autoscalerDecisions: new Counter({
      name: 'perpetual_operator_autoscaler_decisions_total',
      help: 'Built-in autoscaler decisions by result (scale_up, scale_down, unchanged, metrics_unavailable, write_failed).',
      labelNames: ['result'],
      registers,
    }),
    autoscalerDesiredReplicas: new Gauge({
      name: 'perpetual_operator_autoscaler_desired_replicas',
      help: 'Replicas the built-in autoscaler wants for a ModelServer.',
      labelNames: ['namespace', 'modelserver'],
      registers,
    }),
    autoscalerScrapeErrors: new Counter({
      name: 'perpetual_operator_autoscaler_scrape_errors_total',
      help: 'Metrics reads that failed, by source (replica: vLLM /metrics, gateway: /prometheus), including pods with no address.',
      labelNames: ['source'],
      registers,
    }),
    autoscalerIntervalDuration: new Histogram({
      name: 'perpetual_operator_autoscaler_interval_duration_seconds',
      help: 'Time one autoscaler interval took: reading every pod, deciding and writing the scales.',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
  };
}
