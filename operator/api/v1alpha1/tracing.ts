// Where a component's OpenTelemetry spans go: the same two settings for the gateway pods of a
// PerpetualDeployment (spec.observability.tracing) and the vLLM pods of a ModelServer
// (spec.tracing). Off unless set. Also how those settings become a traces URL: the one rule the
// operator applies for vLLM and that the operator and the gateway apply to their own environment.
import Type from 'typebox';

/** `pods` names whose spans these are; `how` says what the operator sets from them. */
export function tracingSettings(pods: string, how: string) {
  return Type.Object(
    {
      endpoint: Type.String({
        description: `OTLP/HTTP collector base URL, e.g. http://otel-collector.monitoring:4318: the ${pods} send spans to <endpoint>/v1/traces. Their NetworkPolicy egress must allow it.`,
        pattern: '^https?://.+',
        maxLength: 2048,
      }),
      samplerRatio: Type.Optional(
        Type.Number({
          description:
            "Share of new traces kept, 0 to 1 (all when unset); a request whose caller's traceparent is sampled is always followed (OTEL_TRACES_SAMPLER_ARG).",
          minimum: 0,
          maximum: 1,
        }),
      ),
    },
    { description: `OpenTelemetry traces of the ${pods}: off unless set. ${how}` },
  );
}

/** The OTLP/HTTP traces URL under a collector base URL: `<endpoint>/v1/traces`, as the OpenTelemetry specification appends it. */
export function tracesUrlUnder(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/** The OTEL_* variables that say where a TypeScript component's spans go (the operator's own, and the gateway's, set from the spec above). */
export interface TracesEnv {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
  OTEL_TRACES_EXPORTER?: string | undefined;
}

/** Where spans go, or undefined when tracing is off. The defaults are the OpenTelemetry specification's. */
export function tracesUrl(env: TracesEnv): string | undefined {
  if (env.OTEL_TRACES_EXPORTER === 'none') return undefined;
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) return tracesUrlUnder(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  return env.OTEL_TRACES_EXPORTER === 'otlp' ? 'http://localhost:4318/v1/traces' : undefined;
}
