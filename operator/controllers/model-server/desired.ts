// The desired children of a ModelServer: a vLLM Deployment, its Service and, optionally, a PVC
// for the weights and the HPA or KEDA ScaledObject of its autoscaling engine. Pure: no clock, no
// randomness.
import type {
  KubernetesObject,
  V1Deployment,
  V1DeploymentStrategy,
  V1EnvVar,
  V1ObjectMeta,
  V1PodSpec,
  V1Toleration,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import type { ModelServer } from '../../api/v1alpha1/model-server.ts';
import { buildDeployment } from '../../resources/deployment.ts';
import { childMeta, ownerOf, selectorLabels, type Owner } from '../../resources/meta.ts';
import { buildPersistentVolumeClaim } from '../../resources/persistent-volume-claim.ts';
import { containerResources, envValue, httpProbe, mergeEnv, specEnv } from '../../resources/pod.ts';
import { buildService } from '../../resources/service.ts';
import { autoscalerObjects, NO_AUTOSCALING_INPUTS, type AutoscalingInputs } from './autoscaling.ts';
import { modelServerChildNames, VLLM_PORT } from './names.ts';
import { desiredReplicas } from '../../api/v1alpha1/model-server-funcs.ts';
import { inferencePoolObjects } from './inference-pool.ts';
import { buildPreloadJob } from './preload-job.ts';
import { holdsReplicas, modelArgument, NO_WEIGHTS_INPUTS, sourceVolume, weightsSource, type WeightsInputs } from './weights.ts';
import { VLLM_DEFAULT_REQUESTS } from '../../api/v1alpha1/resource-defaults.ts';
import { tracesUrlUnder } from '../../api/v1alpha1/tracing.ts';
import { sleepModeArgs, sleepModeEnv } from './sleep-mode.ts';

type Spec = ModelServer['spec'];

const WEIGHTS_PATH = '/models';
export const GPU_PRODUCT_LABEL = 'nvidia.com/gpu.product';

/** vLLM's command line, built from the spec; the user's extra args come last so they win. */
export function vllmArgs(spec: Spec): string[] {
  const args = [
    '--model',
    modelArgument(spec.model),
    '--served-model-name',
    spec.model.servedName ?? spec.model.id,
    '--host',
    '0.0.0.0',
    '--port',
    String(VLLM_PORT),
    '--tensor-parallel-size',
    String(spec.vllm.tensorParallelSize ?? Math.max(spec.gpu.count, 1)),
    '--gpu-memory-utilization',
    String(spec.vllm.gpuMemoryUtilization),
  ];
  // A revision names a Hugging Face commit; a claim or an image holds one set of files.
  if (spec.model.revision && weightsSource(spec.model).kind === 'hf') args.push('--revision', spec.model.revision);
  if (spec.vllm.maxModelLen) args.push('--max-model-len', String(spec.vllm.maxModelLen));
  if (spec.cache) args.push('--download-dir', WEIGHTS_PATH);
  if (spec.tracing) args.push('--otlp-traces-endpoint', tracesUrlUnder(spec.tracing.endpoint));
  return [...args, ...sleepModeArgs(spec), ...(spec.engine.args ?? [])];
}

/**
 * vLLM's tracing settings besides the endpoint flag: OTLP over HTTP (vLLM's default is gRPC, the
 * gateway's collector URL is HTTP) and the OpenTelemetry SDK's parent-based ratio sampler, so a
 * request the gateway traces is traced here too.
 */
function tracingEnv(spec: Spec): V1EnvVar[] {
  if (!spec.tracing) return [];
  return [
    envValue('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'http/protobuf'),
    envValue('OTEL_SERVICE_NAME', 'vllm'),
    envValue('OTEL_TRACES_SAMPLER', 'parentbased_traceidratio'),
    envValue('OTEL_TRACES_SAMPLER_ARG', String(spec.tracing.samplerRatio ?? 1)),
  ];
}

function gpuResources(spec: Spec) {
  // GPUs alone would leave the pod BestEffort: QoS counts only CPU and memory.
  const base = containerResources(spec.engine.resources ?? { requests: VLLM_DEFAULT_REQUESTS });
  if (spec.gpu.count === 0) return base;
  const gpus = { [spec.gpu.resourceName]: String(spec.gpu.count) };
  // Extended resources must have requests equal to limits; setting limits alone implies that.
  return { ...base, limits: { ...base.limits, ...gpus } };
}

/** GPU nodes are commonly tainted nvidia.com/gpu:NoSchedule; GPU pods tolerate that by default. */
function tolerations(spec: Spec): V1Toleration[] {
  const own = [...(spec.tolerations ?? []), ...(spec.podTemplate?.tolerations ?? [])];
  if (spec.gpu.count === 0 || own.some((t) => t.key === spec.gpu.resourceName)) return own;
  return [...own, { key: spec.gpu.resourceName, operator: 'Exists', effect: 'NoSchedule' }];
}

function nodeSelector(spec: Spec): Record<string, string> | undefined {
  const selector = {
    ...spec.podTemplate?.nodeSelector,
    ...spec.gpu.nodeSelector,
    ...(spec.gpu.product ? { [GPU_PRODUCT_LABEL]: spec.gpu.product } : {}),
  };
  return Object.keys(selector).length > 0 ? selector : undefined;
}

/**
 * maxSurge 0 by default: an update replaces a pod in place instead of needing a spare GPU
 * that may not exist (a surge pod would stay Pending and the rollout would never finish).
 */
function strategy(spec: Spec): V1DeploymentStrategy {
  if (spec.rollout.strategy === 'Recreate') return { type: 'Recreate' };
  return { type: 'RollingUpdate', rollingUpdate: { maxSurge: spec.rollout.maxSurge, maxUnavailable: spec.rollout.maxUnavailable } };
}

function volumes(ms: Owner, spec: Spec): { volumes: V1Volume[]; mounts: V1VolumeMount[] } {
  // vLLM's workers share tensors through /dev/shm; the container default (64 MiB) is far too small.
  const volumes: V1Volume[] = [{ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: '8Gi' } }];
  const mounts: V1VolumeMount[] = [{ name: 'dshm', mountPath: '/dev/shm' }];
  if (spec.cache) {
    volumes.push({ name: 'weights', persistentVolumeClaim: { claimName: modelServerChildNames(ms.name).weights } });
    mounts.push({ name: 'weights', mountPath: WEIGHTS_PATH });
  }
  const source = sourceVolume(spec.model);
  if (source) {
    volumes.push(source.volume);
    mounts.push(source.mount);
  }
  // The user's after ours; the schema keeps their names and paths off ours.
  volumes.push(...(spec.podTemplate?.volumes ?? []).map(extraVolume));
  mounts.push(
    ...(spec.podTemplate?.volumeMounts ?? []).map(({ name, mountPath, readOnly, subPath }) => ({
      name,
      mountPath,
      ...(readOnly === undefined ? {} : { readOnly }),
      ...(subPath ? { subPath } : {}),
    })),
  );
  return { volumes, mounts };
}

/** A podTemplate volume as a core/v1 Volume, field by field (quantities as strings, as the API server stores them). */
function extraVolume(volume: NonNullable<NonNullable<Spec['podTemplate']>['volumes']>[number]): V1Volume {
  const { name, emptyDir, configMap, secret, persistentVolumeClaim } = volume;
  if (emptyDir) {
    return {
      name,
      emptyDir: {
        ...(emptyDir.medium ? { medium: emptyDir.medium } : {}),
        ...(emptyDir.sizeLimit === undefined ? {} : { sizeLimit: String(emptyDir.sizeLimit) }),
      },
    };
  }
  if (configMap) return { name, configMap: { name: configMap.name } };
  if (secret) return { name, secret: { secretName: secret.secretName } };
  return {
    name,
    persistentVolumeClaim: {
      claimName: persistentVolumeClaim?.claimName ?? '',
      ...(persistentVolumeClaim?.readOnly === undefined ? {} : { readOnly: persistentVolumeClaim.readOnly }),
    },
  };
}

/** What spec.podTemplate sets on the pod itself (its scheduling and tolerations are merged above), only where set. */
function podOverrides(spec: Spec): Partial<V1PodSpec> {
  const { affinity, priorityClassName, serviceAccountName, imagePullSecrets, securityContext } = spec.podTemplate ?? {};
  return {
    // The schema refuses affinity and priorityClassName both at the top level and here.
    ...(affinity ? { affinity } : {}),
    ...(priorityClassName ? { priorityClassName } : {}),
    ...(serviceAccountName ? { serviceAccountName } : {}),
    ...(imagePullSecrets ? { imagePullSecrets } : {}),
    ...(securityContext ? { securityContext } : {}),
  };
}

function podSpec(owner: Owner, spec: Spec): V1PodSpec {
  const { volumes: podVolumes, mounts } = volumes(owner, spec);
  const selector = nodeSelector(spec);
  const tolerationList = tolerations(spec);
  const containerSecurity = spec.podTemplate?.containerSecurityContext;
  return {
    ...(selector ? { nodeSelector: selector } : {}),
    ...(tolerationList.length > 0 ? { tolerations: tolerationList } : {}),
    ...(spec.affinity ? { affinity: spec.affinity } : {}),
    ...(spec.runtimeClassName ? { runtimeClassName: spec.runtimeClassName } : {}),
    ...(spec.priorityClassName ? { priorityClassName: spec.priorityClassName } : {}),
    ...podOverrides(spec),
    // vLLM finishes in-flight requests on SIGTERM; give it time.
    terminationGracePeriodSeconds: 120,
    containers: [
      {
        name: 'vllm',
        image: spec.engine.image,
        args: vllmArgs(spec),
        ports: [{ name: 'http', containerPort: VLLM_PORT }],
        env: mergeEnv(
          [...(spec.cache ? [envValue('HF_HOME', WEIGHTS_PATH)] : []), ...tracingEnv(spec), ...sleepModeEnv(spec)],
          specEnv(spec.engine.env),
        ),
        resources: gpuResources(spec),
        // /health answers once the server is up; /v1/models only once the model is served. The kubelet
        // probes readiness only after the startup probe passed, so its period is time every cold start
        // may wait for nothing: every 2 s (up to an hour, 1800 tries), not 10 (up to 10 s lost per start).
        startupProbe: httpProbe('/health', 'http', { periodSeconds: 2, failureThreshold: 1800 }),
        readinessProbe: httpProbe('/v1/models', 'http', { periodSeconds: 5, failureThreshold: 3 }),
        livenessProbe: httpProbe('/health', 'http', { periodSeconds: 15, failureThreshold: 4 }),
        volumeMounts: mounts,
        ...(containerSecurity ? { securityContext: containerSecurity } : {}),
      },
    ],
    volumes: podVolumes,
  };
}

/** The user's labels and annotations, with the operator's labels winning (its selector depends on them). */
function podMetadata(owner: Owner, spec: Spec): V1ObjectMeta {
  const annotations = spec.podTemplate?.annotations;
  return {
    labels: { ...spec.podTemplate?.labels, ...childMeta(owner, '', 'vllm').labels },
    ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
}

/** `hold`: no replica yet, whatever the spec or an autoscaler wants (the weights are not loadable yet). */
export function buildModelDeployment(owner: Owner, spec: Spec, hold = false): V1Deployment {
  return buildDeployment(childMeta(owner, modelServerChildNames(owner.name).workload, 'vllm'), {
    selector: selectorLabels(owner, 'vllm'),
    replicas: hold ? 0 : desiredReplicas(spec),
    strategy: strategy(spec),
    template: { metadata: podMetadata(owner, spec), spec: podSpec(owner, spec) },
  });
}

/** What the cluster offers that some children depend on (optional APIs, image volumes) and the preload's progress. */
export interface ClusterInputs {
  inferencePoolServed: boolean;
  weights: WeightsInputs;
}

export const NO_CLUSTER_INPUTS: ClusterInputs = { inferencePoolServed: false, weights: NO_WEIGHTS_INPUTS };

export function desiredObjects(
  ms: ModelServer,
  autoscaling: AutoscalingInputs = NO_AUTOSCALING_INPUTS,
  cluster: ClusterInputs = NO_CLUSTER_INPUTS,
): KubernetesObject[] {
  const owner = ownerOf({ ...ms, kind: 'ModelServer' });
  const names = modelServerChildNames(owner.name);
  const preload = buildPreloadJob(owner, ms);
  const objects: KubernetesObject[] = [
    buildModelDeployment(owner, ms.spec, holdsReplicas(ms, cluster.weights)),
    buildService(childMeta(owner, names.workload, 'vllm'), {
      selector: selectorLabels(owner, 'vllm'),
      ports: [{ name: 'http', port: VLLM_PORT, targetPort: 'http' }],
    }),
    // One DNS record per pod, loading ones included: the gateway balances across replicas and
    // decides itself (by polling each one's health) when a replica takes traffic.
    buildService(childMeta(owner, names.pods, 'vllm'), {
      selector: selectorLabels(owner, 'vllm'),
      ports: [{ name: 'http', port: VLLM_PORT, targetPort: 'http' }],
      headless: true,
    }),
    ...autoscalerObjects(owner, ms, autoscaling),
    ...inferencePoolObjects(owner, ms, cluster.inferencePoolServed),
    ...(preload ? [preload] : []),
  ];
  if (ms.spec.cache) {
    objects.unshift(
      buildPersistentVolumeClaim(childMeta(owner, names.weights, 'vllm'), {
        size: String(ms.spec.cache.size),
        accessMode: ms.spec.cache.accessMode,
        ...(ms.spec.cache.storageClassName ? { storageClassName: ms.spec.cache.storageClassName } : {}),
      }),
    );
  }
  return objects;
}
