// Several namespaces' informers read as one: what the caches see with WATCH_NAMESPACES.
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { KindInformer } from './informer.ts';
import { NamespacedInformers } from './namespaced-informers.ts';
import { Kinds } from './resource-kinds.ts';

const obj = (namespace: string, name: string, owner?: string): KubernetesObject => ({
  metadata: {
    namespace,
    name,
    ownerReferences: owner ? [{ apiVersion: 'v1', kind: 'X', name: 'o', uid: owner, controller: true }] : undefined,
  },
});

/** A stand-in for one namespace's informer: its objects, and a record of what was called. */
function fake(objects: KubernetesObject[], calls: string[], label: string): KindInformer & { emit(o: KubernetesObject): void } {
  const handlers: ((o: KubernetesObject) => void)[] = [];
  return {
    resource: Kinds.ConfigMap,
    synced: Promise.resolve(),
    onChange: (h) => handlers.push(h),
    start: () => {
      calls.push(`start ${label}`);
      return Promise.resolve();
    },
    stop: () => {
      calls.push(`stop ${label}`);
      return Promise.resolve();
    },
    get: (name, namespace) =>
      objects.find((o) => o.metadata?.name === name && (namespace === undefined || o.metadata.namespace === namespace)),
    list: () => objects,
    listControlledBy: (uid) => objects.filter((o) => o.metadata?.ownerReferences?.some((r) => r.uid === uid)),
    emit: (o) => {
      for (const h of handlers) h(o);
    },
  };
}

describe('NamespacedInformers', () => {
  const calls: string[] = [];
  const a = fake([obj('a', 'x', 'u1'), obj('a', 'y')], calls, 'a');
  const b = fake([obj('b', 'x', 'u2')], calls, 'b');
  const informers = new NamespacedInformers(
    Kinds.ConfigMap,
    new Map([
      ['a', a],
      ['b', b],
    ]),
  );

  it('reads each namespace from its own informer, and nothing from a namespace it does not watch', () => {
    expect(informers.get('x', 'b')).toEqual(obj('b', 'x', 'u2'));
    expect(informers.get('x', 'c')).toBeUndefined();
    expect(informers.list('a').map((o) => o.metadata?.name)).toEqual(['x', 'y']);
    expect(informers.list('c')).toEqual([]);
    expect(informers.list().map((o) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`)).toEqual(['a/x', 'a/y', 'b/x']);
    expect(informers.listControlledBy('u2')).toEqual([obj('b', 'x', 'u2')]);
  });

  it("passes every namespace's changes to a handler, and starts and stops them all", async () => {
    const seen: string[] = [];
    informers.onChange((o) => seen.push(o.metadata?.namespace ?? ''));
    a.emit(obj('a', 'z'));
    b.emit(obj('b', 'z'));
    expect(seen).toEqual(['a', 'b']);
    await informers.start();
    await informers.synced;
    await informers.stop();
    expect(calls).toEqual(['start a', 'start b', 'stop a', 'stop b']);
  });
});
