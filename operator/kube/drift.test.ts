import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { APPLIED_HASH_ANNOTATION, isSubset, isUpToDate, withAppliedHash } from './drift.ts';

const desired: KubernetesObject & { data: Record<string, string> } = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n', labels: { a: '1' } }, data: { k: 'v' } };

describe('isSubset', () => {
  it('accepts extra fields the server adds, and nothing else', () => {
    expect(isSubset({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 2], d: 3 }, e: 4 })).toBe(true);
    expect(isSubset({ a: 1 }, { a: 2 })).toBe(false);
    expect(isSubset({ list: [1, 2] }, { list: [1, 2, 3] })).toBe(false);
    expect(isSubset({ a: { b: 1 } }, { a: null })).toBe(false);
  });
});

describe('isUpToDate', () => {
  const stamped = withAppliedHash(desired);
  const live = { ...stamped, metadata: { ...stamped.metadata, resourceVersion: '7', uid: 'u' } };

  it('is true for what we applied, as the server returns it', () => {
    expect(isUpToDate(desired, live)).toBe(true);
  });

  it('notices a missing object, someone else\'s edit, and a field we stopped setting', () => {
    expect(isUpToDate(desired, undefined)).toBe(false);
    const edited: typeof desired = { ...live, data: { k: 'edited' } };
    expect(isUpToDate(desired, edited)).toBe(false);
    const withoutLabel = { ...desired, metadata: { ...desired.metadata, labels: {} } };
    expect(isUpToDate(withoutLabel, live)).toBe(false); // same subset, different hash
    expect(stamped.metadata?.annotations?.[APPLIED_HASH_ANNOTATION]).toMatch(/^[0-9a-f]{16}$/);
  });
});
