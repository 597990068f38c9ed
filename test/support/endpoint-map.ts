// The operator's ENDPOINT_MAP_FILE for tests: simulated pods have IPs nobody can dial, so this
// watches the pods of one namespace and writes `namespace/pod → http://127.0.0.1:<port>` for each
// pod the test routes somewhere (a simulator, a fake gateway). The operator re-reads the file every
// autoscaler interval. Written atomically (rename), so the operator never reads half a file.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';

/** The loopback base URL a pod's metrics should come from, or undefined to leave it unmapped. */
export type PodRoute = (pod: V1Pod) => string | undefined;

export interface EndpointMap {
  /** The path to pass to the operator as ENDPOINT_MAP_FILE. */
  file: string;
  /** Routes pods from now on (replacing the previous routes); resolves once the file says so. */
  setRoute(route: PodRoute): Promise<void>;
  /** What the file says now. */
  current(): Record<string, string>;
  stop(): Promise<void>;
}

/** Routes pods that carry `label=value` to `url` (e.g. a ModelServer's pods to a simulator). */
export function byLabel(routes: { label: string; value: string; url: string }[]): PodRoute {
  return (pod) => routes.find((r) => pod.metadata?.labels?.[r.label] === r.value)?.url;
}

const POLL_MS = 150;

/**
 * Replaces a map file in one step (write aside, then rename): the gateway and the operator may read
 * it at any moment and must never see half of it.
 */
export function replaceMapFile(path: string, json: string): void {
  writeFileSync(`${path}.tmp`, json);
  renameSync(`${path}.tmp`, path);
}

export function startEndpointMap(kubeConfig: KubeConfig, namespace: string): EndpointMap {
  const dir = mkdtempSync(join(tmpdir(), 'perpetual-endpoints-'));
  const file = join(dir, 'endpoints.json');
  const core = kubeConfig.makeApiClient(CoreV1Api);
  let route: PodRoute = () => undefined;
  let written = '';
  const state = { stopped: false };

  const write = (map: Record<string, string>): void => {
    const json = JSON.stringify(map, Object.keys(map).sort());
    if (json === written) return;
    replaceMapFile(file, json);
    written = json;
  };
  write({});

  const sync = async (): Promise<void> => {
    const pods = (await core.listNamespacedPod({ namespace })).items;
    const map: Record<string, string> = {};
    for (const pod of pods) {
      const url = route(pod);
      if (url) map[`${namespace}/${pod.metadata?.name ?? ''}`] = url;
    }
    write(map);
  };

  const loop = (async () => {
    while (!state.stopped) {
      // A failed list (e.g. the API server busy) is retried on the next round.
      await sync().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  })();

  return {
    file,
    setRoute: async (next) => {
      route = next;
      await sync();
    },
    current: () => JSON.parse(written) as Record<string, string>,
    stop: async () => {
      state.stopped = true;
      await loop;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
