// Where a ModelServer's replicas are. The replica pools ask every few seconds; the answer is the
// current address list, or "absent" when the ModelServer no longer exists (its held requests are
// answered at once). Implementations: DNS in a cluster, a JSON file in tests.

export interface ReplicaAddress {
  /** Stable identity for balancing and affinity: the origin, e.g. http://10.0.3.7:8000. */
  id: string;
  /** Where the health path is served. */
  origin: string;
  /** The OpenAI-compatible base URL (ends in /v1). */
  baseURL: string;
  /**
   * `pod`: one vLLM server. `service`: a ClusterIP Service standing in for all of them when no
   * per-pod addresses are published; one failed connection through it says nothing about the
   * other pods behind it, so it is never marked unhealthy.
   */
  kind: 'pod' | 'service';
}

export type Resolution = { state: 'present'; replicas: ReplicaAddress[] } | { state: 'absent' };

export interface ModelServerRef {
  /** The ModelServer's name (routes' `modelServer`). */
  name: string;
  /** The route's endpoint: the ModelServer's Service URL, ending in /v1. */
  endpoint: string | undefined;
  /** The route's `replicasHost`: the DNS name whose A records are the replica pods (the operator's headless Service). */
  replicasHost?: string;
  /** The route's `standby`: replicas may sleep (sleep-control.ts). */
  standby?: boolean;
}

export interface EndpointResolver {
  /** Rejects when the answer cannot be known right now (the pool keeps what it had). */
  resolve(server: ModelServerRef): Promise<Resolution>;
}

/** The API path replicas serve under: the endpoint's path, /v1 when there is none. */
export function apiPath(endpoint: string | undefined): string {
  if (!endpoint) return '/v1';
  const path = new URL(endpoint).pathname.replace(/\/+$/, '');
  return path === '' ? '/v1' : path;
}
