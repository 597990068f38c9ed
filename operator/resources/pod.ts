// Pieces of pod specs shared by every workload the operator generates.
import type { V1EnvVar, V1PodSecurityContext, V1Probe, V1ResourceRequirements, V1SecurityContext } from '@kubernetes/client-node';
import type { EnvVar } from '../api/v1alpha1/common.ts';
import type Type from 'typebox';

type SpecEnvVar = Type.Static<typeof EnvVar>;

export function envValue(name: string, value: string): V1EnvVar {
  return { name, value };
}

export function envFromSecret(name: string, ref: { name: string; key: string }, optional = false): V1EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key, ...(optional ? { optional: true } : {}) } } };
}

/** The spec's env entries as Kubernetes EnvVars: a literal or a Secret key, never an inline secret. */
export function specEnv(env: SpecEnvVar[] | undefined): V1EnvVar[] {
  return (env ?? []).map((e) =>
    e.secretKeyRef ? envFromSecret(e.name, { name: e.secretKeyRef.name, key: e.secretKeyRef.key }) : envValue(e.name, e.value ?? ''),
  );
}

/** Our variables first, then the user's; a user variable with the same name replaces ours. */
export function mergeEnv(ours: V1EnvVar[], theirs: V1EnvVar[]): V1EnvVar[] {
  const overridden = new Set(theirs.map((e) => e.name));
  return [...ours.filter((e) => !overridden.has(e.name)), ...theirs];
}

export function httpProbe(path: string, port: string, timing: Partial<V1Probe>): V1Probe {
  return { httpGet: { path, port }, ...timing };
}

export const restrictedPodSecurity: V1PodSecurityContext = {
  runAsNonRoot: true,
  seccompProfile: { type: 'RuntimeDefault' },
};

/**
 * Our images' user: numeric (distroless's `nonroot`), because a kubelet can only prove that a
 * container honours runAsNonRoot when the user is a number. Set in the pod as well, so that a
 * custom image built with a named user still starts.
 */
export const NONROOT_UID = 65532;

export const ourImagePodSecurity: V1PodSecurityContext = {
  ...restrictedPodSecurity,
  runAsUser: NONROOT_UID,
  runAsGroup: NONROOT_UID,
};

export const restrictedContainerSecurity: V1SecurityContext = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
};

type Quantities = Record<string, string | number> | undefined;

/** The spec's resources as Kubernetes expects them (quantities as strings, e.g. 2 → "2"). */
export function containerResources(resources: { requests?: Quantities; limits?: Quantities }): V1ResourceRequirements {
  const asStrings = (q: Quantities): Record<string, string> | undefined =>
    q === undefined ? undefined : Object.fromEntries(Object.entries(q).map(([k, v]) => [k, String(v)]));
  const requests = asStrings(resources.requests);
  const limits = asStrings(resources.limits);
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}
