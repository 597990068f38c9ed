// The operator's own Prometheus metrics. Labels are bounded: controller, kind, verb, result, phase.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface OperatorMetrics {
  registry: Registry;
  reconciles: Counter<'controller' | 'result'>;
  reconcileErrors: Counter<'controller'>;
  reconcileDuration: Histogram<'controller'>;
  queueDepth: Gauge<'controller'>;
  writes: Counter<'verb' | 'kind'>;
  objectsByPhase: Gauge<'kind' | 'phase'>;
  isLeader: Gauge;
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
    objectsByPhase: new Gauge({
      name: 'perpetual_operator_objects',
      help: 'Custom resources by kind and phase.',
      labelNames: ['kind', 'phase'],
      registers,
    }),
    isLeader: new Gauge({
      name: 'perpetual_operator_leader',
      help: '1 while this replica holds the leader lease.',
      registers,
    }),
  };
}
