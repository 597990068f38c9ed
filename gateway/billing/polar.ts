// Usage-based billing through Polar.sh: one event per billable request, sent off the request path
// in batches to POST /v1/events/ingest. Off unless POLAR_API_KEY and POLAR_ORGANIZATION_ID are
// both set (gateway/config.ts decides; createPolarBilling returns undefined otherwise).
//
// Delivery is at-least-once on our side and exactly-once in Polar: every event carries
// external_id = the gateway's own request id (never the caller's X-Request-Id, which a caller
// could repeat to be billed once for many requests, or borrow from another tenant to be billed
// not at all), on which Polar de-duplicates, so a batch whose response was lost can simply be
// sent again. The caller's id travels in the metadata as client_request_id. Network errors,
// timeouts, 429 and 5xx are retried with backoff (honouring Retry-After) by the buffered sink;
// other 4xx will never succeed and are dropped and counted, a 400/422 after isolating the
// offending event so that it does not take its batch with it.
//
// The access token is an Organization Access Token, so events carry no organization_id: Polar
// rejects one with an organization token. It lives in a private field and is written only into
// the Authorization header: no log line, error message or stats object ever contains it.
import type { Logger } from 'pino';
import type { PolarSettings } from '../config.ts';
import { BufferedSink, SinkWriteError, type CloseResult, type SinkStats, type SinkTuning } from '../usage/buffered-sink.ts';
import { systemClock, type Clock } from '../usage/clock.ts';
import type { UsageRecord } from '../usage/usage-record.ts';

export const POLAR_BASE_URLS: Readonly<Record<PolarSettings['server'], string>> = {
  production: 'https://api.polar.sh',
  sandbox: 'https://sandbox-api.polar.sh',
};

/** Polar documents no batch limit; a third-party mirror says 100, so never send more. */
export const POLAR_MAX_EVENTS_PER_REQUEST = 100;

export const INGEST_PATH = '/v1/events/ingest';

/** Polar metadata values: a string of 1 to 500 characters, a number or a boolean. */
export type MetadataValue = string | number | boolean;

/** Polar's structured cost: an amount in cents (decimals allowed) and the currency. */
export interface PolarCost {
  amount: number;
  currency: 'usd';
}

/** Polar's structured LLM metadata, used for its cost and margin views. */
export interface PolarLlmMetadata {
  vendor: string;
  model: string;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  /** Where older Polar schemas read the cost (whole cents); current ones read metadata._cost. */
  cost: PolarCost;
}

export interface PolarEventMetadata {
  _llm: PolarLlmMetadata;
  _cost: PolarCost;
  [key: string]: MetadataValue | PolarLlmMetadata | PolarCost;
}

export interface PolarEvent {
  name: string;
  external_customer_id: string;
  external_id: string;
  timestamp: string;
  metadata: PolarEventMetadata;
}

export interface ToPolarEventOptions {
  name: string;
  /** Current time in ms: a timestamp may not lie in Polar's future. */
  now: number;
  /** Events are stamped at least this far in the past, for a clock slightly ahead of Polar's. */
  clockSkewMs?: number;
}

const MAX_STRING_VALUE = 500;

/** The Polar event for one usage record (pure; see toPolarEventOptions for the timestamp rule). */
export function toPolarEvent(record: UsageRecord, options: ToPolarEventOptions): PolarEvent {
  // Polar refuses a timestamp after its own "now" (422) and that is never retried, so an event
  // this fresh is stamped a moment earlier; a billing period boundary moves by at most that much.
  const latest = options.now - (options.clockSkewMs ?? 2000);
  const timestamp = new Date(Math.min(record.timestamp.getTime(), latest)).toISOString();
  const cents = record.costUsd * 100;
  const flat: Record<string, MetadataValue | undefined> = {
    model: record.model,
    client_request_id: record.clientRequestId ?? undefined,
    provider: record.provider,
    endpoint: record.endpoint,
    conversation_id: record.conversationId ?? undefined,
    input_tokens: count(record.inputTokens),
    output_tokens: count(record.outputTokens),
    total_tokens: count(record.totalTokens),
    memory_tokens: count(record.memoryTokens),
    retrieval_calls: count(record.retrievalCalls),
    retrieval_latency_ms: record.retrievalLatencyMs ?? undefined,
    cost_usd: record.costUsd,
    latency_ms: record.latencyMs,
    status_code: record.statusCode,
    usage_estimated: record.usageEstimated,
  };
  const metadata: PolarEventMetadata = {
    ...flatMetadata(flat),
    _llm: {
      vendor: record.provider,
      model: record.model,
      input_tokens: count(record.inputTokens),
      output_tokens: count(record.outputTokens),
      total_tokens: count(record.totalTokens),
      cost: { amount: Math.round(cents), currency: 'usd' },
    },
    // Current Polar reads the cost here, as a decimal number of cents: most single requests cost
    // a fraction of a cent, which whole cents would round to nothing.
    _cost: { amount: decimalCents(cents), currency: 'usd' },
  };
  return { name: options.name, external_customer_id: record.userId, external_id: record.requestId, timestamp, metadata };
}

function count(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}

/** Drops absent values and empty strings (Polar refuses those) and cuts long strings to 500. */
function flatMetadata(values: Record<string, MetadataValue | undefined>): Record<string, MetadataValue> {
  const out: Record<string, MetadataValue> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || value === '') continue;
    if (typeof value === 'number' && !Number.isFinite(value)) continue;
    out[key] = typeof value === 'string' ? value.slice(0, MAX_STRING_VALUE) : value;
  }
  return out;
}

/** Polar stores the amount as a decimal of at most 17 digits, 12 of them after the point. */
function decimalCents(cents: number): number {
  if (!Number.isFinite(cents) || cents <= 0) return 0;
  const integerDigits = Math.max(1, Math.floor(Math.log10(cents)) + 1);
  return Number(cents.toFixed(Math.max(0, Math.min(12, 17 - integerDigits))));
}

export interface PolarBillingOptions {
  logger: Logger;
  /** Injected in tests; the global fetch otherwise. */
  fetch?: typeof fetch;
  clock?: Clock;
  tuning?: SinkTuning;
  /** One ingest request, connect to last byte. Default 10 s. */
  requestTimeoutMs?: number;
  /** See ToPolarEventOptions.clockSkewMs. Default 2 s. */
  clockSkewMs?: number;
  /** Which requests are billed. Default: successful ones, and failed ones that used tokens. */
  shouldBill?: (record: UsageRecord) => boolean;
}

export interface PolarBillingStats extends SinkStats {
  /** Events Polar reported as inserted / as duplicates of ones it already had. */
  inserted: number;
  duplicates: number;
  /** Records record() chose not to bill. */
  skipped: number;
}

export function defaultShouldBill(record: UsageRecord): boolean {
  return record.statusCode < 400 || record.totalTokens > 0;
}

export class PolarBilling {
  readonly url: string;
  readonly eventName: string;
  readonly #authorization: string;
  private readonly sink: BufferedSink<UsageRecord>;
  private readonly logger: Logger;
  private readonly fetchImpl: typeof fetch;
  private readonly clock: Clock;
  private readonly requestTimeoutMs: number;
  private readonly clockSkewMs: number;
  private readonly shouldBill: (record: UsageRecord) => boolean;
  private inserted = 0;
  private duplicates = 0;
  private skipped = 0;

  constructor(settings: PolarSettings, options: PolarBillingOptions) {
    const base = (settings.baseURL ?? POLAR_BASE_URLS[settings.server]).replace(/\/+$/, '');
    this.url = `${base}${INGEST_PATH}`;
    this.eventName = settings.eventName;
    this.#authorization = `Bearer ${settings.apiKey}`;
    this.logger = options.logger;
    this.fetchImpl = options.fetch ?? fetch;
    this.clock = options.clock ?? systemClock;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.clockSkewMs = options.clockSkewMs ?? 2000;
    this.shouldBill = options.shouldBill ?? defaultShouldBill;
    this.sink = new BufferedSink<UsageRecord>({
      name: 'polar-billing',
      logger: options.logger,
      ...options.tuning,
      maxBatchSize: Math.min(options.tuning?.maxBatchSize ?? POLAR_MAX_EVENTS_PER_REQUEST, POLAR_MAX_EVENTS_PER_REQUEST),
      clock: this.clock,
      write: (batch, signal) => this.ingest(batch, signal),
    });
    this.logger.info({ polar: { url: this.url, organizationId: settings.organizationId, eventName: this.eventName } }, 'Polar billing on');
  }

  /** Queues the billing event for one request (request path: never blocks, never throws). */
  record(usage: UsageRecord): void {
    if (!this.shouldBill(usage)) {
      this.skipped++;
      return;
    }
    this.sink.add(usage);
  }

  stats(): PolarBillingStats {
    return { ...this.sink.stats(), inserted: this.inserted, duplicates: this.duplicates, skipped: this.skipped };
  }

  flush(options: { timeoutMs?: number } = {}): Promise<boolean> {
    return this.sink.flush(options);
  }

  close(options: { timeoutMs: number }): Promise<CloseResult<UsageRecord>> {
    return this.sink.close(options);
  }

  private async ingest(batch: readonly UsageRecord[], signal: AbortSignal): Promise<void> {
    const now = this.clock.now();
    const events = batch.map((record) => toPolarEvent(record, { name: this.eventName, now, clockSkewMs: this.clockSkewMs }));
    let response: Response;
    try {
      response = await this.fetchImpl(this.url, {
        method: 'POST',
        headers: { authorization: this.#authorization, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ events }),
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.requestTimeoutMs)]),
      });
    } catch (err) {
      throw new SinkWriteError(`Polar ingest request failed: ${describeError(err)}`);
    }
    // Always read the body: it frees the connection for reuse, and errors explain themselves in it.
    const body = await response.text().catch(() => '');
    if (!response.ok) throw ingestFailure(response.status, response.headers.get('retry-after'), body, this.clock.now());
    this.countAccepted(body, events.length);
  }

  private countAccepted(body: string, sent: number): void {
    const parsed = parseJson(body);
    const inserted = numberField(parsed, 'inserted');
    const duplicates = numberField(parsed, 'duplicates') ?? 0;
    this.inserted += inserted ?? sent;
    this.duplicates += duplicates;
    if (duplicates > 0) this.logger.debug({ duplicates, sent }, 'Polar already had some of these events (a retried batch)');
  }
}

/** A PolarBilling when the settings turn billing on, undefined otherwise. */
export function createPolarBilling(settings: PolarSettings | undefined, options: PolarBillingOptions): PolarBilling | undefined {
  return settings ? new PolarBilling(settings, options) : undefined;
}

/** How to treat an ingest answer that is not 2xx (the message never holds the token). */
export function ingestFailure(status: number, retryAfter: string | null, body: string, now: number): SinkWriteError {
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(retryAfter, now);
    return new SinkWriteError(`Polar answered HTTP ${status}`, {
      retryable: true,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (status === 400 || status === 422) {
    // Polar validates each event and refuses the whole request if any is invalid.
    return new SinkWriteError(`Polar refused the events (HTTP ${status}): ${validationSummary(body)}`, {
      retryable: false,
      itemSpecific: true,
    });
  }
  const hint = status === 401 || status === 403 ? ': check POLAR_API_KEY (an organization access token) and POLAR_SERVER' : '';
  return new SinkWriteError(`Polar refused the events (HTTP ${status})${hint}`, { retryable: false });
}

/** Retry-After in milliseconds, from delay-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** FastAPI's {"detail": [{"loc": [...], "msg": "..."}]}, as "loc: msg; ..." (never the echoed input). */
function validationSummary(body: string): string {
  const parsed = parseJson(body);
  const detail = typeof parsed === 'object' && parsed !== null && 'detail' in parsed ? parsed.detail : undefined;
  if (!Array.isArray(detail)) return 'no details';
  return detail
    .slice(0, 3)
    .map((item: unknown) => {
      const entry = (typeof item === 'object' && item !== null ? item : {}) as { loc?: unknown; msg?: unknown };
      const loc = Array.isArray(entry.loc) ? entry.loc.map(String).join('.') : '?';
      return `${loc}: ${typeof entry.msg === 'string' ? entry.msg.slice(0, 200) : '?'}`;
    })
    .join('; ');
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? (err.cause as NodeJS.ErrnoException) : undefined;
  return cause ? `${err.name}: ${err.message} (${cause.code ?? cause.message})` : `${err.name}: ${err.message}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function numberField(value: unknown, key: string): number | undefined {
  if (typeof value !== 'object' || value === null || !(key in value)) return undefined;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === 'number' ? field : undefined;
}
