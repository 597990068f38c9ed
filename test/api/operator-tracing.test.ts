// The operator's traces on a real API server: run with OTEL_EXPORTER_OTLP_ENDPOINT pointing at an
// OTLP/HTTP receiver in this process, it sends one span per reconcile naming the object and how the
// reconcile ended; and the gateway Deployment it builds for a spec with observability.tracing
// carries the OpenTelemetry variables.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { perpetualDeployment, secretsManifest } from '../support/fixtures.ts';
import { testCluster } from '../support/kube.ts';
import { startOperator, type OperatorProcess } from '../support/operator.ts';

const cluster = testCluster();
let ns = '';
let operator: OperatorProcess;
let receiver: Server;

interface OtlpValue {
  stringValue?: string;
}
interface OtlpSpan {
  name: string;
  attributes?: { key: string; value: OtlpValue }[];
}
interface OtlpExport {
  resourceSpans?: { resource?: { attributes?: { key: string; value: OtlpValue }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

const received: { contentType: string | undefined; body: OtlpExport }[] = [];

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req
      .setEncoding('utf8')
      .on('data', (part: string) => (text += part))
      .on('end', () => {
        resolve(text);
      })
      .on('error', reject);
  });
}

function attributes(list: { key: string; value: OtlpValue }[] | undefined): Record<string, string | undefined> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, a.value.stringValue]));
}

/** Every span received so far, with its resource's service.name. */
function spans(): { service: string | undefined; name: string; attributes: Record<string, string | undefined> }[] {
  return received.flatMap(({ body }) =>
    (body.resourceSpans ?? []).flatMap((rs) =>
      rs.scopeSpans.flatMap((ss) =>
        ss.spans.map((s) => ({
          service: attributes(rs.resource?.attributes)['service.name'],
          name: s.name,
          attributes: attributes(s.attributes),
        })),
      ),
    ),
  );
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    void readBody(req).then((text) => {
      if (req.url === '/v1/traces') received.push({ contentType: req.headers['content-type'], body: JSON.parse(text) as OtlpExport });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${String((receiver.address() as AddressInfo).port)}`;
  ns = await cluster.createNamespace('tracing');
  // The leader election Lease's namespace (it may exist already: other files create it too).
  await cluster.kubectl(['create', 'namespace', 'perpetual-system']);
  await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], secretsManifest());
  operator = await startOperator({
    kubeconfigPath: cluster.kubeconfigPath,
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, WATCH_NAMESPACES: ns },
  });
});

afterAll(async () => {
  await cluster.kubectl(['delete', 'pd', '--all', '-n', ns]);
  await operator.stop();
  await new Promise<void>((resolve) =>
    receiver.close(() => {
      resolve();
    }),
  );
});

describe('operator traces', () => {
  it('sends a span for each reconcile of a PerpetualDeployment, with its kind, namespace, name and result', async () => {
    await cluster.kubectlOk(
      ['apply', '-n', ns, '-f', '-'],
      perpetualDeployment('traced', {
        observability: { tracing: { endpoint: 'http://otel-collector.monitoring:4318', samplerRatio: 0.5 } },
      }),
    );
    const reconcile = await eventually(() => {
      const span = spans().find((s) => s.name === 'reconcile PerpetualDeployment' && s.attributes['k8s.resource.name'] === 'traced');
      expect(span).toBeDefined();
      return span;
    }, 60_000);
    expect(reconcile?.service).toBe('perpetual-operator');
    expect(reconcile?.attributes).toMatchObject({
      'perpetual.controller': expect.any(String) as string,
      'k8s.resource.kind': 'PerpetualDeployment',
      'k8s.namespace.name': ns,
      'k8s.resource.name': 'traced',
    });
    expect(['success', 'requeue', 'error']).toContain(reconcile?.attributes['perpetual.reconcile.result']);
    expect(received[0]?.contentType).toMatch(/json/);
  });

  it('gives the gateway pods the OpenTelemetry variables from spec.observability.tracing', async () => {
    const env = await eventually(async () => {
      const deployment = JSON.parse(
        await cluster.kubectlOk(['get', 'deployment', '-n', ns, '-l', 'app.kubernetes.io/component=gateway', '-o', 'json']),
      ) as {
        items: V1Deployment[];
      };
      const container = deployment.items[0]?.spec?.template.spec?.containers[0];
      expect(container).toBeDefined();
      return Object.fromEntries((container?.env ?? []).map((v) => [v.name, v.value]));
    });
    expect(env).toMatchObject({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.monitoring:4318', OTEL_TRACES_SAMPLER_ARG: '0.5' });
  });
});
