// Where a component's OpenTelemetry spans go: the same two settings for the gateway pods of a
// PerpetualDeployment (spec.observability.tracing) and the vLLM pods of a ModelServer
// (spec.tracing). Off unless set.
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
