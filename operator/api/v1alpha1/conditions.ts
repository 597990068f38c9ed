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
