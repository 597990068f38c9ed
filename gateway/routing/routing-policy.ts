// How a local model's requests are spread over its ModelServer's ready replicas.
//   leastLoad        the replica with the fewest requests in flight from this gateway (ties broken
//                    at random), whatever the conversation;
//   sessionAffinity  the conversation id (x-conversation-id / conversation_id) picks the replica by
//                    rendezvous hashing, so a conversation's turns reach the vLLM whose prefix cache
//                    already holds its history; requests without a conversation id use leastLoad.
// sessionAffinity is the default: without a conversation id it is leastLoad anyway.

export type RoutingPolicy = 'leastLoad' | 'sessionAffinity';

export const ROUTING_POLICIES: readonly RoutingPolicy[] = ['leastLoad', 'sessionAffinity'];

export const DEFAULT_ROUTING_POLICY: RoutingPolicy = 'sessionAffinity';

/** The policy named by `value`, case-insensitively; undefined when it names none. */
export function parseRoutingPolicy(value: string): RoutingPolicy | undefined {
  const wanted = value.trim().toLowerCase();
  return ROUTING_POLICIES.find((policy) => policy.toLowerCase() === wanted);
}
