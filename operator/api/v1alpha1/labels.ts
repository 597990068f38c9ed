// Label and annotation keys the operator sets on the objects it owns.
import { GROUP } from './group.ts';

export const Labels = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  component: 'app.kubernetes.io/component',
  managedBy: 'app.kubernetes.io/managed-by',
  partOf: 'app.kubernetes.io/part-of',
  /** Names the owning PerpetualDeployment or ModelServer; owned-object watches map back through it. */
  perpetualDeployment: `${GROUP}/perpetualdeployment`,
  modelServer: `${GROUP}/modelserver`,
} as const;

export const Annotations = {
  /** Hash of the configuration a pod template depends on; a change rolls the pods. */
  configHash: `${GROUP}/config-hash`,
  /** On a ModelServer with `autoscaling.engine: keda`: the Prometheus its ScaledObject queries. */
  prometheusAddress: `${GROUP}/prometheus-address`,
} as const;

/** Field manager for server-side apply and the value of app.kubernetes.io/managed-by. */
export const FIELD_MANAGER = 'perpetual-operator';

/**
 * The labels of the operator's own pods (config/manager/manager.yaml and the chart's deployment):
 * the NetworkPolicies let pods with them, in the operator's namespace, read vLLM and gateway metrics.
 */
export const OPERATOR_POD_LABELS = { [Labels.name]: 'perpetual', [Labels.component]: 'operator' } as const;
