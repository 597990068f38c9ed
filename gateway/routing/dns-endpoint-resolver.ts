// Production discovery through cluster DNS. The operator's Service for a ModelServer is
// `<ms>-vllm` (ClusterIP); the route's endpoint names it. For per-replica balancing the gateway
// needs every pod's address, which only a headless Service publishes: `<ms>-vllm-pods` (clusterIP
// None, the same selector and port, publishNotReadyAddresses so a loading pod is known before it is
// Ready and the gateway's own health polls decide when it takes traffic). Its A records are the
// replicas. Without it, the ClusterIP Service itself is the one "replica" (kube-proxy balances
// behind it, no affinity). When neither name exists the ModelServer is gone.
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

/** `<ms>-vllm.<ns>.svc` → `<ms>-vllm<suffix>.<ns>.svc`; undefined for an IP address. */
export function headlessHost(host: string, suffix: string): string | undefined {
  if (isIP(host.replace(/^\[|\]$/g, '')) !== 0) return undefined;
  const dot = host.indexOf('.');
  return dot < 0 ? `${host}${suffix}` : `${host.slice(0, dot)}${suffix}${host.slice(dot)}`;
}

/** One pod replica at `address`, on the endpoint's scheme, port and path. */
export function podReplica(endpoint: URL, address: string): ReplicaAddress {
  const host = isIP(address) === 6 ? `[${address}]` : address;
  const origin = `${endpoint.protocol}//${host}${endpoint.port ? `:${endpoint.port}` : ''}`;
  return { id: origin, origin, baseURL: origin + endpoint.pathname.replace(/\/+$/, ''), kind: 'pod' };
}

export class DnsEndpointResolver implements EndpointResolver {
  readonly #lookup: Lookup;
  readonly #suffix: string;

  constructor(options: { lookup?: Lookup; headlessSuffix?: string } = {}) {
    this.#lookup = options.lookup ?? systemLookup;
    this.#suffix = options.headlessSuffix ?? '-pods';
  }

  async resolve(server: ModelServerRef): Promise<Resolution> {
    if (!server.endpoint) return { state: 'absent' };
    const endpoint = new URL(server.endpoint);
    const headless = headlessHost(endpoint.hostname, this.#suffix);
    if (headless === undefined) return { state: 'present', replicas: [serviceReplica(endpoint)] };
    const pods = await this.#lookup(headless);
    if (pods.length > 0) return { state: 'present', replicas: [...new Set(pods)].sort().map((address) => podReplica(endpoint, address)) };
    const service = await this.#lookup(endpoint.hostname);
    return service.length > 0 ? { state: 'present', replicas: [serviceReplica(endpoint)] } : { state: 'absent' };
  }
}

function serviceReplica(endpoint: URL): ReplicaAddress {
  return { id: endpoint.origin, origin: endpoint.origin, baseURL: endpoint.origin + endpoint.pathname.replace(/\/+$/, ''), kind: 'service' };
}
