import { describe, expect, it } from 'vitest';
import { makeMetrics } from '../observability/metrics.ts';
import type { UsageRecord } from '../usage/usage-record.ts';
import { makeAccounting, type FailedRequest } from './accounting.ts';

function accounting(): { rows: UsageRecord[]; failed: (request: FailedRequest) => void } {
  const rows: UsageRecord[] = [];
  const made = makeAccounting({ metrics: makeMetrics(), knownModels: new Set(), cost: () => 0, record: (row) => rows.push(row), prefix: '/v1', now: () => new Date(0) });
  return { rows, failed: (request) => { made.failed(request); } };
}

function request(overrides: Partial<FailedRequest> = {}): FailedRequest {
  return {
    principal: { userId: '6f1c8e0a-1111-4222-8333-444455556666', tier: 'pro', limits: { requestsPerMinute: 1, requestsPerDay: 1 }, via: 'api_key' },
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
  it('are keyed on the gateway\'s request id and keep the caller\'s beside it', () => {
    const { rows, failed } = accounting();
    failed(request());
    expect(rows[0]).toMatchObject({ requestId: '0b5c3d9e-7f1a-4c2b-9d8e-1a2b3c4d5e6f', clientRequestId: 'req_from_the_caller', statusCode: 502 });
  });

  it('carry caller text PostgreSQL would refuse in a form it stores (no NUL)', () => {
    const { rows, failed } = accounting();
    failed(request({ ext: { conversationId: 'conv\u0000x', memory: { enabled: undefined, topK: undefined, conversationOnly: false } }, body: { model: 'm\u0000' } }));
    expect(rows[0]).toMatchObject({ conversationId: 'conv\uFFFDx', model: 'm\uFFFD' });
  });
});
