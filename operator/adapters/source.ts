// What vLLM is told to load for an adapter's source, and which claims the replicas must mount.
// Pure: the schema has already checked the source's shape (ADAPTER_SOURCE_PATTERN).
import { ADAPTERS_MOUNT_ROOT, type LoraAdapter } from '../api/v1alpha1/adapters.ts';

const HF = 'hf://';
const PVC = 'pvc://';

/** The claim of a pvc:// source and the path inside it; undefined for other sources. */
export function pvcSource(source: string): { claim: string; path: string } | undefined {
  if (!source.startsWith(PVC)) return undefined;
  const rest = source.slice(PVC.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? { claim: rest, path: '' } : { claim: rest.slice(0, slash), path: rest.slice(slash + 1) };
}

/**
 * vLLM's lora_path for a source: a Hugging Face repository id (vLLM downloads it), the directory
 * where the replica mounts the claim, or a URL as written (for a server that can fetch one).
 */
export function adapterPath(source: string): string {
  if (source.startsWith(HF)) return source.slice(HF.length);
  const pvc = pvcSource(source);
  if (pvc) return `${ADAPTERS_MOUNT_ROOT}/${pvc.claim}${pvc.path ? `/${pvc.path.replace(/^\/+/, '')}` : ''}`;
  return source;
}

/** The claims pvc:// adapters live in, each once, sorted (the pod's volumes must be deterministic). */
export function adapterClaims(adapters: readonly LoraAdapter[]): string[] {
  return [...new Set(adapters.flatMap((a) => pvcSource(a.source)?.claim ?? []))].sort();
}
