// The operator as a separate process against a real API server: children, status, drift,
// pruning, zero writes at steady state, and what only the operator can see (missing references).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { GatewayFileConfig } from '../../operator/api/v1alpha1/gateway-config.ts';
import { eventually } from '../support/eventually.ts';
import { DB_URI, FERNET_KEY, modelServer, perpetualDeployment, secretsManifest } from '../support/fixtures.ts';
import { testCluster } from '../support/kube.ts';
import { startOperator, type OperatorProcess } from '../support/operator.ts';

const cluster = testCluster();
let ns = '';
let operator: OperatorProcess;

interface Obj {
  metadata: {
    name: string;
    uid: string;
    generation?: number;
    annotations?: Record<string, string>;
    ownerReferences?: { uid: string; controller?: boolean; kind: string }[];
  };
  spec?: Record<string, unknown>;
  status?: {
    observedGeneration?: number;
    phase?: string;
    phaseReason?: string;
    conditions?: { type: string; status: string; reason: string; message: string }[];
    [k: string]: unknown;
  };
}

async function get(resource: string): Promise<Obj> {
  return JSON.parse(await cluster.kubectlOk(['get', resource, '-n', ns, '-o', 'json'])) as Obj;
}

async function list(resource: string): Promise<Obj[]> {
  return (JSON.parse(await cluster.kubectlOk(['get', resource, '-n', ns, '-o', 'json'])) as { items: Obj[] }).items;
}

function conditionOf(obj: Obj, type: string) {
  return obj.status?.conditions?.find((c) => c.type === type);
}

async function apply(manifest: string): Promise<void> {
  await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], manifest);
}

beforeAll(async () => {
  ns = await cluster.createNamespace('operator');
  await cluster.kubectl(['create', 'namespace', 'perpetual-system']);
  await apply(secretsManifest());
  operator = await startOperator({ kubeconfigPath: cluster.kubeconfigPath });
});

afterAll(async () => {
  await operator.stop();
});

describe('PerpetualDeployment', () => {
  const expectedChildren = [
    'ConfigMap/app-gateway-config',
    'Deployment/app-gateway',
    'Deployment/app-redis',
    'PodDisruptionBudget/app-gateway',
    'Secret/app-admin-token',
    'Secret/app-connection',
    'Secret/app-qdrant-api-key',
    'Secret/app-redis-password',
    'Service/app-gateway',
    'Service/app-qdrant',
    'Service/app-qdrant-headless',
    'Service/app-redis',
    'StatefulSet/app-qdrant',
  ];

  it('creates every child with a controller owner reference and reports status for this generation', async () => {
    await apply(perpetualDeployment('app'));
    const pd = await eventually(async () => {
      const obj = await get('pd/app');
      expect(obj.status?.observedGeneration).toBe(obj.metadata.generation);
      return obj;
    });
    await eventually(async () => {
      const children = await list('deploy,sts,svc,cm,secret,pdb,job');
      const owned = children.filter((c) => c.metadata.ownerReferences?.some((r) => r.uid === pd.metadata.uid && r.controller));
      const names = owned.map((c) => `${(c as unknown as { kind: string }).kind}/${c.metadata.name}`);
      for (const child of expectedChildren) expect(names).toContain(child);
      expect(names.some((n) => n.startsWith('Job/app-migrate-'))).toBe(true);
    });
    const status = (await get('pd/app')).status;
    expect(status?.conditions?.map((c) => c.type).sort()).toEqual([
      'CacheReady',
      'DatabaseReady',
      'GatewayReady',
      'ModelsReady',
      'Ready',
      'Reconciling',
      'Stalled',
      'VectorStoreReady',
    ]);
    // No kube-controller-manager in this profile: nothing becomes ready, and status says so.
    expect(conditionOf(await get('pd/app'), 'Ready')?.status).toBe('False');
    expect(status?.phase).toBe('Progressing');
    expect(status?.url).toBe(`http://app-gateway.${ns}.svc:80`);
    expect(status?.connectionSecretName).toBe('app-connection');
  });

  it('references Secrets from the gateway and never copies their values into children', async () => {
    const gateway = JSON.stringify(await get('deploy/app-gateway'));
    expect(gateway).toContain('"secretKeyRef":{"key":"uri","name":"db"}');
    const everything = JSON.stringify(await list('deploy,sts,svc,cm,job,pd'));
    expect(everything).not.toContain(DB_URI);
    expect(everything).not.toContain(FERNET_KEY);
  });

  it('updates children when the spec changes, rolling pods through the config hash', async () => {
    const before = await get('deploy/app-gateway');
    const hashBefore = (before.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations[
      'perpetual.ai/config-hash'
    ];
    await apply(perpetualDeployment('app', { gateway: { replicas: 3 }, tiers: { free: { requestsPerMinute: 20, requestsPerDay: 2000 } } }));
    await eventually(async () => {
      const after = await get('deploy/app-gateway');
      const spec = after.spec as { replicas: number; template: { metadata: { annotations: Record<string, string> } } };
      expect(spec.replicas).toBe(3);
      // Tiers reach the gateway through its configuration file only (operator/api/v1alpha1/gateway-config.ts).
      const configMap = (await get('configmap/app-gateway-config')) as Obj & { data?: Record<string, string> };
      const file = parse(configMap.data?.['config.yaml'] ?? '') as GatewayFileConfig;
      expect(file.tiers?.free).toEqual({ requestsPerMinute: 20, requestsPerDay: 2000 });
      expect(spec.template.metadata.annotations['perpetual.ai/config-hash']).not.toBe(hashBefore);
    });
  });

  it('recreates a deleted child', async () => {
    await cluster.kubectlOk(['delete', 'configmap', 'app-gateway-config', '-n', ns]);
    await eventually(async () => {
      expect((await get('configmap/app-gateway-config')).metadata.name).toBe('app-gateway-config');
    });
  });

  it('reverts a hand edit of a field it owns', async () => {
    await cluster.kubectlOk(['scale', 'deploy/app-gateway', '-n', ns, '--replicas=7']);
    await eventually(async () => {
      expect((await get('deploy/app-gateway')).spec?.replicas).toBe(3);
    });
  });

  it('adds an HPA for autoscaling, stops setting replicas, and prunes the HPA when autoscaling is removed', async () => {
    await apply(perpetualDeployment('app', { gateway: { autoscaling: { minReplicas: 2, maxReplicas: 6 } } }));
    await eventually(async () => {
      expect((await get('hpa/app-gateway')).spec).toMatchObject({ minReplicas: 2, maxReplicas: 6 });
      const managed = JSON.stringify((await get('deploy/app-gateway')).metadata);
      expect(managed).not.toContain('"f:replicas"');
    });
    await apply(perpetualDeployment('app', { gateway: { replicas: 2 } }));
    await eventually(async () => {
      const result = await cluster.kubectl(['get', 'hpa', 'app-gateway', '-n', ns]);
      expect(result.stderr).toContain('NotFound');
    });
  });

  it('makes zero API writes when nothing changed', async () => {
    // Let in-flight work settle: no write for two seconds.
    let writes = await operator.counter('perpetual_operator_api_writes_total');
    await eventually(
      async () => {
        await new Promise((r) => setTimeout(r, 2000));
        const now = await operator.counter('perpetual_operator_api_writes_total');
        const settled = now === writes;
        writes = now;
        expect(settled).toBe(true);
      },
      30_000,
      0,
    );
    const reconciles = await operator.counter('perpetual_operator_reconcile_total');
    // An annotation changes no spec: it triggers a reconcile that must find nothing to do.
    await cluster.kubectlOk(['annotate', 'pd/app', '-n', ns, 'example.com/touched=yes', '--overwrite']);
    await eventually(async () => {
      expect(await operator.counter('perpetual_operator_reconcile_total')).toBeGreaterThan(reconciles);
    });
    expect(await operator.counter('perpetual_operator_api_writes_total')).toBe(writes);
  });
});

describe('what only the operator can see', () => {
  it('names a missing Secret in status, stalls, records an event, and recovers when it appears', async () => {
    await apply(perpetualDeployment('nodb', { database: { secretRef: { name: 'missing-db' } } }));
    const pd = await eventually(async () => {
      const obj = await get('pd/nodb');
      expect(conditionOf(obj, 'DatabaseReady')).toMatchObject({
        status: 'False',
        reason: 'SecretNotFound',
        message: 'Secret "missing-db" (database) not found.',
      });
      return obj;
    });
    expect(conditionOf(pd, 'Stalled')).toMatchObject({ status: 'True', reason: 'SecretNotFound' });
    expect(pd.status?.phase).toBe('Failed');
    expect(pd.status?.phaseReason).toBe('Secret "missing-db" (database) not found.');
    // A migration now would only fail and hide the cause.
    expect((await list('job')).some((j) => j.metadata.name.startsWith('nodb-migrate-'))).toBe(false);
    await eventually(async () => {
      const events = await cluster.kubectlOk(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=nodb', '-o', 'json']);
      expect(events).toContain('SecretNotFound');
    });

    await cluster.kubectlOk(['create', 'secret', 'generic', 'missing-db', '-n', ns, '--from-literal=uri=postgresql://x@y/z']);
    // Secrets are not watched (the operator does not cache every Secret): the requeue picks it up.
    await eventually(async () => {
      const obj = await get('pd/nodb');
      expect(conditionOf(obj, 'DatabaseReady')?.reason).toBe('Migrating');
      expect(conditionOf(obj, 'Stalled')?.status).toBe('False');
      expect((await list('job')).some((j) => j.metadata.name.startsWith('nodb-migrate-'))).toBe(true);
    });
  });

  it('names a missing ModelServer and reports it ready once it exists', async () => {
    await apply(perpetualDeployment('local', { mode: 'local', models: [{ name: 'mistral', modelServerRef: { name: 'mistral-7b' } }] }));
    await eventually(async () => {
      const obj = await get('pd/local');
      expect(conditionOf(obj, 'ModelsReady')).toMatchObject({
        status: 'False',
        reason: 'ModelServerNotFound',
        message: 'ModelServer "mistral-7b" not found.',
      });
      expect(obj.status?.modelsSummary).toBe('0/1');
    });
    // Scaled to zero needs no pods, so it is Ready even without a scheduler.
    await apply(modelServer('mistral-7b', { replicas: undefined, autoscaling: { minReplicas: 0, maxReplicas: 2 } }));
    await eventually(async () => {
      const obj = await get('pd/local');
      expect(conditionOf(obj, 'ModelsReady')).toMatchObject({ status: 'True' });
      expect(obj.status?.modelsSummary).toBe('1/1');
    });
    const config = await get('configmap/local-gateway-config');
    expect(JSON.stringify(config)).toContain(`http://mistral-7b-vllm.${ns}.svc:8000/v1`);
  });

  it('names a missing embedding ModelServer and routes embeddings to it once it exists', async () => {
    await apply(
      perpetualDeployment('embed', {
        mode: 'local',
        models: [{ name: 'mistral', modelServerRef: { name: 'mistral-7b' } }],
        memory: { embedding: { source: 'modelServer', modelServerRef: { name: 'bge' } } },
      }),
    );
    await eventually(async () => {
      expect(conditionOf(await get('pd/embed'), 'ModelsReady')).toMatchObject({
        status: 'False',
        reason: 'ModelServerNotFound',
        message: 'ModelServer "bge" not found.',
      });
    });
    await apply(
      modelServer('bge', {
        model: { id: 'BAAI/bge-small-en-v1.5', servedName: 'bge-small' },
        replicas: undefined,
        autoscaling: { minReplicas: 0, maxReplicas: 1 },
      }),
    );
    await eventually(async () => {
      expect(conditionOf(await get('pd/embed'), 'ModelsReady')).toMatchObject({ status: 'True' });
      const config = JSON.stringify(await get('configmap/embed-gateway-config'));
      expect(config).toContain(`http://bge-vllm.${ns}.svc:8000/v1`);
      expect(config).toContain('bge-small');
    });
  });
});

describe('ModelServer', () => {
  it('builds a GPU Deployment with the vLLM arguments and a Service, and reports a selector', async () => {
    await apply(modelServer('llama', { gpu: { count: 2, product: 'NVIDIA-H100-80GB-HBM3' }, vllm: { maxModelLen: 4096 } }));
    await eventually(async () => {
      const deploy = await get('deploy/llama-vllm');
      const pod = (
        deploy.spec as {
          template: {
            spec: { containers: { args: string[]; resources: { limits: Record<string, string> } }[]; nodeSelector: Record<string, string> };
          };
        }
      ).template.spec;
      expect(pod.containers[0]?.resources.limits['nvidia.com/gpu']).toBe('2');
      expect(pod.containers[0]?.args).toEqual(
        expect.arrayContaining(['--tensor-parallel-size', '2', '--max-model-len', '4096', '--served-model-name', 'org/test-model-7b']),
      );
      expect(pod.nodeSelector['nvidia.com/gpu.product']).toBe('NVIDIA-H100-80GB-HBM3');
      expect((deploy.spec as { strategy: unknown }).strategy).toEqual({
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
      });
      expect((await get('svc/llama-vllm')).metadata.name).toBe('llama-vllm');
      const ms = await get('ms/llama');
      expect(ms.status?.selector).toContain('perpetual.ai/modelserver=llama');
      expect(ms.status?.endpoint).toBe(`http://llama-vllm.${ns}.svc:8000/v1`);
    });
  });

  it('follows kubectl scale through the scale subresource', async () => {
    await cluster.kubectlOk(['scale', 'ms/llama', '-n', ns, '--replicas=3']);
    await eventually(async () => {
      expect((await get('deploy/llama-vllm')).spec?.replicas).toBe(3);
      expect((await get('ms/llama')).status?.desiredReplicas).toBe(3);
    });
  });
});

describe('logs', () => {
  it('never contain a Secret value', async () => {
    const logs = operator.logs();
    expect(logs.length).toBeGreaterThan(1000);
    expect(logs).not.toContain(DB_URI);
    expect(logs).not.toContain('db-password-never-logged');
    expect(logs).not.toContain(FERNET_KEY);
    const generated = JSON.parse(await cluster.kubectlOk(['get', 'secret', 'app-redis-password', '-n', ns, '-o', 'json'])) as {
      data: { password: string };
    };
    expect(logs).not.toContain(Buffer.from(generated.data.password, 'base64').toString());
    expect(logs).not.toContain(generated.data.password);
  });
});

describe('a child the cluster refuses', () => {
  it('is named in status and events, and retried with backoff rather than in a hot loop', async () => {
    // An in-cluster policy (as a platform team might write) that forbids PodDisruptionBudgets here.
    const policy = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: no-pdb-${ns}}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules: [{apiGroups: [policy], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [poddisruptionbudgets]}]
  validations: [{expression: "false", message: "PodDisruptionBudgets are not allowed in this namespace"}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: no-pdb-${ns}}
spec:
  policyName: no-pdb-${ns}
  validationActions: [Deny]
  matchResources:
    namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ${ns}}}
`;
    await cluster.kubectlOk(['apply', '-f', '-'], policy);
    // Policies take effect shortly after creation; a probe PDB tells us when.
    await eventually(async () => {
      const probe = await cluster.kubectl(['create', 'pdb', 'probe', '-n', ns, '--selector=a=b', '--max-unavailable=1']);
      expect(probe.stderr).toContain('not allowed in this namespace');
    });
    const errorsBefore = await operator.counter('perpetual_operator_reconcile_errors_total');
    await apply(perpetualDeployment('refused'));
    const pd = await eventually(async () => {
      const obj = await get('pd/refused');
      expect(conditionOf(obj, 'Reconciling')).toMatchObject({ status: 'True', reason: 'ApplyFailed' });
      return obj;
    });
    expect(pd.status?.phaseReason).toContain('PodDisruptionBudgets are not allowed in this namespace');
    expect(pd.status?.phaseReason).toContain('PodDisruptionBudget');
    await eventually(async () => {
      const events = await cluster.kubectlOk([
        'get',
        'events',
        '-n',
        ns,
        '--field-selector',
        'involvedObject.name=refused,type=Warning',
        '-o',
        'jsonpath={.items[*].reason}',
      ]);
      expect(events).toContain('ApplyFailed');
    });
    // Exponential backoff: over three seconds, a handful of retries, not hundreds.
    await new Promise((r) => setTimeout(r, 3000));
    const retries = (await operator.counter('perpetual_operator_reconcile_errors_total')) - errorsBefore;
    expect(retries).toBeGreaterThan(0);
    expect(retries).toBeLessThan(15);
    await cluster.kubectlOk(['delete', 'validatingadmissionpolicybinding,validatingadmissionpolicy', `no-pdb-${ns}`]);
  });
});
