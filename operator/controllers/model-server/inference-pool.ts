// spec.inferencePool: the ModelServer's replicas published as a Gateway API Inference Extension
// InferencePool, so any conformant inference gateway (with the endpoint picker the user runs) can
// route to the same pods our own gateway does. The API is optional; where the cluster does not
// serve it, InferencePoolReady says so instead. Pure: no clock, no cluster reads.
import type { KubernetesObject } from '@kubernetes/client-node';
import { InferencePoolReasons, ModelServerConditions as C } from '../../api/v1alpha1/conditions.ts';
import type { ModelServer } from '../../api/v1alpha1/model-server.ts';
import { buildInferencePool } from '../../resources/inference-pool.ts';
import { childMeta, selectorLabels, type Owner } from '../../resources/meta.ts';
import { condition, type ConditionInput } from '../conditions.ts';
import { modelServerChildNames, VLLM_PORT } from './names.ts';

export function wantsInferencePool(ms: ModelServer): boolean {
  return ms.spec.inferencePool?.enabled === true;
}

/** The InferencePool, named like the vLLM Service, when asked for and served; none otherwise. */
export function inferencePoolObjects(owner: Owner, ms: ModelServer, served: boolean): KubernetesObject[] {
  const picker = ms.spec.inferencePool?.endpointPickerRef;
  if (!wantsInferencePool(ms) || !served || !picker) return [];
  return [
    buildInferencePool(childMeta(owner, modelServerChildNames(owner.name).workload, 'vllm'), {
      // The Deployment's own selector: exactly the replicas, loading ones included (an endpoint
      // picker skips pods that are not ready, as the Inference Extension's model server protocol asks).
      selector: selectorLabels(owner, 'vllm'),
      targetPort: VLLM_PORT,
      endpointPicker: picker,
    }),
  ];
}

/** InferencePoolReady: present only with spec.inferencePool.enabled. */
export function inferencePoolCondition(ms: ModelServer, served: boolean): ConditionInput | undefined {
  if (!wantsInferencePool(ms)) return undefined;
  const name = modelServerChildNames(ms.metadata?.name ?? '').workload;
  if (!served) {
    return condition(
      C.InferencePoolReady,
      false,
      InferencePoolReasons.InferencePoolNotInstalled,
      "The cluster does not serve inference.networking.k8s.io/v1 InferencePools: install the Gateway API Inference Extension CRDs, or set inferencePool.enabled to false. Perpetual's own gateway is unaffected.",
    );
  }
  const picker = ms.spec.inferencePool?.endpointPickerRef;
  return condition(
    C.InferencePoolReady,
    true,
    InferencePoolReasons.Applied,
    `InferencePool ${name} selects the vLLM pods on port ${String(VLLM_PORT)}; endpoint picker Service ${picker?.name ?? ''}:${String(picker?.port ?? '')}.`,
  );
}
