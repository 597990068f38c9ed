// Condition types and reasons. Reasons are part of the API: tools and alerts match on them.

/** Condition types of a PerpetualDeployment. */
export const PerpetualDeploymentConditions = {
  Ready: 'Ready',
  DatabaseReady: 'DatabaseReady',
  VectorStoreReady: 'VectorStoreReady',
  CacheReady: 'CacheReady',
  GatewayReady: 'GatewayReady',
  ModelsReady: 'ModelsReady',
  Reconciling: 'Reconciling',
  Stalled: 'Stalled',
} as const;

/**
 * Why a PerpetualDeployment component is blocked until a human changes the spec or the cluster.
 * Each makes Stalled True with the same reason, and the phase Failed.
 */
export const StalledReasons = {
  /**
   * A spec value the schema cannot check does not parse (e.g. an external URL). The message names
   * the field. Nothing is applied or retried until the spec changes.
   */
  InvalidSpec: 'InvalidSpec',
  /** A Secret the spec refers to does not exist. */
  SecretNotFound: 'SecretNotFound',
  /** A Secret the spec refers to has no such key. */
  SecretKeyNotFound: 'SecretKeyNotFound',
  /**
   * A Secret the operator would generate (`<name>-admin-token`, `-redis-password`,
   * `-qdrant-api-key`) already exists and is not controlled by this PerpetualDeployment. Its value
   * is never read or used; nothing is applied until it is deleted or the PerpetualDeployment renamed
   * (or, for the admin token, spec.auth.adminTokenSecretRef names it deliberately).
   */
  SecretNotOwned: 'SecretNotOwned',
  /** The migration Job failed; a Job never runs twice, so it needs a fix (a new image or credentials). */
  MigrationFailed: 'MigrationFailed',
} as const;

export type StalledReason = (typeof StalledReasons)[keyof typeof StalledReasons];

/** Stalled=False: nothing waits for a human. */
export const NotStalledReason = 'NotStalled';

/** Why a PerpetualDeployment's Ready is True or False. */
export const ReadyReasons = {
  /** Every component condition is True. */
  AllComponentsReady: 'AllComponentsReady',
  /** At least one is not; the message names the first. */
  ComponentsNotReady: 'ComponentsNotReady',
} as const;

/** Why a PerpetualDeployment's Reconciling is True or False. */
export const ReconcilingReasons = {
  Reconciled: 'Reconciled',
  /** Still converging (and not Stalled). */
  Progressing: 'Progressing',
} as const;

/**
 * Reasons of a PerpetualDeployment's component conditions (DatabaseReady, VectorStoreReady,
 * CacheReady, GatewayReady, ModelsReady) when nothing blocks them; a blocked component carries a
 * StalledReasons or PodFailureReasons value instead.
 */
export const ComponentReasons = {
  /** DatabaseReady: the migration Job completed. */
  Migrated: 'Migrated',
  /** DatabaseReady: the migration Job is running or about to. */
  Migrating: 'Migrating',
  /** VectorStoreReady, CacheReady: an external service the operator does not run or check. */
  External: 'External',
  /** The component's pods are ready. */
  ReplicasReady: 'ReplicasReady',
  /** Not all of them yet. */
  ReplicasNotReady: 'ReplicasNotReady',
  /** ModelsReady: a models[].modelServerRef names no ModelServer. */
  ModelServerNotFound: 'ModelServerNotFound',
  /** ModelsReady: a referenced ModelServer is not Ready. */
  ModelServerNotReady: 'ModelServerNotReady',
  /** ModelsReady: every referenced ModelServer is Ready. */
  AllModelsReady: 'AllModelsReady',
} as const;

/**
 * What a Secret a PerpetualDeployment refers to (or generates) is for, as messages name it
 * ("Secret "db" (database) not found") and as it decides which component condition it blocks:
 * database → DatabaseReady, vector store → VectorStoreReady, cache → CacheReady, models →
 * ModelsReady, any other → GatewayReady.
 */
export const SecretPurposes = {
  Database: 'database',
  EncryptionKeys: 'encryption keys',
  VectorStore: 'vector store',
  Cache: 'cache',
  JwtSecret: 'JWT secret',
  AdminToken: 'admin token',
  Billing: 'billing',
  Models: 'models',
} as const;

export type SecretPurpose = (typeof SecretPurposes)[keyof typeof SecretPurposes];

/** Condition types of a ModelServer. */
export const ModelServerConditions = {
  Ready: 'Ready',
  Available: 'Available',
  Progressing: 'Progressing',
  ScalingLimited: 'ScalingLimited',
  RolloutBlocked: 'RolloutBlocked',
  /** Present with spec.autoscaling: whether the chosen engine is in place (e.g. False when KEDA is not installed). */
  ScalingActive: 'ScalingActive',
  /** Present with spec.inferencePool.enabled: whether the InferencePool is applied (False when the cluster does not serve its API). */
  InferencePoolReady: 'InferencePoolReady',
  /** Present with model.source or cache.preload: whether the weights are where the replicas can load them. */
  WeightsReady: 'WeightsReady',
  /** Present with spec.adapters: whether every LoRA adapter is loaded on every ready replica. */
  AdaptersReady: 'AdaptersReady',
} as const;

/** Why a ModelServer's AdaptersReady is True or False. */
export const AdapterReasons = {
  /** True: every adapter is loaded on every ready replica. */
  AdaptersLoaded: 'AdaptersLoaded',
  /** False: some ready replica does not have an adapter yet (or none is ready); the operator is loading it. */
  AdaptersLoading: 'AdaptersLoading',
  /** False: a replica refused an adapter; the message is the server's. The operator tries again every minute and at once when its source changes. */
  AdapterLoadFailed: 'AdapterLoadFailed',
} as const;

/** Why a ModelServer's InferencePoolReady is True or False. */
export const InferencePoolReasons = {
  /** The InferencePool is applied. */
  Applied: 'Applied',
  /** The cluster does not serve inference.networking.k8s.io/v1 InferencePools: install the Gateway API Inference Extension CRDs. */
  InferencePoolNotInstalled: 'InferencePoolNotInstalled',
} as const;

/** Why a ModelServer's WeightsReady is True or False. */
export const WeightsReasons = {
  /** False: the preload Job is downloading the weights into the cache; replicas stay at zero until it completes. */
  Preloading: 'Preloading',
  /** True: the preload Job completed; the cache holds the weights. */
  Preloaded: 'Preloaded',
  /** False: the preload Job failed (its pods' logs say why); replicas stay at zero until the spec changes. */
  PreloadFailed: 'PreloadFailed',
  /** True: the weights are read from an existing PersistentVolumeClaim (pvc://). */
  ClaimMounted: 'ClaimMounted',
  /** True: the weights are read from an OCI image mounted as an image volume (oci://). */
  ImageMounted: 'ImageMounted',
  /** False: oci:// needs image volumes, which this cluster's Kubernetes version does not enable by default (1.35+); no replica starts. */
  ImageVolumesUnsupported: 'ImageVolumesUnsupported',
  /** True: vLLM downloads the weights itself when a replica starts (hf:// without preload). */
  DownloadedAtStart: 'DownloadedAtStart',
} as const;

/** Why a ModelServer's Ready is True or False (besides PodFailureReasons and InsufficientGPU). */
export const ModelServerReadyReasons = {
  /** No replica wanted: spec.replicas is 0 (scaled to zero). */
  ScaledToZero: 'ScaledToZero',
  ReplicasReady: 'ReplicasReady',
  ReplicasNotReady: 'ReplicasNotReady',
} as const;

/** Why a ModelServer's Available is True or False. */
export const AvailableReasons = {
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  NoReplicasAvailable: 'NoReplicasAvailable',
} as const;

/** Why a ModelServer's Progressing is True or False. */
export const ProgressingReasons = {
  /** False: the latest version is rolled out. */
  Complete: 'Complete',
  /** True: fewer replicas updated than desired. */
  RollingOut: 'RollingOut',
  /** True: updated, waiting for them to be ready. */
  WaitingForReplicas: 'WaitingForReplicas',
} as const;

/** Why a ModelServer's RolloutBlocked is True or False (besides InsufficientGPU). */
export const RolloutBlockedReasons = {
  /** The Deployment's progress deadline passed. */
  ProgressDeadlineExceeded: 'ProgressDeadlineExceeded',
  NotBlocked: 'NotBlocked',
} as const;

/** ScalingLimited=False. */
export const WithinLimitsReason = 'WithinLimits';

/** Why ScalingLimited is True. */
export const ScalingLimitedReasons = {
  MaxReplicas: 'MaxReplicas',
  InsufficientGPU: 'InsufficientGPU',
  MetricsUnavailable: 'MetricsUnavailable',
} as const;

/** Why ScalingActive is True or False. */
export const ScalingActiveReasons = {
  BuiltinAutoscaler: 'BuiltinAutoscaler',
  HorizontalPodAutoscaler: 'HorizontalPodAutoscaler',
  ScaledObject: 'ScaledObject',
  KEDANotInstalled: 'KEDANotInstalled',
} as const;

/**
 * Why a workload is not ready when its pods cannot start or keep failing: the kubelet's own
 * reason, passed through unchanged, so an alert matches the word `kubectl get pods` shows. A
 * ModelServer's Ready and Available, and a PerpetualDeployment's GatewayReady, CacheReady,
 * VectorStoreReady and DatabaseReady (the migration Job's pods) carry one of these, with a message
 * naming the pod, the container and the kubelet's message. Other kubelet reasons (ContainerCreating,
 * PodInitializing) are progress, not failure, and keep the condition's usual reason.
 */
export const PodFailureReasons = {
  /** The kubelet could not pull the image and waits before trying again (the message names the image). */
  ImagePullBackOff: 'ImagePullBackOff',
  /** The last pull of the image failed: no such tag, no access, or the registry is unreachable. */
  ErrImagePull: 'ErrImagePull',
  /** The image is not on the node and imagePullPolicy is Never. */
  ErrImageNeverPull: 'ErrImageNeverPull',
  /** The image reference does not parse. */
  InvalidImageName: 'InvalidImageName',
  /** A Secret or ConfigMap (or a key in one) the container's environment or volumes need is missing. */
  CreateContainerConfigError: 'CreateContainerConfigError',
  /** The container runtime refused to create the container. */
  CreateContainerError: 'CreateContainerError',
  /** The container runtime could not start the container (e.g. its command does not exist). */
  RunContainerError: 'RunContainerError',
  /**
   * The container keeps exiting with an error and the kubelet restarts it with back-off; also said
   * between two crashes, while a restarted container whose last run failed is not ready yet.
   */
  CrashLoopBackOff: 'CrashLoopBackOff',
  /**
   * The container's last run was killed for exceeding its memory limit. Said instead of
   * CrashLoopBackOff when that is why it loops: the cause, and the same through the whole loop.
   */
  OOMKilled: 'OOMKilled',
  /**
   * No pod can even be created: the Deployment's ReplicaSet reports ReplicaFailure (FailedCreate),
   * e.g. a PriorityClass or ServiceAccount that does not exist, or a quota. The message is the API
   * server's refusal.
   */
  FailedCreate: 'FailedCreate',
  /**
   * The pod cannot be scheduled because a PersistentVolumeClaim it needs is not bound: typically a
   * StorageClass that does not exist or cannot provision (the claim's events say which).
   */
  UnboundPersistentVolumeClaim: 'UnboundPersistentVolumeClaim',
} as const;

export type PodFailureReason = (typeof PodFailureReasons)[keyof typeof PodFailureReasons];
