// Resource requests for the containers the operator runs when the spec gives none, so that no
// child is BestEffort (the first pods evicted when a node runs short). They are floors that buy
// Burstable QoS, not sizes: with no limit set a container may use more when the node has it.
// A spec's own `resources` replaces these whole (requests and limits), so a user's limit can never
// fall below a default request.
import { Resources } from './common.ts';

type Requests = Readonly<Record<string, string>>;

/**
 * Redis holds only rate-limit counters (no persistence): the `nano` preset of the Bitnami charts'
 * `resourcesPreset` (bitnami/common), which their Redis chart starts from.
 */
export const REDIS_DEFAULT_REQUESTS: Requests = { cpu: '100m', memory: '128Mi' };

/**
 * Qdrant: the `micro` preset of the same Bitnami presets. Qdrant's own chart sets no default, and
 * its capacity guide sizes memory by the data (vectors x dimensions x 4 bytes x 1.5): a stack with
 * many memories needs more, set in vectorStore.managed.resources.
 */
export const QDRANT_DEFAULT_REQUESTS: Requests = { cpu: '250m', memory: '256Mi' };

/** The migration Job runs the gateway's image for seconds; the gateway's own request is 250m/256Mi. */
export const MIGRATION_DEFAULT_REQUESTS: Requests = { cpu: '100m', memory: '128Mi' };

/**
 * vLLM: a floor only. What a model needs (CPU threads for tokenising and scheduling, host memory
 * while weights load) depends on the model, which is why vLLM's production-stack chart leaves
 * requestCPU and requestMemory to the user; set engine.resources for real models. 250m and 1Gi
 * keep the pod Burstable without making a small CPU or simulator server unschedulable on a
 * two-core node (the node tier's).
 */
export const VLLM_DEFAULT_REQUESTS: Requests = { cpu: '250m', memory: '1Gi' };

function describeRequests(requests: Requests): string {
  return Object.entries(requests)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
}

/** The Resources field with its default requests stated where `kubectl explain` shows them. */
export function withResourceDefault(schema: typeof Resources, requests: Requests): typeof Resources {
  return {
    ...schema,
    description: `CPU and memory requests and limits for the container. When empty: requests {${describeRequests(requests)}} and no limits; when set, used as given (the default is not merged in).`,
  } as typeof Resources;
}
