// The Kubernetes kinds the operator reads and writes, with what the REST paths need.
import { API_VERSION } from '../api/v1alpha1/group.ts';

export interface ResourceKind {
  apiVersion: string;
  kind: string;
  plural: string;
}

function kind(apiVersion: string, name: string, plural: string): ResourceKind {
  return { apiVersion, kind: name, plural };
}

export const Kinds = {
  PerpetualDeployment: kind(API_VERSION, 'PerpetualDeployment', 'perpetualdeployments'),
  ModelServer: kind(API_VERSION, 'ModelServer', 'modelservers'),
  Deployment: kind('apps/v1', 'Deployment', 'deployments'),
  StatefulSet: kind('apps/v1', 'StatefulSet', 'statefulsets'),
  Service: kind('v1', 'Service', 'services'),
  ConfigMap: kind('v1', 'ConfigMap', 'configmaps'),
  Secret: kind('v1', 'Secret', 'secrets'),
  PersistentVolumeClaim: kind('v1', 'PersistentVolumeClaim', 'persistentvolumeclaims'),
  Pod: kind('v1', 'Pod', 'pods'),
  Job: kind('batch/v1', 'Job', 'jobs'),
  PodDisruptionBudget: kind('policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets'),
  NetworkPolicy: kind('networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies'),
  HorizontalPodAutoscaler: kind('autoscaling/v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers'),
  ServiceAccount: kind('v1', 'ServiceAccount', 'serviceaccounts'),
  Role: kind('rbac.authorization.k8s.io/v1', 'Role', 'roles'),
  RoleBinding: kind('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings'),
  /** KEDA's; optional: watched only while the cluster serves it. */
  ScaledObject: kind('keda.sh/v1alpha1', 'ScaledObject', 'scaledobjects'),
  /** The Gateway API Inference Extension's; optional: watched only while the cluster serves it. */
  InferencePool: kind('inference.networking.k8s.io/v1', 'InferencePool', 'inferencepools'),
} as const;

export type KindName = keyof typeof Kinds;

/**
 * The collection path, cluster-wide (/apis/apps/v1/deployments, /api/v1/pods) or, given a
 * namespace, in that namespace only (/api/v1/namespaces/a/pods).
 */
export function collectionPath(resource: ResourceKind, namespace?: string): string {
  const prefix = resource.apiVersion.includes('/') ? `/apis/${resource.apiVersion}` : `/api/${resource.apiVersion}`;
  return namespace === undefined ? `${prefix}/${resource.plural}` : `${prefix}/namespaces/${namespace}/${resource.plural}`;
}
