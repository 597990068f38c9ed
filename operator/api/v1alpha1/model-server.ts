// ModelServer: one model served by vLLM on GPUs, autoscaled (to zero if asked).
// Single source of truth for the type and for crds/perpetual.ai_modelservers.yaml.
import Type from 'typebox';
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  ContainerSecurityContext,
  EnvVar,
  modelName,
  nameRule,
  PodSecurityContext,
  PodTemplateOverrides,
  Resources,
  statusBase,
  Toleration,
} from './common.ts';
import { VLLM_DEFAULT_REQUESTS, withResourceDefault } from './resource-defaults.ts';
import { AdapterStatus, LoraAdapter } from './adapters.ts';
import type { V1Affinity } from '@kubernetes/client-node';
import { affinity, IMAGE_REFERENCE_PATTERN, imageReference, quantity, stringEnum, stringMap, withRules } from './schema-helpers.ts';
import { tracingSettings } from './tracing.ts';

/** The longest vllm.maxModelLen: 2^31-1, a length vLLM and its kernels can hold. */
export const MAX_MODEL_LEN = 2_147_483_647;

/**
 * vLLM flags that only mean something with GPUs, refused in engine.args when gpu.count is 0 (the
 * operator itself passes --tensor-parallel-size 1, and a --gpu-memory-utilization vLLM's CPU backend ignores).
 */
export const GPU_ONLY_VLLM_FLAGS = [
  '--tensor-parallel-size',
  '-tp',
  '--pipeline-parallel-size',
  '-pp',
  '--gpu-memory-utilization',
] as const;

/** "a, b and c", for messages. */
function englishList(values: readonly string[]): string {
  return values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} and ${values.at(-1) ?? ''}`;
}

function celList(values: readonly string[]): string {
  return `[${values.map((v) => `'${v}'`).join(', ')}]`;
}

export const SCALING_METRICS = ['inFlight', 'queueDepth', 'kvCacheUtilization'] as const;
/** spec.routing: how Perpetual gateways spread this model's requests over its replicas (gateway/routing/routing-policy.ts). */
export const ROUTING_POLICIES = ['prefix', 'least-load', 'session'] as const;
export const SCALING_ENGINES = ['builtin', 'hpa', 'keda'] as const;

/** A Hugging Face repository id, as the Hub names repositories (org/name). */
const HF_REPO = '[A-Za-z0-9][-A-Za-z0-9_.]*/[A-Za-z0-9][-A-Za-z0-9_.]*';
/** A claim name (a DNS-1123 subdomain) and, optionally, a path inside it. */
const PVC_PATH = '[a-z0-9]([-a-z0-9.]*[a-z0-9])?(/[^\\s]*)?';
/** model.source: hf://org/name, pvc://claim[/path] or oci://<image reference>. */
export const MODEL_SOURCE_PATTERN = `^(hf://${HF_REPO}|pvc://${PVC_PATH}|oci://${IMAGE_REFERENCE_PATTERN.slice(1, -1)})$`;

const ModelSource = Type.Object(
  {
    id: Type.String({
      description: 'Model to load: a Hugging Face id (org/name) or a path inside the weights cache.',
      minLength: 1,
      maxLength: 512,
    }),
    servedName: Type.Optional(
      modelName('Name clients use (vLLM --served-model-name); defaults to id. ASCII letters, digits and `. _ - / : @ +`.'),
    ),
    revision: Type.Optional(Type.String({ description: 'Model revision (branch, tag or commit) to pin.', minLength: 1, maxLength: 256 })),
    source: Type.Optional(
      Type.String({
        description:
          'Where the weights come from, when not the Hugging Face id in `id`: `hf://org/name` (downloaded from Hugging Face, into the cache PVC when there is one), ' +
          '`pvc://claim/path` (an existing PersistentVolumeClaim of this namespace, mounted read-only; vLLM loads the path inside it), or ' +
          '`oci://registry/repo:tag` (an OCI image of the weights, mounted read-only as an image volume: needs Kubernetes 1.35+, where image volumes are on by default; ' +
          'on an older cluster the WeightsReady condition says so and no replica starts). `id` stays the name clients use by default.',
        maxLength: 1024,
        pattern: MODEL_SOURCE_PATTERN,
      }),
    ),
  },
  { description: 'Which model to serve.' },
);

const Engine = Type.Object(
  {
    image: imageReference({ description: 'vLLM OpenAI-compatible server image.', default: 'vllm/vllm-openai:v0.11.0' }),
    args: Type.Optional(
      Type.Array(Type.String({ maxLength: 4096 }), {
        description: 'Extra vLLM arguments appended after the generated ones.',
        maxItems: 64,
      }),
    ),
    env: Type.Optional(
      Type.Array(EnvVar, {
        description: 'Extra environment, e.g. HF_TOKEN from a Secret.',
        maxItems: 64,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
    ),
    resources: Type.Optional(withResourceDefault(Resources, VLLM_DEFAULT_REQUESTS)),
  },
  { description: 'The inference engine container.', default: {} },
);

const Gpu = Type.Object(
  {
    count: Type.Integer({ description: 'GPUs per replica; 0 runs on CPU.', minimum: 0, maximum: 16, default: 1 }),
    resourceName: Type.String({
      description: 'Extended resource that counts GPUs on nodes.',
      default: 'nvidia.com/gpu',
      pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$',
    }),
    product: Type.Optional(
      Type.String({
        description: 'GPU model the pods need, matched on the node label nvidia.com/gpu.product (e.g. NVIDIA-H100-80GB-HBM3).',
      }),
    ),
    nodeSelector: Type.Optional(stringMap({ description: 'Extra node labels the pods must run on.' })),
  },
  { description: 'GPUs for each replica.', default: {} },
);

const Vllm = Type.Object(
  {
    tensorParallelSize: Type.Optional(
      Type.Integer({ description: 'GPUs one model copy is split across; defaults to gpu.count.', minimum: 1, maximum: 16 }),
    ),
    gpuMemoryUtilization: Type.Number({ description: 'Fraction of GPU memory vLLM may use.', minimum: 0.05, maximum: 1, default: 0.9 }),
    // Bounded so the number reaches vLLM as written: above 2^53 it would print rounded (9223372036854775807
    // became --max-model-len 9223372036854776000), and vLLM keeps lengths in 32-bit integers anyway.
    maxModelLen: Type.Optional(
      Type.Integer({
        description: "Longest context in tokens, at most 2147483647; the model's own limit when empty.",
        minimum: 1,
        maximum: MAX_MODEL_LEN,
      }),
    ),
    maxLoras: Type.Optional(
      Type.Integer({
        description: 'With adapters: most LoRA adapters in one batch (vLLM --max-loras); 4 when empty. Changing it restarts the replicas.',
        minimum: 1,
        maximum: 256,
      }),
    ),
  },
  { description: 'vLLM engine settings.', default: {} },
);

const WeightsCache = Type.Object(
  {
    preload: Type.Optional(
      Type.Boolean({
        description:
          'Fill the volume before the first replica starts: a Job downloads the Hugging Face weights (model.source hf:// or model.id) with the engine image, ' +
          'and replicas stay at zero until it completes (WeightsReady says Preloading, then Preloaded). A changed model or revision downloads again.',
      }),
    ),
    size: quantity({ description: 'Size of the weights volume.', default: '100Gi' }),
    storageClassName: Type.Optional(Type.String({ description: 'StorageClass; the cluster default when empty.' })),
    accessMode: stringEnum(['ReadWriteOnce', 'ReadWriteMany', 'ReadOnlyMany'], {
      description: 'ReadWriteMany lets all replicas share one download.',
      default: 'ReadWriteOnce',
    }),
  },
  { description: 'A PersistentVolumeClaim that keeps downloaded weights across restarts.' },
);

const Standby = Type.Object(
  {
    sleepLevel: Type.Integer({
      description:
        "vLLM's sleep level. 1 (the only one offered): the weights move to host memory, so the pod's memory limit must hold them, " +
        'and a wake-up copies them back in seconds. Level 2 (weights discarded) is not offered: vLLM then serves again only after ' +
        'its weights are reloaded through a separate RPC, which the gateway does not make.',
      minimum: 1,
      maximum: 1,
      default: 1,
    }),
  },
  {
    description:
      'Warm standby through vLLM sleep mode: instead of scaling to zero, one replica (or minReplicas) is kept and put to sleep once idle for ' +
      'scaleDownDelaySeconds, freeing its GPU memory; the gateway wakes it when a request arrives and holds the request meanwhile, as at zero. ' +
      'vLLM gets --enable-sleep-mode and VLLM_SERVER_DEV_MODE=1 (the /sleep, /wake_up and /is_sleeping endpoints). ' +
      'status.sleepingReplicas counts the replicas asleep. The GPUs stay allocated to the pod while it sleeps.',
  },
);

const Autoscaling = withRules(
  Type.Object(
    {
      engine: stringEnum(SCALING_ENGINES, {
        description:
          '`builtin`: the operator reads vLLM and gateway metrics every few seconds and scales through the scale subresource. ' +
          '`hpa`: the operator generates an autoscaling/v2 HorizontalPodAutoscaler on the Pods metric vllm_num_requests_running, ' +
          'vllm_num_requests_waiting or vllm_kv_cache_usage_perc (per metric), which a Prometheus adapter must serve; minReplicas 0 becomes 1. ' +
          '`keda`: the operator generates a KEDA ScaledObject with Prometheus triggers, querying the address in the annotation ' +
          'perpetual.ai/prometheus-address (default http://prometheus-operated.monitoring.svc:9090); ScalingActive is False while KEDA is not installed.',
        default: 'builtin',
      }),
      minReplicas: Type.Integer({ description: 'Fewest replicas; 0 scales to zero when idle.', minimum: 0, maximum: 1000, default: 0 }),
      maxReplicas: Type.Integer({ description: 'Most replicas.', minimum: 1, maximum: 1000 }),
      metric: stringEnum(SCALING_METRICS, {
        description:
          '`inFlight`: running requests per replica. `queueDepth`: waiting requests per replica. `kvCacheUtilization`: KV-cache use (0-1) per replica.',
        default: 'inFlight',
      }),
      // OpenAPI v3.0 (what CRDs speak) spells an exclusive bound as a boolean next to minimum.
      target: Type.Unsafe<number>({
        type: 'number',
        description: 'Target value of the metric per replica.',
        minimum: 0,
        exclusiveMinimum: true,
        default: 8,
      }),
      scaleDownDelaySeconds: Type.Integer({
        description: 'Load must stay low this long before replicas are removed.',
        minimum: 0,
        maximum: 86400,
        default: 300,
      }),
      standby: Type.Optional(Standby),
    },
    { description: 'Scale replicas on load, within min and max.' },
  ),
  [
    {
      rule: "!has(self.standby) || self.engine == 'builtin'",
      message: "standby needs engine builtin: only the operator's own autoscaler puts idle replicas to sleep and counts them",
      fieldPath: '.standby',
    },
    {
      rule: 'self.minReplicas <= self.maxReplicas',
      message: 'minReplicas must be less than or equal to maxReplicas',
      fieldPath: '.minReplicas',
    },
    {
      rule: "self.metric != 'kvCacheUtilization' || self.target <= 1.0",
      message: 'target for kvCacheUtilization is a fraction in (0, 1]',
      fieldPath: '.target',
    },
  ],
);

const Rollout = withRules(
  Type.Object(
    {
      strategy: stringEnum(['RollingUpdate', 'Recreate'], {
        description: 'RollingUpdate replaces pods a few at a time; Recreate stops all before starting new ones.',
        default: 'RollingUpdate',
      }),
      maxSurge: Type.Integer({
        description: 'Extra pods during a rolling update. Default 0: an update never needs a spare GPU.',
        minimum: 0,
        default: 0,
      }),
      maxUnavailable: Type.Integer({ description: 'Pods that may be down during a rolling update.', minimum: 0, default: 1 }),
    },
    { description: 'How new versions roll out.', default: {} },
  ),
  [
    {
      rule: "self.strategy == 'Recreate' || self.maxSurge + self.maxUnavailable > 0",
      message: 'maxSurge and maxUnavailable cannot both be 0: the rollout could never progress',
    },
  ],
);

/**
 * Overrides merged onto the vLLM pod the operator builds: the gateway's PodTemplateOverrides plus
 * typed security contexts, so a ModelServer can meet Pod Security `restricted` where its image runs
 * as a non-root user (vllm/vllm-openai runs as root; an image built with a numeric user does not).
 */
/** Volumes the operator itself mounts in the vLLM pod: a podTemplate volume may not take their names or paths. */
export const VLLM_OWN_VOLUMES = { dshm: '/dev/shm', weights: '/models', 'model-source': '/model-source' } as const;

const volumeName = Type.String({
  description: 'Volume name, unique in the pod.',
  minLength: 1,
  maxLength: 63,
  pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
});

/** A volume from the sources a Pod Security `restricted` pod may use and a model server needs. */
const ExtraVolume = withRules(
  Type.Object(
    {
      name: volumeName,
      emptyDir: Type.Optional(
        Type.Object(
          {
            medium: Type.Optional(stringEnum(['', 'Memory'], { description: "Empty for the node's disk, Memory for tmpfs." })),
            sizeLimit: Type.Optional(quantity({ description: 'Most the volume may hold.' })),
          },
          { description: 'A scratch directory that lives as long as the pod (e.g. a writable cache under readOnlyRootFilesystem).' },
        ),
      ),
      configMap: Type.Optional(
        Type.Object(
          { name: Type.String({ description: 'ConfigMap name, in the same namespace.', minLength: 1, maxLength: 253 }) },
          { description: 'Files from a ConfigMap (e.g. a chat template).' },
        ),
      ),
      secret: Type.Optional(
        Type.Object(
          { secretName: Type.String({ description: 'Secret name, in the same namespace.', minLength: 1, maxLength: 253 }) },
          { description: 'Files from a Secret.' },
        ),
      ),
      persistentVolumeClaim: Type.Optional(
        Type.Object(
          {
            claimName: Type.String({ description: 'PersistentVolumeClaim name, in the same namespace.', minLength: 1, maxLength: 253 }),
            readOnly: Type.Optional(Type.Boolean({ description: 'Mount the claim read-only.' })),
          },
          { description: 'An existing PersistentVolumeClaim (e.g. weights downloaded ahead of time).' },
        ),
      ),
    },
    { description: 'A volume for the vLLM pod: exactly one of emptyDir, configMap, secret or persistentVolumeClaim.' },
  ),
  [
    {
      rule: '[has(self.emptyDir), has(self.configMap), has(self.secret), has(self.persistentVolumeClaim)].filter(x, x).size() == 1',
      message: 'set exactly one of emptyDir, configMap, secret or persistentVolumeClaim',
    },
    {
      rule: `!(self.name in ${celList(Object.keys(VLLM_OWN_VOLUMES))})`,
      message: `volume names ${englishList(Object.keys(VLLM_OWN_VOLUMES))} are the operator's`,
      fieldPath: '.name',
    },
  ],
);

const ExtraVolumeMount = withRules(
  Type.Object(
    {
      name: volumeName,
      mountPath: Type.String({
        description: 'Where the volume appears in the vLLM container.',
        minLength: 1,
        maxLength: 4096,
        pattern: '^/',
      }),
      readOnly: Type.Optional(Type.Boolean({ description: 'Mount read-only.' })),
      subPath: Type.Optional(Type.String({ description: 'A path inside the volume to mount instead of its root.', maxLength: 4096 })),
    },
    { description: 'A podTemplate volume mounted in the vLLM container.' },
  ),
  [
    {
      rule: `!(self.mountPath in ${celList(Object.values(VLLM_OWN_VOLUMES))})`,
      message: `mount paths ${englishList(Object.values(VLLM_OWN_VOLUMES))} are the operator's`,
      fieldPath: '.mountPath',
    },
  ],
);

const ModelServerPodTemplate = withRules(
  Type.Object(
    {
      ...PodTemplateOverrides.properties,
      securityContext: Type.Optional(PodSecurityContext),
      containerSecurityContext: Type.Optional(ContainerSecurityContext),
      volumes: Type.Optional(
        Type.Array(ExtraVolume, {
          description: 'Extra volumes for the pod.',
          maxItems: 16,
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
        }),
      ),
      volumeMounts: Type.Optional(
        Type.Array(ExtraVolumeMount, {
          description: 'Where the vLLM container mounts the extra volumes.',
          maxItems: 16,
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['mountPath'],
        }),
      ),
    },
    {
      description:
        "Overrides merged onto the generated vLLM pod: labels and annotations (the operator's labels win), nodeSelector (merged with gpu.nodeSelector and gpu.product, which win), " +
        'tolerations (added to spec.tolerations and the GPU toleration), affinity and priorityClassName (instead of the spec fields of the same name, which must then be empty), ' +
        'serviceAccountName, imagePullSecrets, and the pod and vLLM container security contexts (none by default: the vLLM image runs as root). ' +
        'For Pod Security restricted: securityContext {runAsNonRoot: true, runAsUser: <non-zero>, seccompProfile: {type: RuntimeDefault}} and ' +
        'containerSecurityContext {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}, with an image that runs as that user. ' +
        'volumes and volumeMounts add volumes to the pod and mounts to the vLLM container (extra environment goes in engine.env).',
    },
  ),
  [
    {
      rule: '!has(self.volumeMounts) || self.volumeMounts.all(m, has(self.volumes) && self.volumes.exists(v, v.name == m.name))',
      message: 'every volumeMounts[].name must be one of podTemplate.volumes',
      fieldPath: '.volumeMounts',
    },
  ],
);

const EndpointPickerRef = Type.Object(
  {
    name: Type.String({ description: 'The endpoint picker Service, in the same namespace.', minLength: 1, maxLength: 253 }),
    port: Type.Integer({ description: "The picker's ext-proc (gRPC) port on that Service.", minimum: 1, maximum: 65535, default: 9002 }),
    failureMode: stringEnum(['FailOpen', 'FailClose'], {
      description:
        'What the inference gateway does when the picker does not answer: FailOpen routes anyway, FailClose refuses the request.',
      default: 'FailClose',
    }),
  },
  {
    description:
      'The endpoint picker (EPP) a conformant inference gateway asks which replica takes a request; you run it, Perpetual does not ship one.',
  },
);

const InferencePoolSettings = withRules(
  Type.Object(
    {
      enabled: Type.Boolean({ description: 'Generate the InferencePool.', default: false }),
      endpointPickerRef: Type.Optional(EndpointPickerRef),
    },
    {
      description:
        'Publish the replicas as a Gateway API Inference Extension InferencePool (inference.networking.k8s.io/v1) named <name>-vllm, selecting the vLLM pods on port 8000, ' +
        "so another inference gateway (Envoy AI Gateway, kgateway/agentgateway, llm-d's) can route to them beside Perpetual's own gateway. " +
        'Applied only where the cluster serves the InferencePool API; the InferencePoolReady condition says when it does not.',
    },
  ),
  [
    {
      rule: '!self.enabled || has(self.endpointPickerRef)',
      message: 'endpointPickerRef is required when enabled: an InferencePool names the endpoint picker that routes to it',
      fieldPath: '.endpointPickerRef',
    },
  ],
);

export const ModelServerSpec = withRules(
  Type.Object(
    {
      model: ModelSource,
      engine: Engine,
      tracing: Type.Optional(
        tracingSettings(
          'vLLM pods',
          'vLLM gets --otlp-traces-endpoint with OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/protobuf and a parent-based ratio sampler.',
        ),
      ),
      gpu: Gpu,
      vllm: Vllm,
      tolerations: Type.Optional(Type.Array(Toleration, { description: 'Tolerations, e.g. for tainted GPU nodes.', maxItems: 32 })),
      affinity: Type.Optional(affinity<V1Affinity>({ description: 'A Kubernetes Affinity for the pods.' })),
      runtimeClassName: Type.Optional(Type.String({ description: 'RuntimeClass of the pods, e.g. nvidia.' })),
      priorityClassName: Type.Optional(Type.String({ description: 'PriorityClass of the pods.' })),
      cache: Type.Optional(WeightsCache),
      replicas: Type.Optional(
        Type.Integer({
          description: 'Number of replicas. With autoscaling set, the autoscaler owns it (kubectl scale, HPA and KEDA write it too).',
          minimum: 0,
          maximum: 1000,
        }),
      ),
      autoscaling: Type.Optional(Autoscaling),
      rollout: Rollout,
      podTemplate: Type.Optional(ModelServerPodTemplate),
      adapters: Type.Optional(
        Type.Array(LoraAdapter, {
          description:
            'LoRA adapters served on top of the model. Those listed when the replicas start are loaded at start (vLLM --lora-modules); ' +
            "a change to the list is applied to running replicas through vLLM's dynamic LoRA API, without restarting them " +
            "(only adding the first adapter, removing the last, or a new pvc:// claim restarts them). status.adapters shows each one's state.",
          maxItems: 64,
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
        }),
      ),
      inferencePool: Type.Optional(InferencePoolSettings),
      routing: Type.Optional(
        stringEnum(ROUTING_POLICIES, {
          description:
            "How Perpetual gateways spread requests over the replicas. `prefix` (the gateway's default when empty): the replica that most recently " +
            'served the longest prefix of the prompt (system prompt, tools, leading messages), whose vLLM prefix cache most likely still holds it, ' +
            'until that replica carries more than 1.5x the mean in-flight load; the least loaded when no replica knows the prompt. ' +
            '`least-load`: the replica with the fewest requests in flight. `session`: the x-conversation-id picks the replica, least-load without one. ' +
            'prefix honours x-conversation-id too.',
        }),
      ),
    },
    { description: 'The desired model server.' },
  ),
  [
    {
      rule: "!has(self.cache) || !has(self.cache.preload) || !self.cache.preload || !has(self.model.source) || self.model.source.startsWith('hf://')",
      message: 'cache.preload downloads from Hugging Face: model.source must be hf:// (or unset) to preload',
      fieldPath: '.cache.preload',
    },
    {
      rule: '!has(self.affinity) || !has(self.podTemplate) || !has(self.podTemplate.affinity)',
      message: 'set affinity or podTemplate.affinity, not both',
      fieldPath: '.podTemplate.affinity',
    },
    {
      rule: '!has(self.priorityClassName) || !has(self.podTemplate) || !has(self.podTemplate.priorityClassName)',
      message: 'set priorityClassName or podTemplate.priorityClassName, not both',
      fieldPath: '.podTemplate.priorityClassName',
    },
    {
      rule: '!has(self.vllm.tensorParallelSize) || self.gpu.count == 0 || self.vllm.tensorParallelSize <= self.gpu.count',
      message: 'vllm.tensorParallelSize cannot exceed gpu.count',
      fieldPath: '.vllm.tensorParallelSize',
    },
    // A CPU server with GPU settings would be accepted, report Ready and fail (or crawl) at the first request.
    {
      rule: '!has(self.vllm.tensorParallelSize) || self.gpu.count > 0 || self.vllm.tensorParallelSize == 1',
      message: 'vllm.tensorParallelSize above 1 needs GPUs: set gpu.count, or remove tensorParallelSize for a CPU server',
      fieldPath: '.vllm.tensorParallelSize',
    },
    {
      rule: '!has(self.autoscaling) || !has(self.autoscaling.standby) || self.gpu.count > 0',
      message: "autoscaling.standby uses vLLM's sleep mode, which frees GPU memory: it needs gpu.count above 0",
      fieldPath: '.autoscaling.standby',
    },
    {
      rule: `self.gpu.count > 0 || !has(self.engine.args) || !self.engine.args.exists(a, ${celList(GPU_ONLY_VLLM_FLAGS)}.exists(f, a == f || a.startsWith(f + '=')))`,
      message: `engine.args sets a GPU-only vLLM flag (${GPU_ONLY_VLLM_FLAGS.join(', ')}) but gpu.count is 0; the operator sets what a CPU server needs`,
      fieldPath: '.engine.args',
    },
  ],
);

const ScaleEvent = Type.Object(
  {
    time: Type.String({ description: 'When the scale happened.', format: 'date-time' }),
    from: Type.Integer({ description: 'Replicas before.', minimum: 0 }),
    to: Type.Integer({ description: 'Replicas after.', minimum: 0 }),
    reason: Type.String({ description: 'Why, in one sentence.', maxLength: 1024 }),
  },
  { description: 'One scaling decision.' },
);

const seconds = (description: string) => Type.Number({ description, minimum: 0 });

const ColdStart = Type.Object(
  {
    pod: Type.String({ description: 'The replica this breakdown is of: the last one to become ready.' }),
    createdAt: Type.String({ description: 'When the pod was created.', format: 'date-time' }),
    scheduledSeconds: seconds('Created to scheduled on a node (waiting for a GPU shows here).'),
    startedSeconds: Type.Optional(
      seconds(
        "Scheduled to the vLLM container running: the image pulled and the volumes mounted (unknown once the kubelet no longer reports the container's start).",
      ),
    ),
    loadedSeconds: Type.Optional(
      seconds('Container running to ready: vLLM loading (and, without a preloaded cache, downloading) the weights.'),
    ),
    totalSeconds: seconds('Created to ready.'),
  },
  { description: "The phases of the last replica's cold start, in seconds, from its pod's conditions and container state." },
);

export const ModelServerStatus = Type.Object(
  {
    ...statusBase,
    replicas: Type.Optional(Type.Integer({ description: 'Pods that exist.', minimum: 0 })),
    readyReplicas: Type.Optional(Type.Integer({ description: 'Pods ready to serve.', minimum: 0 })),
    desiredReplicas: Type.Optional(Type.Integer({ description: 'Pods wanted now.', minimum: 0 })),
    replicasSummary: Type.Optional(Type.String({ description: 'Ready/desired replicas, for kubectl get.' })),
    scaleRange: Type.Optional(Type.String({ description: 'min-max replicas, for kubectl get.' })),
    selector: Type.Optional(Type.String({ description: 'Label selector of the pods (for the scale subresource).' })),
    endpoint: Type.Optional(Type.String({ description: 'In-cluster OpenAI-compatible base URL.' })),
    lastScale: Type.Optional(ScaleEvent),
    adapters: Type.Optional(
      Type.Array(AdapterStatus, { description: 'Each spec.adapters entry and its state on the ready replicas.', maxItems: 64 }),
    ),
    lastColdStart: Type.Optional(ColdStart),
    sleepingReplicas: Type.Optional(
      Type.Integer({
        description: 'Ready replicas asleep (autoscaling.standby), as their /is_sleeping said at the last interval.',
        minimum: 0,
      }),
    ),
    scalingHistory: Type.Optional(
      Type.Array(ScaleEvent, { description: 'The most recent scaling decisions, newest first.', maxItems: 10 }),
    ),
  },
  { description: 'The observed state of the model server.' },
);

export const ModelServerRootRules = [nameRule];

export type ModelServerSpec = Type.Static<typeof ModelServerSpec>;
export type ModelServerStatus = Type.Static<typeof ModelServerStatus>;
export type ScalingMetric = (typeof SCALING_METRICS)[number];
export type ModelServerRouting = (typeof ROUTING_POLICIES)[number];

/** A ModelServer as read from the API server (defaults applied). */
export interface ModelServer extends KubernetesObject {
  spec: ModelServerSpec;
  status?: ModelServerStatus;
}
