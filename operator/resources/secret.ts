import type { V1ObjectMeta, V1Secret } from '@kubernetes/client-node';

/** A Secret with `data` (base64), sorted by key. Not stringData: it would never compare equal to the live object. */
export function buildSecret(meta: V1ObjectMeta, values: Record<string, string>): V1Secret {
  const data = Object.fromEntries(
    Object.keys(values)
      .sort()
      .map((key) => [key, Buffer.from(values[key] ?? '').toString('base64')]),
  );
  return { apiVersion: 'v1', kind: 'Secret', metadata: meta, type: 'Opaque', data };
}
