// A Gateway API Inference Extension InferencePool (inference.networking.k8s.io/v1): the pods of one
// model server, the port they serve on and the endpoint picker that chooses among them. The API is
// optional: the operator applies one only where the cluster serves it.
import type { KubernetesObject, V1ObjectMeta } from '@kubernetes/client-node';

export const INFERENCE_POOL_API_VERSION = 'inference.networking.k8s.io/v1';

export interface InferencePoolParams {
  /** Labels every member pod carries (the API takes matchLabels only, like a Service selector). */
  selector: Record<string, string>;
  /** The port the model server answers on in each pod. */
  targetPort: number;
  endpointPicker: { name: string; port: number; failureMode: 'FailOpen' | 'FailClose' };
}

export interface InferencePool extends KubernetesObject {
  spec?: {
    selector: { matchLabels: Record<string, string> };
    targetPorts: { number: number }[];
    endpointPickerRef: { kind: 'Service'; name: string; port: { number: number }; failureMode: 'FailOpen' | 'FailClose' };
  };
}

export function buildInferencePool(meta: V1ObjectMeta, params: InferencePoolParams): InferencePool {
  return {
    apiVersion: INFERENCE_POOL_API_VERSION,
    kind: 'InferencePool',
    metadata: meta,
    spec: {
      selector: { matchLabels: params.selector },
      targetPorts: [{ number: params.targetPort }],
      // kind written out (the API's default): the fields we apply are the fields we own, so a
      // defaulted value never looks like drift.
      endpointPickerRef: {
        kind: 'Service',
        name: params.endpointPicker.name,
        port: { number: params.endpointPicker.port },
        failureMode: params.endpointPicker.failureMode,
      },
    },
  };
}
