// One row of usage_logs: every column of the deployment guide's table (in camelCase), plus the
// gateway's own columns (migrations 003 and 005): request_id, provider, usage_estimated,
// memory_tokens, client_request_id. The same value feeds the Postgres batch writer and the Polar
// billing event, so the two can never disagree about what a request cost. The row's `id` is left
// to the database default.
//
// Two request ids, on purpose. `requestId` is made by the gateway for every request and is the
// idempotency key (usage_logs.request_id UNIQUE, the Polar event's external_id): a caller can
// neither collapse two of its requests into one row nor, by reusing another tenant's id, make its
// own row disappear. The caller's X-Request-Id is only kept, in `clientRequestId`, to be found by.
import { pgText, pgTextOrNull } from '../db/pg-text.ts';

export interface UsageRecord {
  /** Made by the gateway for this request: the idempotency key (usage_logs.request_id UNIQUE, Polar external_id). */
  requestId: string;
  /** The x-request-id the response carried (the caller's X-Request-Id when it sent a sane one): not unique. */
  clientRequestId: string | null;
  /** users.id (a UUID). */
  userId: string;
  /** api_keys.id of the key the request came with (migration 008), so a key's spend can be summed; absent: none. */
  apiKeyId?: string | null;
  conversationId: string | null;
  /** When the request was received. */
  timestamp: Date;
  /** Prompt tokens as the upstream counted them, injected memories included. */
  inputTokens: number;
  /**
   * The part of inputTokens the provider served from its prompt cache (OpenAI's
   * prompt_tokens_details.cached_tokens, Anthropic's cache_read_input_tokens), for the spend
   * report (migration 007). Absent: none reported.
   */
  cachedInputTokens?: number;
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
  clientRequestId: 'client_request_id',
  userId: 'user_id',
  apiKeyId: 'api_key_id',
  conversationId: 'conversation_id',
  timestamp: 'timestamp',
  inputTokens: 'input_tokens',
  cachedInputTokens: 'cached_input_tokens',
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

/**
 * Longest value kept per caller-influenced text column: the bounds the request path validates
 * (conversation ids and model names 256, client request ids 128 in middleware/request-id.ts),
 * enforced again here because a row must never be refused, whatever some route lets through.
 */
export const USAGE_TEXT_LIMITS = { conversationId: 256, model: 256, provider: 64, endpoint: 256, clientRequestId: 128 } as const;

/** The record with every text column storable in PostgreSQL (see db/pg-text.ts); idempotent. */
export function storableUsage(record: UsageRecord): UsageRecord {
  return {
    ...record,
    clientRequestId: pgTextOrNull(record.clientRequestId, USAGE_TEXT_LIMITS.clientRequestId),
    conversationId: pgTextOrNull(record.conversationId, USAGE_TEXT_LIMITS.conversationId),
    model: pgText(record.model, USAGE_TEXT_LIMITS.model),
    provider: pgText(record.provider, USAGE_TEXT_LIMITS.provider),
    endpoint: pgText(record.endpoint, USAGE_TEXT_LIMITS.endpoint),
  };
}
