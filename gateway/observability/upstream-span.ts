// The upstream call as an OpenTelemetry client span with the GenAI semantic conventions'
// attributes: which operation, which provider, which model, the tokens used and why generation
// stopped. Never the prompt, the answer or the provider key. Each attempt (a fallback model is
// another) is its own span, and the upstream request is made inside it, so the traceparent the
// transport sends names it (providers/transport/upstream-http.ts).
//
// The attribute names are spelled here rather than imported: the GenAI conventions live in the
// semantic-conventions package's unstable entry point, which may rename them in any release.
import { context, SpanKind, trace, type Span } from '@opentelemetry/api';
import type { Usage } from '../protocols/openai/types.ts';
import type { ProviderClient, ProviderTarget } from '../providers/provider-client.ts';
import { failSpan, tracer } from './tracing.ts';

/** gen_ai.operation.name of each kind of request. */
export type GenAiOperation = 'chat' | 'text_completion' | 'embeddings';

export interface UpstreamSpans {
  /** `call` with each of its attempts in a client span; the span of one that answered stays open until `finish`. */
  around<R>(
    call: (client: ProviderClient, target: ProviderTarget) => Promise<R>,
  ): (client: ProviderClient, target: ProviderTarget) => Promise<R>;
  /** Notes a streamed chunk's finish reasons (nothing when tracing is off). */
  chunk(chunk: unknown): void;
  /** Ends the span of the attempt that answered: the tokens it used and why it stopped, or the failure after its first byte. */
  finish(outcome: { usage?: Usage; result?: unknown; error?: unknown }): void;
}

function serverOf(baseURL: string): Record<string, string | number> {
  if (!URL.canParse(baseURL)) return {};
  const url = new URL(baseURL);
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  return { 'server.address': url.hostname, 'server.port': port };
}

/** finish_reason of every choice, in a result ({ response: { choices } }) or a chunk ({ choices }). */
export function finishReasonsOf(value: unknown): string[] {
  const holder = (value as { response?: unknown } | undefined)?.response ?? value;
  const choices = (holder as { choices?: unknown } | undefined)?.choices;
  if (!Array.isArray(choices)) return [];
  return choices.flatMap((choice: unknown) => {
    const reason = (choice as { finish_reason?: unknown } | undefined)?.finish_reason;
    return typeof reason === 'string' ? [reason] : [];
  });
}

export function upstreamSpans(operation: GenAiOperation, clientModel: string): UpstreamSpans {
  let open: Span | undefined;
  let reasons: string[] = [];
  return {
    around: (call) => async (client, target) => {
      const span = tracer.startSpan(`${operation} ${target.upstreamModel}`, { kind: SpanKind.CLIENT });
      // Tracing off (no SDK registered, no incoming trace): the span is a no-op with an invalid
      // context, so there is nothing to describe or to put in context. This runs on every
      // upstream call, where the attributes (a URL parse among them) were measurable under load.
      if (!trace.isSpanContextValid(span.spanContext())) return call(client, target);
      if (span.isRecording()) {
        const provider = target.providerName ?? target.kind;
        span.setAttributes({
          'gen_ai.operation.name': operation,
          'gen_ai.provider.name': provider,
          // The older name, which many backends still read.
          'gen_ai.system': provider,
          'gen_ai.request.model': target.upstreamModel,
          'perpetual.model': clientModel,
          ...serverOf(target.baseURL),
        });
      }
      try {
        const result = await context.with(trace.setSpan(context.active(), span), () => call(client, target));
        open = span;
        reasons = [];
        return result;
      } catch (err) {
        failSpan(span, err);
        span.end();
        throw err;
      }
    },
    chunk: (chunk) => {
      if (open?.isRecording()) reasons.push(...finishReasonsOf(chunk));
    },
    finish: ({ usage, result, error }) => {
      const span = open;
      if (!span) return;
      open = undefined;
      if (usage) {
        span.setAttribute('gen_ai.usage.input_tokens', usage.prompt_tokens);
        span.setAttribute('gen_ai.usage.output_tokens', usage.completion_tokens);
      }
      const finishReasons = result === undefined ? reasons : finishReasonsOf(result);
      if (finishReasons.length > 0) span.setAttribute('gen_ai.response.finish_reasons', finishReasons);
      if (error !== undefined) failSpan(span, error);
      span.end();
    },
  };
}
