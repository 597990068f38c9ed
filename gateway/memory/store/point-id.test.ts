import { describe, expect, it } from 'vitest';
import { canonicalPointId, memoryPointId } from './point-id.ts';

const identity = { userId: 'u1', requestId: 'req-1', role: 'user', chunk: 0 };

describe('memoryPointId', () => {
  it('is a stable version-5-layout UUID', () => {
    const id = memoryPointId(identity);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(memoryPointId({ ...identity })).toBe(id);
  });

  it('differs when any part of the identity differs, including ambiguous concatenations', () => {
    const ids = new Set([
      memoryPointId(identity),
      memoryPointId({ ...identity, userId: 'u2' }),
      memoryPointId({ ...identity, requestId: 'req-2' }),
      memoryPointId({ ...identity, role: 'assistant' }),
      memoryPointId({ ...identity, chunk: 1 }),
      memoryPointId({ ...identity, userId: 'u1r', requestId: 'eq-1' }),
      memoryPointId({ ...identity, endUser: 'alice' }),
      memoryPointId({ ...identity, endUser: 'bob' }),
      memoryPointId({ ...identity, endUser: 'req-1', requestId: 'alice' }),
    ]);
    expect(ids.size).toBe(9);
  });

  it("keeps the ids of the account's own memories as they were before end users", () => {
    expect(memoryPointId({ ...identity, endUser: undefined })).toBe(memoryPointId(identity));
    // Pinned: the layout before end users existed (changing it would orphan every stored memory).
    expect(memoryPointId(identity)).toBe('6758b202-58db-5198-83ab-715d5448877f');
  });
});

describe('canonicalPointId', () => {
  it('lower-cases UUIDs and refuses anything else', () => {
    expect(canonicalPointId('6F1C0F4E-1B7A-4C1E-9A3B-2F0B8E6D5C4A')).toBe('6f1c0f4e-1b7a-4c1e-9a3b-2f0b8e6d5c4a');
    for (const bad of ['', 'abc', '42', '6f1c0f4e1b7a4c1e9a3b2f0b8e6d5c4a', '6f1c0f4e-1b7a-4c1e-9a3b-2f0b8e6d5c4', 42, null, undefined]) {
      expect(canonicalPointId(bad)).toBeUndefined();
    }
  });
});
