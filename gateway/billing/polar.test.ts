import { describe, expect, it } from 'vitest';
import { inspect } from 'node:util';
import { pino } from 'pino';
import type { PolarSettings } from '../config.ts';
import type { UsageRecord } from '../usage/usage-record.ts';
import { createPolarBilling, ingestFailure, parseRetryAfter, toPolarEvent } from './polar.ts';

const NOW = Date.parse('2025-06-01T12:00:00.000Z');

function usage(overrides: Partial<UsageRecord> = {}): UsageRecord {
  return {
    requestId: '0b5c3d9e-7f1a-4c2b-9d8e-1a2b3c4d5e6f',
    clientRequestId: 'req-client-1',
    userId: '6f1c8e0a-1111-4222-8333-444455556666',
    conversationId: 'conv-9',
    timestamp: new Date(NOW - 60_000),
    inputTokens: 1200,
    outputTokens: 300,
    totalTokens: 1500,
    memoryTokens: 200,
    retrievalCalls: 1,
    retrievalLatencyMs: 12.5,
    costUsd: 0.0006,
    model: 'gpt-4o-mini',
    provider: 'openai',
    endpoint: '/v1/chat/completions',
    statusCode: 200,
    latencyMs: 812,
    usageEstimated: false,
    ...overrides,
  };
}

const settings: PolarSettings = {
  apiKey: 'polar_oat_secret_never_printed',
  organizationId: 'org_1',
  server: 'sandbox',
  eventName: 'llm.usage',
};
const silent = pino({ level: 'silent' });

describe('toPolarEvent', () => {
  it('maps a usage record to an ingest event with flat metadata and the structured _llm and _cost', () => {
    const event = toPolarEvent(usage(), { name: 'llm.usage', now: NOW });
    expect(event).toEqual({
      name: 'llm.usage',
      external_customer_id: '6f1c8e0a-1111-4222-8333-444455556666',
      external_id: '0b5c3d9e-7f1a-4c2b-9d8e-1a2b3c4d5e6f',
      timestamp: '2025-06-01T11:59:00.000Z',
      metadata: {
        model: 'gpt-4o-mini',
        client_request_id: 'req-client-1',
        provider: 'openai',
        endpoint: '/v1/chat/completions',
        conversation_id: 'conv-9',
        input_tokens: 1200,
        output_tokens: 300,
        total_tokens: 1500,
        memory_tokens: 200,
        retrieval_calls: 1,
        retrieval_latency_ms: 12.5,
        cost_usd: 0.0006,
        latency_ms: 812,
        status_code: 200,
        usage_estimated: false,
        _llm: {
          vendor: 'openai',
          model: 'gpt-4o-mini',
          input_tokens: 1200,
          output_tokens: 300,
          total_tokens: 1500,
          cost: { amount: 0, currency: 'usd' },
        },
        _cost: { amount: 0.06, currency: 'usd' },
      },
    });
    expect(Object.keys(event.metadata).length).toBeLessThanOrEqual(50);
  });

  it("is keyed on the gateway's request id, never the caller's: one caller id may name many events", () => {
    const a = toPolarEvent(usage({ requestId: '11111111-1111-4111-8111-111111111111', clientRequestId: 'shared-id' }), {
      name: 'e',
      now: NOW,
    });
    const b = toPolarEvent(usage({ requestId: '22222222-2222-4222-8222-222222222222', clientRequestId: 'shared-id' }), {
      name: 'e',
      now: NOW,
    });
    expect(a.external_id).not.toBe(b.external_id);
    expect([a.metadata.client_request_id, b.metadata.client_request_id]).toEqual(['shared-id', 'shared-id']);
    expect(toPolarEvent(usage({ clientRequestId: null }), { name: 'e', now: NOW }).metadata).not.toHaveProperty('client_request_id');
  });

  it('never stamps an event in the future (Polar refuses it for good)', () => {
    const fresh = toPolarEvent(usage({ timestamp: new Date(NOW + 5000) }), { name: 'e', now: NOW, clockSkewMs: 1000 });
    expect(fresh.timestamp).toBe(new Date(NOW - 1000).toISOString());
  });

  it('leaves out what Polar would refuse: empty strings, nulls, non-finite numbers; cuts long strings', () => {
    const event = toPolarEvent(
      usage({ conversationId: null, retrievalLatencyMs: null, endpoint: '', model: 'm'.repeat(600), latencyMs: Number.NaN }),
      { name: 'e', now: NOW },
    );
    expect(event.metadata).not.toHaveProperty('conversation_id');
    expect(event.metadata).not.toHaveProperty('retrieval_latency_ms');
    expect(event.metadata).not.toHaveProperty('endpoint');
    expect(event.metadata).not.toHaveProperty('latency_ms');
    expect(event.metadata.model).toHaveLength(500);
  });

  it('keeps fractions of a cent in _cost and whole cents in _llm.cost', () => {
    const cheap = toPolarEvent(usage({ costUsd: 0.000_001_35 }), { name: 'e', now: NOW });
    expect(cheap.metadata._cost.amount).toBeCloseTo(0.000135, 12);
    const pricey = toPolarEvent(usage({ costUsd: 1.234_567 }), { name: 'e', now: NOW });
    expect(pricey.metadata._llm.cost.amount).toBe(123);
    expect(pricey.metadata._cost.amount).toBe(123.4567);
  });
});

describe('ingest failures', () => {
  it('retries network-ish statuses, honouring Retry-After', () => {
    for (const status of [408, 429, 500, 502, 503]) expect(ingestFailure(status, null, '', NOW).retryable).toBe(true);
    expect(ingestFailure(429, '7', '', NOW).retryAfterMs).toBe(7000);
    expect(ingestFailure(503, new Date(NOW + 3000).toUTCString(), '', NOW).retryAfterMs).toBe(3000);
  });

  it('never retries other 4xx; a validation error isolates the offending event', () => {
    const invalid = ingestFailure(
      422,
      null,
      JSON.stringify({
        detail: [{ loc: ['body', 'events', 3, 'timestamp'], msg: 'Value error, Timestamp must be in the past.', input: 'x' }],
      }),
      NOW,
    );
    expect(invalid).toMatchObject({ retryable: false, itemSpecific: true });
    expect(invalid.message).toContain('body.events.3.timestamp: Value error, Timestamp must be in the past.');
    expect(ingestFailure(401, null, '', NOW)).toMatchObject({ retryable: false, itemSpecific: false });
    expect(ingestFailure(401, null, '', NOW).message).toContain('POLAR_API_KEY');
    expect(ingestFailure(404, null, '', NOW).retryable).toBe(false);
  });

  it('parses Retry-After as seconds or a date, and ignores junk', () => {
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(new Date(NOW - 5000).toUTCString(), NOW)).toBe(0);
  });
});

describe('createPolarBilling', () => {
  it('is off without settings', () => {
    expect(createPolarBilling(undefined, { logger: silent })).toBeUndefined();
  });

  it('targets the chosen server, or the base URL override', async () => {
    const sandbox = createPolarBilling(settings, { logger: silent });
    const production = createPolarBilling({ ...settings, server: 'production' }, { logger: silent });
    const local = createPolarBilling({ ...settings, baseURL: 'http://127.0.0.1:9/' }, { logger: silent });
    expect(sandbox?.url).toBe('https://sandbox-api.polar.sh/v1/events/ingest');
    expect(production?.url).toBe('https://api.polar.sh/v1/events/ingest');
    expect(local?.url).toBe('http://127.0.0.1:9/v1/events/ingest');
    for (const billing of [sandbox, production, local]) await billing?.close({ timeoutMs: 10 });
  });

  it('does not reveal the token when the object is printed or serialised', async () => {
    const billing = createPolarBilling(settings, { logger: silent });
    expect(inspect(billing, { depth: 5 })).not.toContain(settings.apiKey);
    expect(JSON.stringify(billing)).not.toContain(settings.apiKey);
    expect(JSON.stringify(billing?.stats())).not.toContain(settings.apiKey);
    await billing?.close({ timeoutMs: 10 });
  });

  it('bills successful requests and failed ones that used tokens, not refused ones', async () => {
    const billing = createPolarBilling(settings, { logger: silent, fetch: () => Promise.reject(new Error('offline')) });
    billing?.record(usage({ statusCode: 429, totalTokens: 0 }));
    billing?.record(usage({ statusCode: 502, totalTokens: 10 }));
    billing?.record(usage());
    expect(billing?.stats()).toMatchObject({ skipped: 1, pending: 2 });
    await billing?.close({ timeoutMs: 10 });
  });
});
