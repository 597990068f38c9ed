// cache.preload: a Job that downloads the Hugging Face weights into the ModelServer's cache PVC
// before the first replica starts, so no replica spends its cold start downloading. The Job runs
// the engine image (vllm/vllm-openai carries the Hub's CLI) with the engine's environment (HF_TOKEN),
// and its name carries a hash of what it downloads: a new model or revision is a new Job, and a
// finished Job stays (it is the record that the cache is filled). Pure: no clock, no cluster reads.
import { createHash } from 'node:crypto';
import type { V1Job } from '@kubernetes/client-node';
import type { ModelServer } from '../../api/v1alpha1/model-server.ts';
import { buildJob } from '../../resources/job.ts';
import { childMeta, type Owner } from '../../resources/meta.ts';
import { envValue, mergeEnv, specEnv } from '../../resources/pod.ts';
import { modelServerChildNames } from './names.ts';
import { weightsSource } from './weights.ts';

/** Where the cache PVC is mounted, in the Job as in the vLLM pods (vLLM's --download-dir). */
export const CACHE_PATH = '/models';

/** none: no preload asked; running: the Job is (about to be) at work; complete / failed: as the Job says. */
export type PreloadState = 'none' | 'running' | 'complete' | 'failed';

/** A large model over a slow link takes hours; a Job that never ends would hold replicas at zero forever. */
const PRELOAD_DEADLINE_SECONDS = 6 * 3600;

export function wantsPreload(ms: ModelServer): boolean {
  return ms.spec.cache?.preload === true && weightsSource(ms.spec.model).kind === 'hf';
}

/** What the Job downloads: repository and revision, the same as vLLM would. */
function download(ms: ModelServer): { repo: string; revision: string | undefined } {
  const source = weightsSource(ms.spec.model);
  return { repo: source.kind === 'hf' ? source.repo : '', revision: ms.spec.model.revision };
}

export function preloadJobName(ms: ModelServer): string {
  const { repo, revision } = download(ms);
  const hash = createHash('sha256')
    .update(`${repo}@${revision ?? ''}`)
    .digest('hex')
    .slice(0, 8);
  return `${modelServerChildNames(ms.metadata?.name ?? '').weights}-preload-${hash}`;
}

/**
 * The downloader's command line, in one place. `hf download` is the Hub CLI's current name and
 * `huggingface-cli download` its older one (images before huggingface_hub 0.34 have only that);
 * --cache-dir is vLLM's --download-dir, so vLLM finds the files where it would have put them. The
 * repository and revision are passed as arguments, never spliced into the script.
 */
export function preloadCommand(repo: string, revision: string | undefined): string[] {
  const script = [
    'set -e',
    `if command -v hf >/dev/null 2>&1; then exec hf download "$@" --cache-dir ${CACHE_PATH}; fi`,
    `exec huggingface-cli download "$@" --cache-dir ${CACHE_PATH}`,
  ].join('\n');
  return ['sh', '-c', script, 'preload', repo, ...(revision ? ['--revision', revision] : [])];
}

/** The preload Job, when cache.preload asks for one. */
export function buildPreloadJob(owner: Owner, ms: ModelServer): V1Job | undefined {
  if (!wantsPreload(ms)) return undefined;
  const { spec } = ms;
  const { repo, revision } = download(ms);
  const { securityContext, containerSecurityContext, serviceAccountName, imagePullSecrets } = spec.podTemplate ?? {};
  return buildJob(
    childMeta(owner, preloadJobName(ms), 'preload'),
    {
      metadata: { labels: childMeta(owner, '', 'preload').labels },
      spec: {
        ...(serviceAccountName ? { serviceAccountName } : {}),
        ...(imagePullSecrets ? { imagePullSecrets } : {}),
        ...(securityContext ? { securityContext } : {}),
        containers: [
          {
            name: 'preload',
            image: spec.engine.image,
            command: preloadCommand(repo, revision),
            env: mergeEnv([envValue('HF_HOME', CACHE_PATH)], specEnv(spec.engine.env)),
            // A download is network and disk, not compute: a small request, so it schedules anywhere.
            resources: { requests: { cpu: '100m', memory: '512Mi' } },
            volumeMounts: [{ name: 'weights', mountPath: CACHE_PATH }],
            ...(containerSecurityContext ? { securityContext: containerSecurityContext } : {}),
          },
        ],
        volumes: [{ name: 'weights', persistentVolumeClaim: { claimName: modelServerChildNames(owner.name).weights } }],
      },
    },
    { backoffLimit: 3, activeDeadlineSeconds: PRELOAD_DEADLINE_SECONDS },
  );
}

/** The preload's state from its Job's conditions (Complete or Failed, as the Job controller sets them). */
export function preloadState(ms: ModelServer, job: V1Job | undefined): PreloadState {
  if (!wantsPreload(ms)) return 'none';
  const holds = (type: string) => job?.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
  if (holds('Complete')) return 'complete';
  if (holds('Failed')) return 'failed';
  return 'running';
}
