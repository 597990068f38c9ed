import { describe, expect, it } from 'vitest';
import { batchKey } from './fact-pipeline.ts';

describe('batchKey', () => {
  const exchange = { userId: 'u1', endUser: 'alice', conversationId: 'c1', apiKeyId: 'key-1' };

  it('batches one scope, conversation and API key together, so each extractor call is counted against one key', () => {
    expect(batchKey(exchange)).toBe(batchKey({ ...exchange }));
    expect(batchKey(exchange)).not.toBe(batchKey({ ...exchange, apiKeyId: 'key-2' }));
    expect(batchKey(exchange)).not.toBe(batchKey({ ...exchange, apiKeyId: undefined }));
    expect(batchKey(exchange)).not.toBe(batchKey({ ...exchange, endUser: 'bob' }));
    expect(batchKey(exchange)).not.toBe(batchKey({ ...exchange, conversationId: undefined }));
  });

  it('cannot be made to collide by values that contain separators', () => {
    expect(batchKey({ userId: 'u1', endUser: 'a","b', conversationId: undefined, apiKeyId: undefined })).not.toBe(
      batchKey({ userId: 'u1', endUser: 'a', conversationId: 'b', apiKeyId: undefined }),
    );
  });
});
