// Time to first token and inter-token latency of streamed answers, as a client of the gateway
// sees them: the first token is timed from the request's arrival (auth, limits, memory, routing
// and a scale-from-zero wait included), each next one from the token before it. A "token" is a
// chunk that carries text: role-only and usage chunks are not generation, and counting them would
// make a model that announces its role at once look fast.
import type { Histogram } from 'prom-client';
import { modelLabel, type GatewayMetrics } from './metrics.ts';

/** Told of each chunk of one stream that carries text. */
export interface TokenClock {
  token(): void;
}

type Labels = { model: string; endpoint: string };

/**
 * A clock for one stream that started at `startedAt` (performance.now()). The histograms' labelled
 * children are bound once per stream, so a chunk costs one observation and no label lookup.
 */
export function startTokenClock(
  metrics: Pick<GatewayMetrics, 'timeToFirstToken' | 'interTokenLatency'>,
  labels: Labels,
  startedAt: number,
): TokenClock {
  const first = metrics.timeToFirstToken.labels(labels);
  let between: ReturnType<Histogram<'model' | 'endpoint'>['labels']> | undefined;
  let last: number | undefined;
  return {
    token: () => {
      const now = performance.now();
      if (last === undefined) first.observe((now - startedAt) / 1000);
      else (between ??= metrics.interTokenLatency.labels(labels)).observe((now - last) / 1000);
      last = now;
    },
  };
}

/** Starts a clock per stream; `model` is the configured name that answers, `endpoint` its path (labels of bounded size). */
export type TokenClocks = (model: string, endpoint: string, startedAt: number) => TokenClock;

export function tokenClocks(
  metrics: Pick<GatewayMetrics, 'timeToFirstToken' | 'interTokenLatency'>,
  knownModels: ReadonlySet<string>,
): TokenClocks {
  return (model, endpoint, startedAt) => startTokenClock(metrics, { model: modelLabel(knownModels, model), endpoint }, startedAt);
}
