import { describe, expect, it } from 'vitest';
import { storableUsage, USAGE_COLUMNS, type UsageRecord } from './usage-record.ts';

const record: UsageRecord = {
  requestId: '0b5c3d9e-7f1a-4c2b-9d8e-1a2b3c4d5e6f',
  clientRequestId: 'req_client_0001',
  userId: '6f1c8e0a-1111-4222-8333-444455556666',
  apiKeyId: '0d6c2f1e-2222-4333-8444-555566667777',
  conversationId: 'conv-1',
  timestamp: new Date(0),
  inputTokens: 1,
  cachedInputTokens: 0,
  outputTokens: 2,
  totalTokens: 3,
  memoryTokens: 0,
  retrievalCalls: 0,
  retrievalLatencyMs: null,
  costUsd: 0,
  model: 'gpt-4o-mini',
  provider: 'openai',
  endpoint: '/v1/chat/completions',
  statusCode: 200,
  latencyMs: 1,
  usageEstimated: false,
};

describe('storableUsage', () => {
  it('leaves a clean record as it is', () => {
    expect(storableUsage(record)).toEqual(record);
  });

  it('replaces NUL in every caller-influenced text column and bounds their length', () => {
    const odd = storableUsage({
      ...record,
      conversationId: 'conv\u0000x',
      model: `m\u0000${'x'.repeat(1000)}`,
      provider: 'p\u0000',
      clientRequestId: null,
    });
    expect(odd.conversationId).toBe('conv\uFFFDx');
    expect(odd.model).toHaveLength(256);
    expect(odd.model.startsWith('m\uFFFDx')).toBe(true);
    expect(odd.provider).toBe('p\uFFFD');
    expect(odd.clientRequestId).toBeNull();
    expect(JSON.stringify(odd)).not.toContain('\\u0000');
  });

  it('never touches the idempotency key or the numbers', () => {
    const odd = storableUsage({ ...record, model: '\u0000' });
    expect(odd.requestId).toBe(record.requestId);
    expect({ ...odd, model: record.model }).toEqual(record);
  });

  it('maps every field to a column', () => {
    expect(Object.keys(USAGE_COLUMNS).sort()).toEqual(Object.keys(record).sort());
  });
});
