// Where to read a pod's metrics. The scraper dials only what a resolver returns: in production the
// pod's own IP; in tests (simulated pods have addresses nobody can dial) a file that maps pods to
// loopback servers, re-read every interval so that tests can rewrite it as pods come and go.
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { V1Pod } from '@kubernetes/client-node';

/** A ModelServer replica (vLLM's /metrics) or a gateway pod (the gateway's /prometheus). */
export type ScrapeRole = 'replica' | 'gateway';

export const METRICS_PATHS: Record<ScrapeRole, string> = { replica: '/metrics', gateway: '/prometheus' };

export type Resolved = { url: string } | { error: string };

export interface EndpointResolver {
  /** Called at the start of every interval (e.g. to re-read a file); failures are reported, not thrown. */
  refresh(): Promise<void>;
  resolve(pod: V1Pod, role: ScrapeRole): Resolved;
}

function podKey(pod: V1Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

/** The port of the container port named `http`, which both vLLM and the gateway pods declare. */
function httpPort(pod: V1Pod): number | undefined {
  for (const container of pod.spec?.containers ?? []) {
    const port = container.ports?.find((p) => p.name === 'http');
    if (port) return port.containerPort;
  }
  return undefined;
}

/** Production: http://<podIP>:<http port>/metrics for replicas, .../prometheus for gateway pods. */
export function podAddressResolver(): EndpointResolver {
  return {
    refresh: () => Promise.resolve(),
    resolve: (pod, role) => {
      const ip = pod.status?.podIP;
      const port = httpPort(pod);
      if (!ip || isIP(ip) === 0) return { error: `pod ${podKey(pod)} has no IP yet` };
      if (port === undefined) return { error: `pod ${podKey(pod)} declares no port named http` };
      const host = isIP(ip) === 6 ? `[${ip}]` : ip;
      return { url: `http://${host}:${String(port)}${METRICS_PATHS[role]}` };
    },
  };
}

/** Whether `url` is plain HTTP to a loopback IP literal (127.0.0.0/8 or ::1); names are refused, they could resolve anywhere. */
export function isLoopbackUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'http:' || parsed.username || parsed.password) return false;
  const host = parsed.hostname;
  if (host === '[::1]') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * Tests only (ENDPOINT_MAP_FILE): a JSON object mapping `namespace/podName` to a loopback base URL
 * such as `http://127.0.0.1:41234`. A pod missing from the map has no address; a non-loopback
 * address is refused.
 */
export function endpointMapResolver(path: string, onError: (message: string) => void): EndpointResolver {
  let map = new Map<string, string>();
  return {
    refresh: async () => {
      try {
        const parsed = JSON.parse(await readFile(path, 'utf8')) as unknown;
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
        map = new Map(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
      } catch (err) {
        // A test may not have written the file yet: nothing resolves until it does.
        map = new Map();
        onError(`cannot read ENDPOINT_MAP_FILE ${path}: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
    resolve: (pod, role) => {
      const base = map.get(podKey(pod));
      if (base === undefined) return { error: `pod ${podKey(pod)} is not in ENDPOINT_MAP_FILE` };
      if (!isLoopbackUrl(base))
        return { error: `refusing ${base} for pod ${podKey(pod)}: ENDPOINT_MAP_FILE may only name loopback addresses` };
      return { url: `${base.replace(/\/+$/, '')}${METRICS_PATHS[role]}` };
    },
  };
}
