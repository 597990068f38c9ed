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

/** Condition types of a ModelServer. */
export const ModelServerConditions = {
  Ready: 'Ready',
  Available: 'Available',
  Progressing: 'Progressing',
  ScalingLimited: 'ScalingLimited',
  RolloutBlocked: 'RolloutBlocked',
  /** Present with spec.autoscaling: whether the chosen engine is in place (e.g. False when KEDA is not installed). */
  ScalingActive: 'ScalingActive',
} as const;

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
