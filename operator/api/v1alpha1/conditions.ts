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
} as const;

/** Why ScalingLimited is True. */
export const ScalingLimitedReasons = {
  MaxReplicas: 'MaxReplicas',
  InsufficientGPU: 'InsufficientGPU',
  MetricsUnavailable: 'MetricsUnavailable',
} as const;
