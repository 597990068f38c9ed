// Polar billing against a stub that validates like Polar and de-duplicates on external_id: every
// usage record becomes exactly one Polar event, however the first attempts fail, in requests of
// at most 100 events, and the access token never reaches the logs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startPolarStub, type PolarStub } from '../stubs/polar-stub.ts';
import { createPolarBilling, type PolarBilling, type PolarBillingOptions } from '../../gateway/billing/polar.ts';
import type { UsageRecord } from '../../gateway/usage/usage-record.ts';

const USERS = ['6f1c8e0a-1111-4222-8333-444455556601', '6f1c8e0a-1111-4222-8333-444455556602', '6f1c8e0a-1111-4222-8333-444455556603'];

function usage(id: string, n: number): UsageRecord {
  return {
    requestId: id,
    clientRequestId: n % 2 === 0 ? null : 'req_caller_chosen',
    userId: USERS[n % USERS.length] ?? '',
    conversationId: `conv-${String(n % 4)}`,
    timestamp: new Date(),
    inputTokens: 1000 + n,
    outputTokens: 200,
    totalTokens: 1200 + n,
    memoryTokens: 50,
    retrievalCalls: 1,
    retrievalLatencyMs: 3.2,
    costUsd: 0.000_27,
    model: 'gpt-4o-mini',
    provider: 'openai',
    endpoint: '/v1/chat/completions',
    statusCode: 200,
    latencyMs: 250,
    usageEstimated: false,
  };
}

const ids = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(4, '0')}`);

describe('Polar billing', () => {
  let stub: PolarStub;
  const logs: string[] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write: (line: string) => {
        logs.push(line);
      },
    },
  );
  const open: PolarBilling[] = [];

  function billing(options: Partial<PolarBillingOptions> & { apiKey?: string } = {}): PolarBilling {
    const { apiKey, ...rest } = options;
    const created = createPolarBilling(
      { apiKey: apiKey ?? stub.token, organizationId: 'org_test', server: 'production', eventName: 'llm.usage', baseURL: stub.url },
      { logger, tuning: { flushIntervalMs: 50, initialBackoffMs: 20, maxBackoffMs: 200 }, ...rest },
    );
    if (!created) throw new Error('billing should be on');
    open.push(created);
    return created;
  }

  const receivedFor = (prefix: string) => stub.events.filter((e) => e.external_id?.startsWith(`${prefix}-`));

  beforeAll(async () => {
    stub = await startPolarStub();
  });
  afterAll(async () => {
    await Promise.all(open.map((b) => b.close({ timeoutMs: 1000 })));
    await stub.close();
  });

  it('delivers every event exactly once through 500s, a 429 with Retry-After and a lost response', async () => {
    stub.failNext(2, { status: 500 });
    stub.failNext(1, { status: 429, retryAfterSeconds: 1 });
    stub.failNext(1, { status: 502, afterInsert: true });
    const polar = billing();
    const sent = ids('exact', 250);
    sent.forEach((id, n) => {
      polar.record(usage(id, n));
    });
    const result = await polar.close({ timeoutMs: 20_000 });

    expect(result.unwritten).toEqual([]);
    const received = receivedFor('exact');
    expect(received.map((e) => e.external_id).sort()).toEqual(sent);
    expect(stub.duplicates).toBeGreaterThan(0); // the batch whose answer was lost came again
    expect(stub.requests.every((r) => r.events <= 100)).toBe(true);
    expect(stub.requests.map((r) => r.status)).toEqual(expect.arrayContaining([500, 429, 502, 200]));
    const limited = stub.requests.findIndex((r) => r.status === 429);
    expect((stub.requests[limited + 1]?.at ?? 0) - (stub.requests[limited]?.at ?? 0)).toBeGreaterThanOrEqual(900);
    expect(polar.stats()).toMatchObject({ written: 250, rejected: 0, dropped: 0 });
    expect(polar.stats().inserted + polar.stats().duplicates).toBeGreaterThanOrEqual(250);

    const first = received.find((e) => e.external_id === 'exact-0001');
    expect(first).toMatchObject({
      name: 'llm.usage',
      external_customer_id: USERS[1],
      metadata: {
        model: 'gpt-4o-mini',
        input_tokens: 1001,
        output_tokens: 200,
        total_tokens: 1201,
        retrieval_calls: 1,
        cost_usd: 0.00027,
        _llm: { vendor: 'openai', model: 'gpt-4o-mini', input_tokens: 1001, output_tokens: 200, total_tokens: 1201 },
        _cost: { amount: 0.027, currency: 'usd' },
      },
    });
    expect(Date.parse(first?.timestamp ?? '')).toBeLessThanOrEqual(Date.now());
  });

  it("bills requests that share a caller's X-Request-Id once each: external_id is the gateway's id", async () => {
    const polar = billing();
    const sent = ids('shared', 6);
    sent.forEach((id, n) => {
      polar.record({ ...usage(id, n), userId: USERS[n % 2] ?? '', clientRequestId: 'req_shared_by_all' });
    });
    const result = await polar.close({ timeoutMs: 10_000 });

    expect(result.unwritten).toEqual([]);
    const received = receivedFor('shared');
    expect(received.map((e) => e.external_id).sort()).toEqual(sent);
    expect(received.every((e) => e.metadata?.client_request_id === 'req_shared_by_all')).toBe(true);
    expect(new Set(received.map((e) => e.external_customer_id))).toEqual(new Set([USERS[0], USERS[1]]));
  });

  it('abandons a request that hangs and sends it again', async () => {
    stub.hangNext(1);
    const polar = billing({ requestTimeoutMs: 300 });
    const sent = ids('hang', 10);
    sent.forEach((id, n) => {
      polar.record(usage(id, n));
    });
    const result = await polar.close({ timeoutMs: 10_000 });

    expect(result.unwritten).toEqual([]);
    expect(
      receivedFor('hang')
        .map((e) => e.external_id)
        .sort(),
    ).toEqual(sent);
    expect(polar.stats().failedAttempts).toBeGreaterThanOrEqual(1);
  });

  it('drops only the event Polar refuses, once, and delivers the rest of its batch', async () => {
    stub.refuseEvents((e) => e.external_id === 'refused-0007');
    const polar = billing();
    const sent = ids('refused', 30);
    sent.forEach((id, n) => {
      polar.record(usage(id, n));
    });
    const requestsBefore = stub.requests.length;
    await polar.close({ timeoutMs: 10_000 });
    stub.refuseEvents(undefined);

    expect(
      receivedFor('refused')
        .map((e) => e.external_id)
        .sort(),
    ).toEqual(sent.filter((id) => id !== 'refused-0007'));
    expect(polar.stats()).toMatchObject({ rejected: 1, written: 29 });
    // One refused batch, then one request per event of it: nothing is retried after a 4xx.
    expect(stub.requests.slice(requestsBefore).filter((r) => r.status === 422)).toHaveLength(2);
    expect(logs.some((l) => l.includes('body.events') && l.includes('refused by the test'))).toBe(true);
  });

  it('with a wrong token: counts and drops the events, does not retry, and logs neither token', async () => {
    const wrongToken = 'polar_oat_wrong_0123456789abcdef';
    const polar = billing({ apiKey: wrongToken });
    ids('unauthorized', 5).forEach((id, n) => {
      polar.record(usage(id, n));
    });
    const requestsBefore = stub.requests.length;
    const result = await polar.close({ timeoutMs: 5000 });

    expect(result.unwritten).toEqual([]);
    expect(polar.stats()).toMatchObject({ rejected: 5, written: 0 });
    expect(stub.requests.slice(requestsBefore)).toEqual([expect.objectContaining({ authorized: false, status: 401 })]);
    expect(receivedFor('unauthorized')).toEqual([]);
    expect(logs.some((l) => l.includes('HTTP 401') && l.includes('POLAR_API_KEY'))).toBe(true);
    expect(logs.join('\n')).not.toContain(wrongToken);
  });

  it('drains what is left on shutdown without waiting for the interval', async () => {
    const polar = billing({ tuning: { flushIntervalMs: 600_000 } });
    const sent = ids('drain', 140);
    sent.forEach((id, n) => {
      polar.record(usage(id, n));
    });
    const result = await polar.close({ timeoutMs: 10_000 });

    expect(result.unwritten).toEqual([]);
    expect(
      receivedFor('drain')
        .map((e) => e.external_id)
        .sort(),
    ).toEqual(sent);
  });

  it('never wrote the access token to the logs', () => {
    const output = logs.join('\n');
    expect(output).toContain('Polar billing on'); // the capture works
    expect(output).toContain('Polar answered HTTP 500');
    expect(output).not.toContain(stub.token);
    expect(output.toLowerCase()).not.toContain('bearer');
  });
});
