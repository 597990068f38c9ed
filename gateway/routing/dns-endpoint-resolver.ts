// Production discovery through cluster DNS. The route's endpoint names the ModelServer's ClusterIP
// Service. For per-replica balancing the gateway needs every pod's address, which only a headless
// Service publishes (clusterIP None, the same selector and port, publishNotReadyAddresses so a
// loading pod is known before it is Ready and the gateway's own health polls decide when it takes
// traffic): the operator names it in the route's `replicasHost`, and its A records are the
// replicas. Without such a name (a hand-written file), or while it has no records, the ClusterIP
// Service itself is the one "replica" (kube-proxy balances behind it, no affinity). When neither
// name exists the ModelServer is gone.
// getaddrinfo (dns.lookup) rather than c-ares, so the pod's search domains and ndots apply to
// `<svc>.<ns>.svc` just as they do for every other client in the pod.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { EndpointResolver, ModelServerRef, ReplicaAddress, Resolution } from './endpoint-resolver.ts';

/** Addresses for a name; [] when the name does not exist. Other failures reject. */
export type Lookup = (host: string) => Promise<string[]>;

const NO_SUCH_NAME = new Set(['ENOTFOUND', 'ENODATA']);

export const systemLookup: Lookup = async (host) => {
  try {
    return (await lookup(host, { all: true })).map((entry) => entry.address);
  } catch (err) {
    if (NO_SUCH_NAME.has((err as NodeJS.ErrnoException).code ?? '')) return [];
    throw err;
  }
};

function isAddress(host: string): boolean {
  return isIP(host.replace(/^\[|\]$/g, '')) !== 0;
}

/** One pod replica at `address`, on the endpoint's scheme, port and path. */
export function podReplica(endpoint: URL, address: string): ReplicaAddress {
  const host = isIP(address) === 6 ? `[${address}]` : address;
  const origin = `${endpoint.protocol}//${host}${endpoint.port ? `:${endpoint.port}` : ''}`;
  return { id: origin, origin, baseURL: origin + endpoint.pathname.replace(/\/+$/, ''), kind: 'pod' };
}

export class DnsEndpointResolver implements EndpointResolver {
  readonly #lookup: Lookup;

  constructor(options: { lookup?: Lookup } = {}) {
    this.#lookup = options.lookup ?? systemLookup;
  }

  async resolve(server: ModelServerRef): Promise<Resolution> {
    if (!server.endpoint) return { state: 'absent' };
    const endpoint = new URL(server.endpoint);
    const pods = server.replicasHost ? await this.#lookup(server.replicasHost) : [];
    if (pods.length > 0) return { state: 'present', replicas: [...new Set(pods)].sort().map((address) => podReplica(endpoint, address)) };
    if (isAddress(endpoint.hostname)) return { state: 'present', replicas: [serviceReplica(endpoint)] };
    const service = await this.#lookup(endpoint.hostname);
    return service.length > 0 ? { state: 'present', replicas: [serviceReplica(endpoint)] } : { state: 'absent' };
  }
}

function serviceReplica(endpoint: URL): ReplicaAddress {
  return {
    id: endpoint.origin,
    origin: endpoint.origin,
    baseURL: endpoint.origin + endpoint.pathname.replace(/\/+$/, ''),
    kind: 'service',
  };
}
