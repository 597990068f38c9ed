// The operator's connection to the API server: one KubeConfig and the API clients built from it.
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { PooledKubeConfig } from './pooled-kube-config.ts';
import { registerWireFormatKinds } from './wire-format.ts';

export interface Kube {
  kc: KubeConfig;
  objects: KubernetesObjectApi;
  customObjects: CustomObjectsApi;
  core: CoreV1Api;
  coordination: CoordinationV1Api;
}

/** In a pod: the ServiceAccount; elsewhere: $KUBECONFIG or ~/.kube/config. */
export function connect(kubeconfigPath?: string): Kube {
  registerWireFormatKinds();
  const kc = new PooledKubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromDefault();
  return {
    kc,
    objects: KubernetesObjectApi.makeApiClient(kc),
    customObjects: kc.makeApiClient(CustomObjectsApi),
    core: kc.makeApiClient(CoreV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
  };
}
