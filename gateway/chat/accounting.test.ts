import { describe, expect, it } from 'vitest';
import { makeMetrics } from '../observability/metrics.ts';
import type { UsageRecord } from '../usage/usage-record.ts';
import { makeAccounting, type CompletedRequest, type FailedRequest } from './accounting.ts';
import type { Attempt } from './upstream-call.ts';

function accounting(): { rows: UsageRecord[]; failed: (request: FailedRequest) => void } {
  const rows: UsageRecord[] = [];
  const made = makeAccounting({
    metrics: makeMetrics(),
    knownModels: new Set(),
    cost: () => 0,
    record: (row) => rows.push(row),
    prefix: '/v1',
    now: () => new Date(0),
  });
  return {
    rows,
    failed: (request) => {
      made.failed(request);
    },
  };
}

function request(overrides: Partial<FailedRequest> = {}): FailedRequest {
  return {
    principal: {
      userId: '6f1c8e0a-1111-4222-8333-444455556666',
      tier: 'pro',
      limits: { requestsPerMinute: 1, requestsPerDay: 1 },
      via: 'api_key',
    },
    requestId: 'req_from_the_caller',
    serverRequestId: '0b5c3d9e-7f1a-4c2b-9d8e-1a2b3c4d5e6f',
    ext: { conversationId: 'conv-1', memory: { enabled: undefined, topK: undefined, conversationOnly: false } },
    body: { model: 'gpt-4o-mini' },
    status: 502,
    startedAt: performance.now(),
    ...overrides,
  };
}

describe('accounting rows', () => {
  it("are keyed on the gateway's request id and keep the caller's beside it", () => {
    const { rows, failed } = accounting();
    failed(request());
    expect(rows[0]).toMatchObject({
      requestId: '0b5c3d9e-7f1a-4c2b-9d8e-1a2b3c4d5e6f',
      clientRequestId: 'req_from_the_caller',
      statusCode: 502,
    });
  });

  it('carry caller text PostgreSQL would refuse in a form it stores (no NUL)', () => {
    const { rows, failed } = accounting();
    failed(
      request({
        ext: { conversationId: 'conv\u0000x', memory: { enabled: undefined, topK: undefined, conversationOnly: false } },
        body: { model: 'm\u0000' },
      }),
    );
    expect(rows[0]).toMatchObject({ conversationId: 'conv\uFFFDx', model: 'm\uFFFD' });
  });
});

describe('accounting a completed request', () => {
  it('prices the cached and cache-written prompt tokens, and settles the token reservation to the real usage', () => {
    const costs: unknown[] = [];
    const recorded: UsageRecord[] = [];
    const settled: [object, number][] = [];
    const made = makeAccounting({
      metrics: makeMetrics(),
      knownModels: new Set(),
      cost: (_model, tokens) => {
        costs.push(tokens);
        return 0.001;
      },
      record: (row) => {
        recorded.push(row);
      },
      prefix: '/v1',
      settleTokens: (principal, used) => {
        settled.push([principal, used]);
      },
    });
    const done = request({ status: 200 });
    const attempt = { model: { name: 'claude-sonnet-4-5', provider: 'anthropic' } } as unknown as Attempt<unknown>;
    const usage = {
      prompt_tokens: 61_000,
      completion_tokens: 500,
      total_tokens: 61_500,
      prompt_tokens_details: { cached_tokens: 50_000, cache_creation_tokens: 10_000 },
    };
    made.completed({ ...done, attempt, report: { usage, usageEstimated: false }, upstreamMs: 1 } satisfies CompletedRequest);
    expect(costs).toEqual([{ input: 61_000, output: 500, cachedInput: 50_000, cacheWrite: 10_000 }]);
    // The usage row keeps the cached part for the spend report.
    expect(recorded[0]).toMatchObject({ inputTokens: 61_000, cachedInputTokens: 50_000, outputTokens: 500 });
    expect(settled).toEqual([[done.principal, 61_500]]);

    const failed = request();
    made.failed(failed);
    expect(settled[1]).toEqual([failed.principal, 0]);
  });
});
