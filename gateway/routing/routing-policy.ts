// How a local model's requests are spread over its ModelServer's ready replicas (ModelServer
// spec.routing, written into the gateway file by the operator):
//   prefix           the replica that most recently served the longest prefix of the prompt (system
//                    prompt, tools, leading messages), whose vLLM prefix cache most likely still
//                    holds it, until that replica passes the load bound; the least loaded when no
//                    replica knows the prompt. A request with a conversation id follows it as under
//                    sessionAffinity;
//   leastLoad        the replica with the fewest requests in flight from this gateway (ties broken
//                    at random), whatever the conversation;
//   sessionAffinity  the conversation id (x-conversation-id / conversation_id) picks the replica by
//                    rendezvous hashing, so a conversation's turns reach the vLLM whose prefix cache
//                    already holds its history; requests without a conversation id use leastLoad.
// prefix is the default, as in llm-d and the Gateway API Inference Extension: a system prompt shared
// by many users is prefilled on one replica instead of on every one, and with no shared prefix
// it is leastLoad; conversation ids keep working as before.
import type { ModelServerRouting } from '../../operator/api/v1alpha1/model-server.ts';

export type RoutingPolicy = 'leastLoad' | 'sessionAffinity' | 'prefix';

export const ROUTING_POLICIES: readonly RoutingPolicy[] = ['leastLoad', 'sessionAffinity', 'prefix'];

export const DEFAULT_ROUTING_POLICY: RoutingPolicy = 'prefix';

/** ModelServer spec.routing's spelling of each policy (also accepted in the gateway file, and the metrics' `policy` label). */
export const SPEC_POLICY_NAMES: Readonly<Record<RoutingPolicy, ModelServerRouting>> = {
  leastLoad: 'least-load',
  sessionAffinity: 'session',
  prefix: 'prefix',
};

/** The policy named by `value` (its own name or the spec's, any case); undefined when it names none. */
export function parseRoutingPolicy(value: string): RoutingPolicy | undefined {
  const wanted = value.trim().toLowerCase();
  return ROUTING_POLICIES.find((policy) => policy.toLowerCase() === wanted || SPEC_POLICY_NAMES[policy] === wanted);
}
