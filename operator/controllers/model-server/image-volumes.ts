// Whether the cluster runs image volumes (pod volumes[].image), which an oci:// model source needs.
// The API server accepts the field where the feature gate is off and the kubelet would then start a
// pod without the volume; so the operator does not try: it asks the server's version (the discovery
// API's /version) and counts image volumes as present from 1.35, where they are on by default.
// Asked only for a ModelServer with an oci:// source, and at most once per TTL.
import { VersionApi, type VersionInfo } from '@kubernetes/client-node';
import type { Kube } from '../../kube/client.ts';

/** The first minor of Kubernetes 1.x with image volumes on by default (beta, KEP-4639). */
export const IMAGE_VOLUMES_DEFAULT_MINOR = 35;
const TTL_MS = 10 * 60_000;

/** 1.35 and later; a provider's "35+" minor counts as 35. */
export function imageVolumesByDefault(version: Pick<VersionInfo, 'major' | 'minor'>): boolean {
  const major = Number.parseInt(version.major, 10);
  const minor = Number.parseInt(version.minor, 10);
  return major > 1 || (major === 1 && minor >= IMAGE_VOLUMES_DEFAULT_MINOR);
}

const answers = new WeakMap<Kube, { at: number; supported: Promise<boolean> }>();

/** Asks the API server its version, remembering the answer for a while (an upgrade restarts nothing of ours). */
export function imageVolumesSupported(kube: Kube, now: number): Promise<boolean> {
  const known = answers.get(kube);
  if (known && now - known.at < TTL_MS) return known.supported;
  const supported = kube.kc.makeApiClient(VersionApi).getCode().then(imageVolumesByDefault);
  // A failed ask is not remembered: the reconcile fails and is retried.
  supported.catch(() => answers.delete(kube));
  answers.set(kube, { at: now, supported });
  return supported;
}
