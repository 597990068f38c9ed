// The monitors in config/prometheus (and so in the chart) select what the operator really builds:
// the gateway ServiceMonitor every gateway Service and nothing else, on a port the Service has; the
// vLLM PodMonitor every ModelServer pod and nothing else, on a port its container has. The
// builders' golden files are the operator's output, kept current by the controllers' own tests.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const repoRoot = join(import.meta.dirname, '..');

interface Selector {
  matchLabels: Record<string, string>;
}
interface Port {
  name?: string;
}
interface PodSpec {
  containers: { ports?: Port[] }[];
}
interface Child {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { ports?: Port[]; template?: { metadata?: { labels?: Record<string, string> }; spec: PodSpec }; jobTemplate?: unknown };
}

const goldens = ['perpetual-deployment', 'model-server'].flatMap((controller) => {
  const dir = join(repoRoot, 'operator/controllers', controller, 'testdata');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.golden.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as Child | null))
    .filter((c): c is Child => c !== null);
});

const monitor = (file: string): unknown => parse(readFileSync(join(repoRoot, 'config/prometheus', file), 'utf8'));
const matches = (selector: Selector, labels: Record<string, string> = {}): boolean =>
  Object.entries(selector.matchLabels).every(([key, value]) => labels[key] === value);

describe('the gateway ServiceMonitor', () => {
  const sm = monitor('gateway_service_monitor.yaml') as {
    spec: { selector: Selector; namespaceSelector: { any: boolean }; endpoints: { port: string; path: string }[] };
  };
  const services = goldens.filter((c) => c.kind === 'Service');

  it('selects every gateway Service and no other Service, in any namespace', () => {
    const gateways = services.filter((s) => s.metadata.name.endsWith('-gateway'));
    expect(gateways.length).toBeGreaterThan(0);
    expect(services.filter((s) => matches(sm.spec.selector, s.metadata.labels))).toEqual(gateways);
    expect(sm.spec.namespaceSelector.any).toBe(true);
  });

  it('scrapes /prometheus on a port every gateway Service names', () => {
    const [endpoint] = sm.spec.endpoints;
    expect(endpoint?.path).toBe('/prometheus');
    for (const service of services.filter((s) => matches(sm.spec.selector, s.metadata.labels))) {
      expect(service.spec?.ports?.map((p) => p.name)).toContain(endpoint?.port);
    }
  });
});

describe('the vLLM PodMonitor', () => {
  const pm = monitor('vllm_pod_monitor.yaml') as { spec: { selector: Selector; podMetricsEndpoints: { port: string; path: string }[] } };
  const workloads = goldens.filter((c) => c.spec?.template?.spec);

  it('selects the pods of every ModelServer Deployment and no other pods', () => {
    const vllm = workloads.filter((w) => w.kind === 'Deployment' && w.metadata.name.endsWith('-vllm'));
    expect(vllm.length).toBeGreaterThan(0);
    expect(workloads.filter((w) => matches(pm.spec.selector, w.spec?.template?.metadata?.labels))).toEqual(vllm);
  });

  it('scrapes /metrics on a container port the vLLM pods name', () => {
    const [endpoint] = pm.spec.podMetricsEndpoints;
    expect(endpoint?.path).toBe('/metrics');
    for (const workload of workloads.filter((w) => matches(pm.spec.selector, w.spec?.template?.metadata?.labels))) {
      expect(workload.spec?.template?.spec.containers.flatMap((c) => c.ports ?? []).map((p) => p.name)).toContain(endpoint?.port);
    }
  });
});
