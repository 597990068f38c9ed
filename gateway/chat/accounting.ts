// What a finished request leaves behind: one usage_logs row (buffered, written in batches), the
// token and cost counters, and a billing event when Polar is on. Called after the response is
// sent; never throws and never waits, so accounting cannot slow down or fail a request.
import type { ChatCompletionRequest } from '../protocols/openai/types.ts';
import type { UsageReport } from '../providers/provider-client.ts';
import type { Principal } from '../middleware/authenticate.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import { labelledChildren, modelLabel } from '../observability/metrics.ts';
import { storableUsage, type UsageRecord } from '../usage/usage-record.ts';
import type { Attempt } from './upstream-call.ts';
import type { ChatExtensions } from './validate-request.ts';

export interface RequestFacts {
  principal: Principal;
  /** The id the response carries (the caller's X-Request-Id when sane): stored, never a key. */
  requestId: string;
  /** The gateway's own id for the request (middleware/request-id.ts): the usage row's key. */
  serverRequestId: string;
  ext: ChatExtensions;
  body: Pick<ChatCompletionRequest, 'model'>;
  endpoint?: Endpoint;
  status: number;
  /** performance.now() when the request arrived. */
  startedAt: number;
  /** What memory did for this request (absent: nothing). */
  memory?: { calls: number; latencyMs: number | null; tokens: number };
}

export interface CompletedRequest extends RequestFacts {
  attempt: Attempt<unknown>;
  report: UsageReport;
  upstreamMs: number;
}

export interface FailedRequest extends RequestFacts {
  attempt?: Attempt<unknown>;
}

export interface Accounting {
  completed(request: CompletedRequest): void;
  failed(request: FailedRequest): void;
}

/** What the accounting does with a usage row of work done outside a request. */
export interface UnreservedUsage {
  /**
   * A row of work done after an answer (fact extraction's `memory.extract` calls): logged, and its
   * cost added to the budgets like an answer's, with no reservation to replace.
   */
  unreserved(row: UsageRecord): void;
}

export interface AccountingDeps {
  metrics: GatewayMetrics;
  knownModels: ReadonlySet<string>;
  /** USD for this many tokens of the model the client named. */
  cost: (model: string, tokens: { input: number; output: number; cachedInput?: number; cacheWrite?: number }) => number;
  /** Buffers the row for PostgreSQL (and Polar, when on). */
  record: (row: UsageRecord) => void;
  prefix: string;
  now?: () => Date;
  /**
   * Replaces the request's token reservation (held against its principal by the rate limiter)
   * by the tokens really used; absent when no tier limits tokens.
   */
  settleTokens?: (principal: Principal, usedTokens: number) => void;
  /** Replaces the request's money reservation (budget/) by its real cost in USD; absent when no budgets apply. */
  settleCost?: (principal: Principal, costUsd: number) => void;
  /** Adds the cost of a row nothing was reserved for to its user's (and key's) budgets; absent when no budgets apply. */
  chargeCost?: (row: UsageRecord) => void;
}

const ENDPOINT_PATHS = {
  chat: '/chat/completions',
  completions: '/completions',
  embeddings: '/embeddings',
  messages: '/messages',
  responses: '/responses',
} as const;

/** Which API a request came in through; usage rows name its path. */
export type Endpoint = keyof typeof ENDPOINT_PATHS;

/** The endpoint's path under the API prefix, as usage rows and metric labels name it. */
export function endpointPath(prefix: string, endpoint: Endpoint): string {
  return `${prefix}${ENDPOINT_PATHS[endpoint]}`;
}

export function makeAccounting(deps: AccountingDeps): Accounting & UnreservedUsage {
  const now = deps.now ?? ((): Date => new Date());
  // Model labels are bounded (configured names, else "other"): one child per model and type.
  const tokens = labelledChildren((type, model) => deps.metrics.tokens.labels({ type, model }));
  const cost = labelledChildren((model) => deps.metrics.cost.labels({ model }));
  // storableUsage: the model name and conversation id are the caller's text, and a NUL in either
  // would have PostgreSQL refuse the row (and Polar the event): an answered request left unlogged.
  const row = (
    request: RequestFacts,
    figures: { input: number; cachedInput?: number; output: number; costUsd: number; estimated: boolean; provider: string | undefined },
  ): UsageRecord =>
    storableUsage({
      requestId: request.serverRequestId,
      clientRequestId: request.requestId === '' ? null : request.requestId,
      userId: request.principal.userId,
      apiKeyId: request.principal.keyId ?? null,
      conversationId: request.ext.conversationId ?? null,
      timestamp: now(),
      inputTokens: figures.input,
      cachedInputTokens: figures.cachedInput ?? 0,
      outputTokens: figures.output,
      totalTokens: figures.input + figures.output,
      retrievalCalls: request.memory?.calls ?? 0,
      retrievalLatencyMs: request.memory?.latencyMs ?? null,
      costUsd: figures.costUsd,
      model: request.body.model,
      endpoint: endpointPath(deps.prefix, request.endpoint ?? 'chat'),
      statusCode: request.status,
      latencyMs: Math.round((performance.now() - request.startedAt) * 100) / 100,
      provider: figures.provider ?? 'none',
      usageEstimated: figures.estimated,
      memoryTokens: request.memory?.tokens ?? 0,
    });
  return {
    completed(request) {
      const { usage, usageEstimated } = request.report;
      const input = usage.prompt_tokens;
      const output = usage.completion_tokens;
      // prompt_tokens includes cache reads and (from Anthropic) cache writes, which the provider
      // bills at their own prices.
      const cachedInput = usage.prompt_tokens_details?.cached_tokens ?? 0;
      const written = usage.prompt_tokens_details?.cache_creation_tokens;
      const cacheWrite = typeof written === 'number' ? written : 0;
      const costUsd = deps.cost(request.attempt.model.name, { input, output, cachedInput, cacheWrite });
      const model = modelLabel(deps.knownModels, request.attempt.model.name);
      tokens('input', model).inc(input);
      tokens('output', model).inc(output);
      if (costUsd > 0) cost(model).inc(costUsd);
      deps.settleTokens?.(request.principal, input + output);
      deps.settleCost?.(request.principal, costUsd);
      deps.record(
        row(request, {
          input,
          cachedInput,
          output,
          costUsd,
          estimated: usageEstimated,
          provider: request.attempt.model.provider ?? 'local',
        }),
      );
    },
    failed(request) {
      // A failed request used no tokens the caller pays for: its whole reservation is returned.
      deps.settleTokens?.(request.principal, 0);
      deps.settleCost?.(request.principal, 0);
      deps.record(row(request, { input: 0, output: 0, costUsd: 0, estimated: false, provider: request.attempt?.model.provider }));
    },
    unreserved(usage) {
      deps.chargeCost?.(usage);
      deps.record(usage);
    },
  };
}
