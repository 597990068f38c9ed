// One row of usage_logs: every column of the deployment guide's table (in camelCase), plus the
// gateway's own columns (migration 003): request_id, provider, usage_estimated, memory_tokens.
// The same value feeds the Postgres batch writer and the Polar billing event, so the two can
// never disagree about what a request cost. The row's `id` is left to the database default.

export interface UsageRecord {
  /** The gateway's request id: the idempotency key (usage_logs.request_id UNIQUE, Polar external_id). */
  requestId: string;
  /** users.id (a UUID). */
  userId: string;
  conversationId: string | null;
  /** When the request was received. */
  timestamp: Date;
  /** Prompt tokens as the upstream counted them, injected memories included. */
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Prompt tokens spent on injected memories (a subset of inputTokens). */
  memoryTokens: number;
  /** Memory searches made for this request (0 when memory is off or skipped). */
  retrievalCalls: number;
  /** Time spent retrieving memories; null when there was no retrieval. */
  retrievalLatencyMs: number | null;
  costUsd: number;
  /** The model name the client asked for. */
  model: string;
  /** Who served it: openai, anthropic, ... or "local" for a ModelServer. */
  provider: string;
  /** The API path, e.g. /v1/chat/completions. */
  endpoint: string;
  /** The HTTP status the client got. */
  statusCode: number;
  /** Whole request, received to last byte sent. */
  latencyMs: number;
  /** Token counts were estimated because the upstream reported none. */
  usageEstimated: boolean;
}

/** The usage_logs column each field is stored in, for writers that build SQL from the record. */
export const USAGE_COLUMNS: Readonly<Record<keyof UsageRecord, string>> = {
  requestId: 'request_id',
  userId: 'user_id',
  conversationId: 'conversation_id',
  timestamp: 'timestamp',
  inputTokens: 'input_tokens',
  outputTokens: 'output_tokens',
  totalTokens: 'total_tokens',
  memoryTokens: 'memory_tokens',
  retrievalCalls: 'retrieval_calls',
  retrievalLatencyMs: 'retrieval_latency_ms',
  costUsd: 'cost_usd',
  model: 'model',
  provider: 'provider',
  endpoint: 'endpoint',
  statusCode: 'status_code',
  latencyMs: 'latency_ms',
  usageEstimated: 'usage_estimated',
};
