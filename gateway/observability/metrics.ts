// The gateway's Prometheus metrics: every name the deployment guide lists, plus what operators of
// a gateway need (overhead, in-flight requests, degraded dependencies). Labels are bounded: models
// outside the configured list are reported as "other", and per-user figures live in PostgreSQL.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface GatewayMetrics {
  registry: Registry;
  requests: Counter<'endpoint' | 'method' | 'status'>;
  requestDuration: Histogram<'endpoint'>;
  overhead: Histogram<'endpoint'>;
  tokens: Counter<'type' | 'model'>;
  retrievals: Counter<'result'>;
  retrievalDuration: Histogram;
  errors: Counter<'endpoint' | 'type'>;
  cost: Counter<'model'>;
  inFlight: Gauge<'model'>;
  /** Local mode: requests held while their ModelServer has no ready replica (scale from zero). */
  queued: Gauge<'model'>;
  queueWait: Histogram<'model'>;
  replicaFailovers: Counter<'model'>;
  /** Local mode: replica choices by model, policy (as ModelServer spec.routing spells it) and reason (routing/prefix-affinity.ts). */
  routingDecisions: Counter<'model' | 'policy' | 'reason'>;
  scaleUpRequests: Counter<'model_server'>;
  /** autoscaling.standby: wake-ups asked of sleeping replicas, by ModelServer and outcome (woken, failed). */
  replicaWakeups: Counter<'model_server' | 'outcome'>;
  rateLimited: Counter<'window'>;
  /** Money budgets (budget/): soft_limit once per budget and window, exceeded per refused request; by window. */
  budgetEvents: Counter<'event' | 'window'>;
  dependencyDegraded: Counter<'dependency'>;
  upstreamRetries: Counter<'provider'>;
  usagePending: Gauge;
  usageDropped: Counter;
  /** Streams only: from the request's arrival to the first chunk with text (observability/token-latency.ts). */
  timeToFirstToken: Histogram<'model' | 'endpoint'>;
  /** Streams only: between consecutive chunks with text. */
  interTokenLatency: Histogram<'model' | 'endpoint'>;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const QUEUE_WAIT_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
// A first token arrives in tens of milliseconds from a warm small model and in minutes after a
// scale from zero; later ones every few milliseconds (vLLM on a GPU) to a second (a busy provider).
const TTFT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 20, 30, 60, 120, 300];
const INTER_TOKEN_BUCKETS = [0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5];
const OVERHEAD_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25];

export function makeMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'perpetual_gateway_' });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'perpetual_requests_total',
      help: 'Requests by endpoint, method and status code.',
      labelNames: ['endpoint', 'method', 'status'],
      registers,
    }),
    requestDuration: new Histogram({
      name: 'perpetual_request_duration_seconds',
      help: 'Request latency, upstream included.',
      labelNames: ['endpoint'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    overhead: new Histogram({
      name: 'perpetual_overhead_seconds',
      help: 'Time the gateway itself added (request latency minus upstream time).',
      labelNames: ['endpoint'],
      buckets: OVERHEAD_BUCKETS,
      registers,
    }),
    tokens: new Counter({
      name: 'perpetual_tokens_total',
      help: 'Tokens by type (input, output) and model.',
      labelNames: ['type', 'model'],
      registers,
    }),
    retrievals: new Counter({
      name: 'perpetual_retrievals_total',
      help: 'Memory retrievals by result (hit, empty, timeout, error).',
      labelNames: ['result'],
      registers,
    }),
    retrievalDuration: new Histogram({
      name: 'perpetual_retrieval_duration_seconds',
      help: 'Memory retrieval latency (embedding and search).',
      buckets: OVERHEAD_BUCKETS.concat([0.5, 1]),
      registers,
    }),
    errors: new Counter({
      name: 'perpetual_errors_total',
      help: 'Errors returned, by endpoint and error type.',
      labelNames: ['endpoint', 'type'],
      registers,
    }),
    cost: new Counter({
      name: 'perpetual_cost_usd_total',
      help: 'Cost in USD by model (per-user cost is in usage_logs).',
      labelNames: ['model'],
      registers,
    }),
    inFlight: new Gauge({
      name: 'perpetual_inflight_requests',
      help: 'Chat and embedding requests being served upstream (held requests excluded), by model.',
      labelNames: ['model'],
      registers,
    }),
    // The operator's autoscaler scrapes these two from every gateway replica: demand that no
    // vLLM metric shows, because the requests have not reached any replica yet.
    queued: new Gauge({
      name: 'perpetual_queued_requests',
      help: "Requests held by the gateway because the model's ModelServer has no ready replica (scale from zero), by model.",
      labelNames: ['model'],
      registers,
    }),
    queueWait: new Histogram({
      name: 'perpetual_queue_wait_seconds',
      help: 'How long held requests waited for a ready replica before being served, by model.',
      labelNames: ['model'],
      buckets: QUEUE_WAIT_BUCKETS,
      registers,
    }),
    replicaFailovers: new Counter({
      name: 'perpetual_replica_failovers_total',
      help: 'Requests moved to another ModelServer replica after one failed before answering, by model.',
      labelNames: ['model'],
      registers,
    }),
    routingDecisions: new Counter({
      name: 'perpetual_routing_decisions_total',
      help: 'ModelServer replica choices by model, routing policy and reason (prefix_hit, least_load, session, saturated_fallback).',
      labelNames: ['model', 'policy', 'reason'],
      registers,
    }),
    scaleUpRequests: new Counter({
      name: 'perpetual_scale_from_zero_requests_total',
      help: 'Times the gateway asked for a first replica of a ModelServer with requests waiting, by ModelServer.',
      labelNames: ['model_server'],
      registers,
    }),
    replicaWakeups: new Counter({
      name: 'perpetual_replica_wakeups_total',
      help: 'Sleeping ModelServer replicas (autoscaling.standby) the gateway asked to wake for waiting requests, by ModelServer and outcome (woken, failed).',
      labelNames: ['model_server', 'outcome'],
      registers,
    }),
    rateLimited: new Counter({
      name: 'perpetual_rate_limited_total',
      help: 'Requests refused by a rate limit, by window.',
      labelNames: ['window'],
      registers,
    }),
    budgetEvents: new Counter({
      name: 'perpetual_budget_events_total',
      help: 'Money budget events: soft_limit (a budget passed its soft threshold, once per window) and exceeded (a request refused), by window.',
      labelNames: ['event', 'window'],
      registers,
    }),
    dependencyDegraded: new Counter({
      name: 'perpetual_dependency_degraded_total',
      help: 'Requests served without a dependency that was down (redis, database, vector_store).',
      labelNames: ['dependency'],
      registers,
    }),
    upstreamRetries: new Counter({
      name: 'perpetual_upstream_retries_total',
      help: 'Upstream calls retried before the first byte, by provider.',
      labelNames: ['provider'],
      registers,
    }),
    usagePending: new Gauge({ name: 'perpetual_usage_pending', help: 'Usage rows buffered and not yet written to PostgreSQL.', registers }),
    usageDropped: new Counter({
      name: 'perpetual_usage_dropped_total',
      help: 'Usage rows dropped because the buffer was full for too long.',
      registers,
    }),
    timeToFirstToken: new Histogram({
      name: 'perpetual_time_to_first_token_seconds',
      help: "Streamed answers: time from the request's arrival to the first chunk with text, by model and endpoint.",
      labelNames: ['model', 'endpoint'],
      buckets: TTFT_BUCKETS,
      registers,
    }),
    interTokenLatency: new Histogram({
      name: 'perpetual_inter_token_latency_seconds',
      help: 'Streamed answers: time between consecutive chunks with text, by model and endpoint.',
      labelNames: ['model', 'endpoint'],
      buckets: INTER_TOKEN_BUCKETS,
      registers,
    }),
  };
}

/** A model label that cannot grow without bound: configured names as-is, anything else "other". */
export function modelLabel(known: ReadonlySet<string>, model: string | undefined): string {
  return model && known.has(model) ? model : 'other';
}

/**
 * A metric's labelled children, each made once (by `make`) for its combination of label values and
 * reused: `metric.inc({ ... })` on the request path builds a label object, and `labels(...)` binds a
 * new child, on every call: garbage per request. Only for label values from a bounded set
 * (configured models, route patterns, methods, status codes): every combination seen is kept. Up
 * to three values (unused ones are ''), looked up in nested Maps, so a lookup allocates nothing.
 */
export function labelledChildren<Child>(make: (a: string, b: string, c: string) => Child): (a: string, b?: string, c?: string) => Child {
  const root = new Map<string, Map<string, Map<string, Child>>>();
  return (a, b = '', c = '') => {
    let byB = root.get(a);
    if (!byB) {
      byB = new Map();
      root.set(a, byB);
    }
    let byC = byB.get(b);
    if (!byC) {
      byC = new Map();
      byB.set(b, byC);
    }
    let child = byC.get(c);
    if (child === undefined) {
      child = make(a, b, c);
      byC.set(c, child);
    }
    return child;
  };
}
