// Small helpers with no Kubernetes in them, used across the operator (controllers, kube, the
// autoscaler): one place, so no layer imports another just for a helper.
import { createHash } from 'node:crypto';

/** A short, stable hash for names and annotations (e.g. config hashes, versioned Job names). */
export function shortHash(value: unknown, length = 10): string {
  return createHash('sha256').update(stableJson(value)).digest('hex').slice(0, length);
}

/** JSON with object keys sorted, so equal values always hash equally. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** "1 replica", "3 replicas". */
export function plural(n: number, word: string): string {
  return `${String(n)} ${word}${n === 1 ? '' : 's'}`;
}

/** An error's message, or the thrown value as text. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
