// Deciding whether a child needs a write. Applying an unchanged object is harmless but still a
// request; at steady state the operator should send none. A child is up to date when the hash of
// what we last applied matches (catches fields we stopped setting) and every field we set still
// has our value (catches someone else's edits).
import type { KubernetesObject } from '@kubernetes/client-node';
import { GROUP } from '../api/v1alpha1/group.ts';
import { shortHash } from '../resources/meta.ts';

export const APPLIED_HASH_ANNOTATION = `${GROUP}/applied-hash`;

/** `desired` with an annotation recording its own hash. */
export function withAppliedHash<T extends KubernetesObject>(desired: T): T {
  const hash = shortHash(desired, 16);
  return { ...desired, metadata: { ...desired.metadata, annotations: { ...desired.metadata?.annotations, [APPLIED_HASH_ANNOTATION]: hash } } };
}

/** True when every value in `want` is present and equal in `have` (extra fields in `have` are fine). */
export function isSubset(want: unknown, have: unknown): boolean {
  if (Array.isArray(want)) {
    return Array.isArray(have) && want.length === have.length && want.every((w, i) => isSubset(w, have[i]));
  }
  if (want !== null && typeof want === 'object') {
    if (have === null || typeof have !== 'object' || Array.isArray(have)) return false;
    const h = have as Record<string, unknown>;
    return Object.entries(want as Record<string, unknown>).every(([k, v]) => v === undefined || isSubset(v, h[k]));
  }
  return want === have;
}

/** Whether `live` already is what applying `desired` would make it. */
export function isUpToDate(desired: KubernetesObject, live: KubernetesObject | undefined): boolean {
  if (!live) return false;
  const stamped = withAppliedHash(desired);
  if (live.metadata?.annotations?.[APPLIED_HASH_ANNOTATION] !== stamped.metadata?.annotations?.[APPLIED_HASH_ANNOTATION]) return false;
  const { metadata: wantMeta, ...wantRest } = stamped;
  const { metadata: haveMeta, ...haveRest } = live;
  return isSubset(wantRest, haveRest) && isSubset({ labels: wantMeta?.labels, annotations: wantMeta?.annotations }, haveMeta);
}
