import { describe, expect, it } from 'vitest';
import { OwnerIndex } from './owner-index.ts';

function child(name: string, controller?: string, other?: string) {
  const ownerReferences = [
    ...(other ? [{ apiVersion: 'v1', kind: 'X', name: 'o', uid: other }] : []),
    ...(controller ? [{ apiVersion: 'v1', kind: 'X', name: 'c', uid: controller, controller: true }] : []),
  ];
  return { metadata: { namespace: 'ns', name, ownerReferences } };
}

describe('OwnerIndex', () => {
  it('finds the objects a controller owns, and only by the controller reference', () => {
    const index = new OwnerIndex();
    index.set(child('a', 'pd-1'));
    index.set(child('b', 'pd-1', 'pd-2'));
    index.set(child('c', 'pd-2'));
    index.set(child('d'));
    expect(index.owned('pd-1')).toEqual([
      { namespace: 'ns', name: 'a' },
      { namespace: 'ns', name: 'b' },
    ]);
    expect(index.owned('pd-2')).toEqual([{ namespace: 'ns', name: 'c' }]);
    expect(index.owned('nobody')).toEqual([]);
  });

  it('follows a change of controller and forgets deleted objects', () => {
    const index = new OwnerIndex();
    index.set(child('a', 'pd-1'));
    index.set(child('a', 'pd-2'));
    expect(index.owned('pd-1')).toEqual([]);
    expect(index.owned('pd-2')).toEqual([{ namespace: 'ns', name: 'a' }]);
    index.set(child('a')); // orphaned
    expect(index.owned('pd-2')).toEqual([]);
    index.set(child('b', 'pd-3'));
    index.delete(child('b'));
    expect(index.owned('pd-3')).toEqual([]);
  });
});
