// Where a ModelServer's weights come from (model.source) and whether replicas may start: the
// volume and --model path each source needs, and the WeightsReady condition. hf:// (or no source)
// is downloaded by vLLM, or ahead of time by the preload Job into the cache PVC; pvc:// is an
// existing claim mounted read-only; oci:// is an image mounted read-only as an image volume, which
// only clusters with image volumes on (Kubernetes 1.35+) can run. Pure: no clock, no cluster reads.
import type { V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { ModelServerConditions as C, WeightsReasons } from '../../api/v1alpha1/conditions.ts';
import { VLLM_OWN_VOLUMES, type ModelServer } from '../../api/v1alpha1/model-server.ts';
import { condition, type ConditionInput } from '../conditions.ts';
import type { PreloadState } from './preload-job.ts';

type Model = ModelServer['spec']['model'];

export type WeightsSource = { kind: 'hf'; repo: string } | { kind: 'pvc'; claim: string; path: string } | { kind: 'oci'; image: string };

const SOURCE_VOLUME = 'model-source';
const SOURCE_PATH = VLLM_OWN_VOLUMES[SOURCE_VOLUME];

/** model.source parsed (the schema has checked its shape); no source means model.id on Hugging Face. */
export function weightsSource(model: Model): WeightsSource {
  const source = model.source ?? '';
  if (source.startsWith('pvc://')) {
    const [claim = '', ...path] = source.slice('pvc://'.length).split('/');
    return { kind: 'pvc', claim, path: path.filter((p) => p !== '').join('/') };
  }
  if (source.startsWith('oci://')) return { kind: 'oci', image: source.slice('oci://'.length) };
  if (source.startsWith('hf://')) return { kind: 'hf', repo: source.slice('hf://'.length) };
  return { kind: 'hf', repo: model.id };
}

/** What vLLM's --model gets: the repository for hf://, the mounted directory otherwise. */
export function modelArgument(model: Model): string {
  const source = weightsSource(model);
  if (source.kind === 'hf') return source.repo;
  if (source.kind === 'pvc' && source.path) return `${SOURCE_PATH}/${source.path}`;
  return SOURCE_PATH;
}

/** The read-only volume a pvc:// or oci:// source mounts in the vLLM container; none for hf://. */
export function sourceVolume(model: Model): { volume: V1Volume; mount: V1VolumeMount } | undefined {
  const source = weightsSource(model);
  const mount = { name: SOURCE_VOLUME, mountPath: SOURCE_PATH, readOnly: true };
  if (source.kind === 'pvc')
    return { volume: { name: SOURCE_VOLUME, persistentVolumeClaim: { claimName: source.claim, readOnly: true } }, mount };
  // IfNotPresent: a tag is pulled once per node, and a digest never changes.
  if (source.kind === 'oci')
    return { volume: { name: SOURCE_VOLUME, image: { reference: source.image, pullPolicy: 'IfNotPresent' } }, mount };
  return undefined;
}

export interface WeightsInputs {
  /** Whether the cluster's Kubernetes version runs image volumes by default (1.35+); asked only for oci://. */
  imageVolumes: boolean;
  /** The preload Job's state, with cache.preload. */
  preload: PreloadState;
  /** Whether a replica serves now (the Deployment has a ready one). */
  serving: boolean;
}

export const NO_WEIGHTS_INPUTS: WeightsInputs = { imageVolumes: true, preload: 'none', serving: false };

/** WeightsReady: present with model.source or cache.preload. */
export function weightsCondition(ms: ModelServer, inputs: WeightsInputs): ConditionInput | undefined {
  if (!ms.spec.model.source && inputs.preload === 'none') return undefined;
  const source = weightsSource(ms.spec.model);
  if (source.kind === 'oci') {
    if (!inputs.imageVolumes) {
      return condition(
        C.WeightsReady,
        false,
        WeightsReasons.ImageVolumesUnsupported,
        `model.source oci://${source.image} needs image volumes, on by default from Kubernetes 1.35, and this cluster is older: upgrade, or use hf:// or pvc://. No replica starts.`,
      );
    }
    return condition(
      C.WeightsReady,
      true,
      WeightsReasons.ImageMounted,
      `The weights are the image ${source.image}, mounted read-only at ${SOURCE_PATH}.`,
    );
  }
  if (source.kind === 'pvc') {
    return condition(
      C.WeightsReady,
      true,
      WeightsReasons.ClaimMounted,
      `The weights are read from PersistentVolumeClaim ${source.claim}, mounted read-only.`,
    );
  }
  if (inputs.preload === 'running')
    return condition(
      C.WeightsReady,
      false,
      WeightsReasons.Preloading,
      `Preloading ${source.repo} into the cache; replicas start when it completes.`,
    );
  if (inputs.preload === 'failed')
    return condition(
      C.WeightsReady,
      false,
      WeightsReasons.PreloadFailed,
      `The preload Job for ${source.repo} failed; its pod's logs say why. Replicas stay at zero.`,
    );
  if (inputs.preload === 'complete') return condition(C.WeightsReady, true, WeightsReasons.Preloaded, `${source.repo} is in the cache.`);
  return condition(
    C.WeightsReady,
    true,
    WeightsReasons.DownloadedAtStart,
    `vLLM downloads ${source.repo} from Hugging Face when a replica starts.`,
  );
}

/**
 * Replicas are held at zero while the weights cannot be loaded yet (or at all): before the first
 * replica starts, not after. A new model or revision preloads beside the replicas that serve (the
 * rollout's new pods download what the Job has not yet): holding them would turn an update into an
 * outage.
 */
export function holdsReplicas(ms: ModelServer, inputs: WeightsInputs): boolean {
  const weights = weightsCondition(ms, inputs);
  if (weights?.status !== 'False') return false;
  return !(inputs.serving && (weights.reason === WeightsReasons.Preloading || weights.reason === WeightsReasons.PreloadFailed));
}
