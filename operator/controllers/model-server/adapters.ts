// What spec.adapters adds to the vLLM pod: LoRA flags, the runtime-update switch, and the claims
// of pvc:// adapters. Pure.
//
// When does a change to the adapter list restart the replicas? Only when the dynamic API cannot
// apply it: LoRA must be switched on at start (--enable-lora, so the first adapter added, or the
// last removed, restarts them), --max-loras is fixed at start, and a claim not yet mounted needs a
// new volume. Anything else (adding, removing or re-pointing adapters) leaves the pod template
// alone: `keepRunningLoraModules` puts back the --lora-modules the running pods started with, and
// the adapter sync (operator/adapters/) loads and unloads on the running replicas. A pod that starts
// later with an older --lora-modules is brought up to date by the same sync.
import type { KubernetesObject, V1Deployment, V1EnvVar, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { ADAPTERS_MOUNT_ROOT, type LoraAdapter } from '../../api/v1alpha1/adapters.ts';
import type { ModelServer } from '../../api/v1alpha1/model-server.ts';
import { adapterClaims, adapterPath } from '../../adapters/source.ts';
import { envValue } from '../../resources/pod.ts';
import { shortHash } from '../../utils.ts';

type Spec = ModelServer['spec'];

export const LORA_MODULES_FLAG = '--lora-modules';
/** vLLM's own default is 1: a batch could then mix the base model with one adapter only. */
export const DEFAULT_MAX_LORAS = 4;
/** vLLM refuses /v1/load_lora_adapter and /v1/unload_lora_adapter without it. */
export const RUNTIME_LORA_ENV = 'VLLM_ALLOW_RUNTIME_LORA_UPDATING';

function adaptersOf(spec: Spec): LoraAdapter[] {
  return spec.adapters ?? [];
}

/** One --lora-modules value, in the JSON form vLLM (and llm-d-inference-sim) read. */
export function loraModule(adapter: LoraAdapter): string {
  return JSON.stringify({ name: adapter.name, path: adapterPath(adapter.source) });
}

/** The LoRA part of vLLM's command line; empty without adapters. */
export function loraArgs(spec: Spec): string[] {
  const adapters = adaptersOf(spec);
  if (adapters.length === 0) return [];
  return [
    '--enable-lora',
    '--max-loras',
    String(spec.vllm.maxLoras ?? DEFAULT_MAX_LORAS),
    LORA_MODULES_FLAG,
    ...[...adapters].sort((a, b) => a.name.localeCompare(b.name)).map(loraModule),
  ];
}

export function loraEnv(spec: Spec): V1EnvVar[] {
  return adaptersOf(spec).length > 0 ? [envValue(RUNTIME_LORA_ENV, 'True')] : [];
}

function claimVolumeName(claim: string): string {
  return `lora-${shortHash(claim)}`;
}

/** The claims of pvc:// adapters, mounted read-only at /adapters/<claim>. */
export function loraVolumes(spec: Spec): { volumes: V1Volume[]; mounts: V1VolumeMount[] } {
  const claims = adapterClaims(adaptersOf(spec));
  return {
    volumes: claims.map((claim) => ({ name: claimVolumeName(claim), persistentVolumeClaim: { claimName: claim, readOnly: true } })),
    mounts: claims.map((claim) => ({ name: claimVolumeName(claim), mountPath: `${ADAPTERS_MOUNT_ROOT}/${claim}`, readOnly: true })),
  };
}

/**
 * The vLLM Deployment with spec.adapters applied: LoRA flags before the user's engine.args (which
 * still win), the runtime-update switch under the user's env (which wins too), the claims mounted.
 * The identity without adapters, so a ModelServer without them is built exactly as before.
 */
export function withAdapters(deployment: V1Deployment, spec: Spec): V1Deployment {
  const template = deployment.spec?.template;
  const pod = template?.spec;
  if (adaptersOf(spec).length === 0 || !deployment.spec || !template || !pod) return deployment;
  const extra = loraVolumes(spec);
  const userArgs = spec.engine.args?.length ?? 0;
  const containers = pod.containers.map((c, i) => {
    if (i !== 0) return c;
    const args = c.args ?? [];
    const own = args.slice(0, args.length - userArgs);
    const env = c.env ?? [];
    return {
      ...c,
      args: [...own, ...loraArgs(spec), ...args.slice(args.length - userArgs)],
      env: [...loraEnv(spec).filter((e) => !env.some((x) => x.name === e.name)), ...env],
      ...(extra.mounts.length > 0 ? { volumeMounts: [...(c.volumeMounts ?? []), ...extra.mounts] } : {}),
    };
  });
  const volumes = extra.volumes.length > 0 ? { volumes: [...(pod.volumes ?? []), ...extra.volumes] } : {};
  return { ...deployment, spec: { ...deployment.spec, template: { ...template, spec: { ...pod, containers, ...volumes } } } };
}

/** The args with the values of --lora-modules cut out, and those values. */
export function splitLoraModules(args: readonly string[]): { rest: string[]; modules: string[] | undefined } {
  const at = args.indexOf(LORA_MODULES_FLAG);
  if (at < 0) return { rest: [...args], modules: undefined };
  let end = at + 1;
  while (end < args.length && !(args[end] ?? '').startsWith('--')) end++;
  return { rest: [...args.slice(0, at + 1), ...args.slice(end)], modules: args.slice(at + 1, end) };
}

function sameArgs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * `desired` with the running Deployment's --lora-modules values when nothing else in vLLM's
 * command line differs: a changed adapter list alone must not roll the pods (see the top of the
 * file). A different command line rolls them anyway, and they start with the current list.
 */
export function keepRunningLoraModules(desired: V1Deployment, running: V1Deployment | undefined): V1Deployment {
  const want = desired.spec?.template.spec?.containers[0];
  const have = running?.spec?.template.spec?.containers.find((c) => c.name === want?.name);
  const args = want?.args && have?.args ? argsKeepingModules(want.args, have.args) : undefined;
  const template = desired.spec?.template;
  if (!args || !desired.spec || !template?.spec) return desired;
  const containers = template.spec.containers.map((c) => (c === want ? { ...c, args } : c));
  return { ...desired, spec: { ...desired.spec, template: { ...template, spec: { ...template.spec, containers } } } };
}

/** `wanted` with the --lora-modules values of `existing`, when the rest of both is the same; else undefined. */
function argsKeepingModules(wanted: readonly string[], existing: readonly string[]): string[] | undefined {
  const want = splitLoraModules(wanted);
  const have = splitLoraModules(existing);
  if (!want.modules || !have.modules || !sameArgs(want.rest, have.rest)) return undefined;
  const at = want.rest.indexOf(LORA_MODULES_FLAG) + 1;
  return [...want.rest.slice(0, at), ...have.modules, ...want.rest.slice(at)];
}

/** The desired children with the vLLM Deployment's adapters applied, keeping the running --lora-modules where that alone differs. */
export function withAdaptersApplied(
  objects: readonly KubernetesObject[],
  spec: Spec,
  running: V1Deployment | undefined,
): KubernetesObject[] {
  return objects.map((o) => (o.kind === 'Deployment' ? keepRunningLoraModules(withAdapters(o as V1Deployment, spec), running) : o));
}
