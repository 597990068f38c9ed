// NetworkPolicies go to the API server and come back from a list with `from` as written, the way a
// watch delivers them: client-node's model would send `_from` and drop `from`.
import { describe, expect, it } from 'vitest';
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import { registerWireFormatKinds } from './wire-format.ts';

const policy = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'app-redis', namespace: 'prod' },
  spec: {
    podSelector: { matchLabels: { a: 'b' } },
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ podSelector: { matchLabels: { c: 'd' } } }], ports: [{ protocol: 'TCP', port: 6379 }] }],
  },
};

describe('kinds passed through in their wire form', () => {
  registerWireFormatKinds();
  registerWireFormatKinds(); // a second call is harmless (the registry refuses duplicates)

  it('serialise a NetworkPolicy with its `from` intact', () => {
    expect(ObjectSerializer.serialize(structuredClone(policy), 'V1NetworkPolicy')).toEqual(policy);
  });

  it("deserialise a NetworkPolicyList with the items' `from` intact", () => {
    const list = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicyList', metadata: {}, items: [structuredClone(policy)] };
    const items = (ObjectSerializer.deserialize(list, 'V1NetworkPolicyList') as { items: (typeof policy)[] }).items;
    expect(items[0]?.spec.ingress[0]).toEqual({
      from: [{ podSelector: { matchLabels: { c: 'd' } } }],
      ports: [{ protocol: 'TCP', port: 6379 }],
    });
  });
});
