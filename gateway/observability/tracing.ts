// OpenTelemetry traces: off unless an OTLP endpoint (or OTEL_TRACES_EXPORTER=otlp) is configured.
// Code everywhere asks the global API for `tracer`; until startTracing registers a provider the API
// hands out non-recording spans and runs callbacks in place, so a gateway without tracing pays a
// function call per span and nothing more. Spans carry what helps follow a request (routes,
// models, token counts, statuses), never prompt text, API keys or user content.
import { context, propagation, SpanStatusCode, trace, type Attributes, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';

export const tracer: Tracer = trace.getTracer('perpetual-gateway');

export interface Tracing {
  /** Sends every ended span now (tests; shutdown). */
  flush(): Promise<void>;
  /** Flushes, then puts the global API back to no-op. */
  shutdown(): Promise<void>;
}

/**
 * Registers the SDK behind the global API: spans batched to `exporter` (OTLP/HTTP JSON to `url` by
 * default), context kept across awaits by AsyncLocalStorage, W3C trace context read from requests
 * and written into upstream calls. A request is sampled as its incoming traceparent says, else at `ratio` (all by default).
 */
export function startTracing(options: {
  serviceName: string;
  serviceVersion: string;
  url?: string;
  exporter?: SpanExporter;
  /** Share of new traces kept (OTEL_TRACES_SAMPLER_ARG); a sampled incoming traceparent is always followed. */
  ratio?: number;
}): Tracing {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
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
      propagation.disable();
      context.disable();
    },
  };
}

/** Ends a span as failed, with the error's type and message (gateway errors never carry secrets or content). */
export function failSpan(span: Span, err: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  span.setAttribute('error.type', err instanceof Error ? ('code' in err && typeof err.code === 'string' ? err.code : err.name) : 'unknown');
}

/** Runs `fn` in a child span of the active one, ended when its promise settles. */
export async function inSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  options: SpanOptions = {},
): Promise<T> {
  const span = tracer.startSpan(name, { ...options, attributes });
  try {
    return await context.with(trace.setSpan(context.active(), span), () => fn(span));
  } catch (err) {
    failSpan(span, err);
    throw err;
  } finally {
    span.end();
  }
}
