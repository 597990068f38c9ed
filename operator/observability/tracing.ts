// OpenTelemetry traces for the operator, with the packages the gateway uses: off unless an OTLP
// endpoint (or OTEL_TRACES_EXPORTER=otlp) is set in its environment, as the OpenTelemetry
// specification has it. One span per reconcile, naming the object and how the reconcile ended, so
// a slow or failing reconcile can be found beside the API calls it made. Until startTracing
// registers a provider, the API hands out non-recording spans: an operator without tracing pays a
// function call per reconcile.
import { SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import type { TracesEnv } from '../api/v1alpha1/tracing.ts';
import { errorMessage } from '../utils.ts';

const tracer: Tracer = trace.getTracer('perpetual-operator');

/** The OTEL_* variables the operator reads. */
export interface TracingEnv extends TracesEnv {
  OTEL_TRACES_SAMPLER_ARG?: string | undefined;
  OTEL_SERVICE_NAME?: string | undefined;
}

/** The share of traces kept (OTEL_TRACES_SAMPLER_ARG, 0 to 1; all when unset). A wrong value is an error at start, naming the variable. */
export function samplerRatio(env: TracingEnv): number {
  const raw = env.OTEL_TRACES_SAMPLER_ARG;
  if (raw === undefined || raw.trim() === '') return 1;
  const ratio = Number(raw);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1)
    throw new Error(`OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1, got "${raw}"`);
  return ratio;
}

export interface Tracing {
  /** Sends every ended span now (tests). */
  flush(): Promise<void>;
  /** Sends every ended span now, then stops (shutdown). */
  shutdown(): Promise<void>;
}

/** Registers the SDK behind the global API: spans batched over OTLP/HTTP (JSON) to `url`, or to `exporter` in tests. */
export function startTracing(options: {
  serviceName: string;
  serviceVersion: string;
  url?: string;
  ratio?: number;
  exporter?: SpanExporter;
}): Tracing {
  const exporter = options.exporter ?? new OTLPTraceExporter(options.url ? { url: options.url } : {});
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName, 'service.version': options.serviceVersion }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.ratio ?? 1) }),
    spanProcessors: [new BatchSpanProcessor({ exporter })],
  });
  trace.setGlobalTracerProvider(provider);
  return {
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
    },
  };
}

/** How a reconcile ended, as the reconcile counter's `result` label says it. */
export type ReconcileOutcome = 'success' | 'requeue' | 'error';

/**
 * Runs one reconcile in a span named `reconcile <Kind>`, with the object (kind, namespace, name),
 * the controller and the outcome (`outcome` reads it from the result). A thrown error marks the
 * span failed with its message (reconcile errors name objects and fields, never secret values).
 */
export async function inReconcileSpan<T>(
  object: { controller: string; kind: string; namespace: string; name: string },
  outcome: (result: T) => ReconcileOutcome,
  reconcile: () => Promise<T>,
): Promise<T> {
  const span = tracer.startSpan(`reconcile ${object.kind}`, {
    attributes: {
      'perpetual.controller': object.controller,
      'k8s.resource.kind': object.kind,
      'k8s.namespace.name': object.namespace,
      'k8s.resource.name': object.name,
    },
  });
  try {
    const result = await reconcile();
    span.setAttribute('perpetual.reconcile.result', outcome(result));
    return result;
  } catch (err) {
    span.setAttribute('perpetual.reconcile.result', 'error');
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
    throw err;
  } finally {
    span.end();
  }
}
