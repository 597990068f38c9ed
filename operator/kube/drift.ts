// Deciding whether a child needs a write. Applying an unchanged object is harmless but still a
// request; at steady state the operator should send none. A child is up to date when the hash of
// what we last applied matches (catches fields we stopped setting) and every field we set still
// has our value (catches someone else's edits).
//
// "Still has our value" means: as the API server stores it, which is not always as we sent it.
// The server drops empty omitempty fields (`env: []`, `labels: {}`, `value: ""`) and rewrites
// quantities in canonical form (`cpu: "0.5"` is stored as "500m", `1.5Gi` as "1536Mi"). Compared
// literally, such a child would look drifted after every apply and be re-applied forever.
import type { KubernetesObject } from '@kubernetes/client-node';
import { GROUP } from '../api/v1alpha1/group.ts';
import { shortHash } from '../utils.ts';

export const APPLIED_HASH_ANNOTATION = `${GROUP}/applied-hash`;

/** `desired` with an annotation recording its own hash. */
export function withAppliedHash<T extends KubernetesObject>(desired: T): T {
  const hash = shortHash(desired, 16);
  return {
    ...desired,
    metadata: { ...desired.metadata, annotations: { ...desired.metadata?.annotations, [APPLIED_HASH_ANNOTATION]: hash } },
  };
}

/** Where a value sits: its own key and its parent object's key (list positions do not count). */
interface Where {
  key: string;
  parent: string;
}

const ROOT: Where = { key: '', parent: '' };

/**
 * True when every value in `want` (what we would apply) is present and equal in `have` (what the
 * API server returned), reading `want` as the server would store it. Extra fields in `have`
 * (defaults, other managers' fields) are fine.
 */
export function isSubset(want: unknown, have: unknown): boolean {
  return holds(want, have, ROOT);
}

function holds(want: unknown, have: unknown, where: Where): boolean {
  if (want === undefined) return true;
  if ((have === undefined || have === null) && isDroppedByServer(want, where)) return true;
  if (Array.isArray(want)) {
    if (!Array.isArray(have)) return false;
    if (NAME_KEYED_LISTS.has(where.key)) return want.every((w) => holds(w, itemNamed(have, w), where));
    return want.length === have.length && want.every((w, i) => holds(w, have[i], where));
  }
  if (isPlainObject(want)) {
    if (!isPlainObject(have)) return false;
    return Object.entries(want).every(([key, w]) => holds(w, have[key], { key, parent: where.key }));
  }
  if (isQuantityAt(where)) return sameQuantity(want, have);
  return want === have;
}

/**
 * Lists the API server merges by item name (`x-kubernetes-list-type: map`, key `name`): containers,
 * env, volumes, ... Server-side apply leaves items another manager added (`kubectl set env`, a
 * mutating webhook) in place, so an extra item is not drift: requiring the same length would
 * re-apply forever. Our items are matched by name, wherever they stand. Other lists (args,
 * tolerations) are atomic: an apply replaces them whole, so they must match exactly.
 */
const NAME_KEYED_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers', 'env', 'volumes', 'imagePullSecrets']);

function itemNamed(list: unknown[], want: unknown): unknown {
  const name = isPlainObject(want) ? want.name : undefined;
  return list.find((item) => isPlainObject(item) && item.name === name);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Fields whose value is a map with string values (labels, a ConfigMap's data, a selector). An
 * empty map is dropped like any empty omitempty field, but an empty string inside one is a value
 * the server keeps: it must not stand for "absent" there.
 */
const STRING_MAPS = new Set(['labels', 'annotations', 'data', 'binaryData', 'stringData', 'matchLabels', 'nodeSelector', 'selector']);

/**
 * Whether the API server stores `want` as no field at all. Almost every optional list, map and
 * string in the Kubernetes API is `omitempty`, so `env: []`, `labels: {}`, `matchFields: []` and
 * an EnvVar's `value: ""` disappear. (A list that is not omitempty can come back as null after
 * the protobuf round trip through etcd, so null counts as absent too.) Where the server keeps an
 * empty value, e.g. `emptyDir: {}` or `resources: {}` (structs, not maps), it is stored and
 * compares equal anyway. Not `false` or `0`: those are kept where they matter (pointer fields
 * such as `allowPrivilegeEscalation: false` or `replicas: 0`), and an edit that removes one must
 * still count as drift.
 */
function isDroppedByServer(want: unknown, where: Where): boolean {
  if (Array.isArray(want)) return want.length === 0;
  if (isPlainObject(want)) return Object.keys(want).length === 0;
  return want === '' && !STRING_MAPS.has(where.parent);
}

// ---- Quantities (k8s.io/apimachinery/pkg/api/resource) ----

/** Maps whose values are all quantities: a container's or a claim's `requests`/`limits`, a quota's `hard`. */
const QUANTITY_MAPS = new Set(['requests', 'limits', 'capacity', 'hard', 'overhead']);
/** Single quantity fields: an emptyDir's `sizeLimit`, an HPA MetricTarget's `averageValue` (and `target.value`). */
const QUANTITY_FIELDS = new Set(['sizeLimit', 'averageValue']);

function isQuantityAt(where: Where): boolean {
  return QUANTITY_MAPS.has(where.parent) || QUANTITY_FIELDS.has(where.key) || (where.key === 'value' && where.parent === 'target');
}

/** Equal as quantities ("0.5" and "500m"); when either is not a quantity, equal as written. */
function sameQuantity(want: unknown, have: unknown): boolean {
  const wantNanos = quantityNanos(want);
  const haveNanos = quantityNanos(have);
  return wantNanos !== undefined && haveNanos !== undefined ? wantNanos === haveNanos : want === have;
}

// Maps, not object literals: a suffix such as "toString" must find nothing.
const DECIMAL_SUFFIXES: ReadonlyMap<string, number> = new Map(
  Object.entries({ n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 }),
);
const BINARY_SUFFIXES: ReadonlyMap<string, number> = new Map(Object.entries({ Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 }));
const QUANTITY_SYNTAX = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$/;
const EXPONENT_SUFFIX = /^[eE]([+-]?[0-9]+)$/;
/** Far beyond any real quantity; keeps a hostile "1e999999999" from building a huge BigInt. */
const MAX_DECIMAL_EXPONENT = 100;
const NANOS_PER_UNIT = 10n ** 9n;
/** The server caps binary-suffixed amounts (Ki..Ei) at the largest int64. */
const MAX_BINARY_NANOS = (2n ** 63n - 1n) * NANOS_PER_UNIT;

/** A suffix's power of ten and power of two ("Mi" → 2^20, "k" → 10^3, "e-2" → 10^-2). */
function suffixScale(suffix: string): { pow10: number; pow2: number } | undefined {
  const binary = BINARY_SUFFIXES.get(suffix);
  if (binary !== undefined) return { pow10: 0, pow2: binary };
  const decimal = DECIMAL_SUFFIXES.get(suffix);
  if (decimal !== undefined) return { pow10: decimal, pow2: 0 };
  const exponent = EXPONENT_SUFFIX.exec(suffix)?.[1];
  if (exponent === undefined || Math.abs(Number(exponent)) > MAX_DECIMAL_EXPONENT) return undefined;
  return { pow10: Number(exponent), pow2: 0 };
}

/** ⌈n / d⌉ for n ≥ 0, d > 0. */
function divideRoundingUp(n: bigint, d: bigint): bigint {
  return (n + d - 1n) / d;
}

/**
 * A Kubernetes resource quantity's value in nano-units, the precision the API server keeps:
 * "0.5", "500m" and "500000000n" are all 500000000n; "1.5Gi" and "1536Mi" are equal; "1e3" is
 * "1k". Finer amounts are rounded up, away from zero, as the server does ("0.1n" is stored as
 * "1n"). undefined when `value` is not a quantity. A number counts as its decimal text (0.5 as "0.5").
 */
export function quantityNanos(value: unknown): bigint | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const [, sign, whole = '', fraction = '', suffix = ''] = QUANTITY_SYNTAX.exec(String(value)) ?? [];
  if (sign === undefined || whole + fraction === '') return undefined;
  const scale = suffixScale(suffix);
  if (!scale) return undefined;
  const digits = BigInt(whole + fraction) * 2n ** BigInt(scale.pow2);
  const pow10 = scale.pow10 - fraction.length + 9;
  let nanos = pow10 >= 0 ? digits * 10n ** BigInt(pow10) : divideRoundingUp(digits, 10n ** BigInt(-pow10));
  if (scale.pow2 > 0 && nanos > MAX_BINARY_NANOS) nanos = MAX_BINARY_NANOS;
  return sign === '-' ? -nanos : nanos;
}

/**
 * Whether `live` already is what applying `desired` would make it. `apiVersion` and `kind` are not
 * compared: the items of a list response carry neither, so every object the informer's first list
 * (at start, after a 410) put in the cache would look drifted, and an apply that changes nothing
 * makes no watch event to replace it: re-applied forever. The cache they come from is the kind's
 * own, and a new apiVersion changes the applied hash.
 */
export function isUpToDate(desired: KubernetesObject, live: KubernetesObject | undefined): boolean {
  if (!live) return false;
  const stamped = withAppliedHash(desired);
  if (live.metadata?.annotations?.[APPLIED_HASH_ANNOTATION] !== stamped.metadata?.annotations?.[APPLIED_HASH_ANNOTATION]) return false;
  // isSubset skips what `want` leaves undefined.
  const body = { ...stamped, apiVersion: undefined, kind: undefined, metadata: undefined };
  const meta = { labels: stamped.metadata?.labels, annotations: stamped.metadata?.annotations };
  return isSubset(body, live) && isSubset(meta, live.metadata);
}
