// Kinds that client-node must pass through as JSON, unchanged. Its generated models rename fields
// that are JavaScript-awkward (NetworkPolicy's ingress `from` is `_from`) and drop any field they do
// not know: a policy applied through the model would need `_from`, and would come back as `_from`
// from a list but as `from` from a watch (raw JSON), so it would never compare equal to itself.
// Registered here, these kinds are built, applied, listed and watched in their wire form only.
// Not exported from the package index; the module KubernetesObjectApi itself uses, so the registry is the same.
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';

const PASS_THROUGH = [
  { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy' },
  { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicyList' },
] as const;

const identity = {
  serialize: (data: unknown) => data,
  deserialize: (data: unknown) => data,
};

let registered = false;

/** Idempotent: the registry is global to the process and refuses a second registration. */
export function registerWireFormatKinds(): void {
  if (registered) return;
  for (const gvk of PASS_THROUGH) ObjectSerializer.registerModel(gvk, identity);
  registered = true;
}
