// Golden YAML for every child of a PerpetualDeployment, plus the invariants every child keeps.
import type { KubernetesObject, V1Deployment, V1EnvVar, V1Job, V1StatefulSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { defaultedModelServer, defaultedPerpetualDeployment } from '../../api/v1alpha1/defaults.ts';
import { Labels } from '../../api/v1alpha1/labels.ts';
import { goldenBase, goldenModelServerSpecs, goldenPerpetualDeploymentSpecs } from '../../api/v1alpha1/testdata/golden-specs.ts';
import { desiredObjects, type DesiredInput } from './desired.ts';

const config = { images: { gateway: 'ghcr.io/perpetual-ai/perpetual-gateway:0.1.0' }, namespace: 'perpetual-system' };

function input(spec: Record<string, unknown>, overrides: Partial<DesiredInput> = {}): DesiredInput {
  return {
    pd: defaultedPerpetualDeployment({ name: 'app', namespace: 'prod' }, { ...goldenBase, ...spec }),
    config,
    modelServers: new Map([['mistral', defaultedModelServer({ name: 'mistral', namespace: 'prod' }, goldenModelServerSpecs.mistral)]]),
    referencedSecretsHash: 'secrets-v1',
    databaseSecretHash: 'db-v1',
    databaseUsable: true,
    ...overrides,
  };
}

const { proxy, local, external } = {
  proxy: input(goldenPerpetualDeploymentSpecs.proxy),
  local: input(goldenPerpetualDeploymentSpecs.local),
  external: input(goldenPerpetualDeploymentSpecs.external),
};

const cases = { proxy, local, external };

function find(objects: KubernetesObject[], kind: string, name: string): KubernetesObject {
  const found = objects.find((o) => o.kind === kind && o.metadata?.name === name);
  if (!found) throw new Error(`${kind}/${name} not desired`);
  return found;
}

function gatewayDeployment(objects: KubernetesObject[]): V1Deployment {
  return find(objects, 'Deployment', 'app-gateway');
}

function gatewayEnv(objects: KubernetesObject[]): V1EnvVar[] {
  return gatewayDeployment(objects).spec?.template.spec?.containers[0]?.env ?? [];
}

describe.each(Object.entries(cases))('desired children (%s)', (name, testInput) => {
  const { objects } = desiredObjects(testInput);

  it('match the golden YAML', async () => {
    await expect(objects.map((o) => stringify(o)).join('---\n')).toMatchFileSnapshot(`testdata/${name}.golden.yaml`);
  });

  it('are deterministic and sorted', () => {
    expect(desiredObjects(structuredClone(testInput))).toEqual(desiredObjects(testInput));
    const keys = objects.map((o) => `${o.kind ?? ''}/${o.metadata?.name ?? ''}`);
    expect(keys).toEqual([...keys].sort((a, b) => a.localeCompare(b)));
  });

  it('each have a controller owner reference and the standard labels', () => {
    for (const obj of objects) {
      expect(obj.metadata?.ownerReferences).toEqual([
        {
          apiVersion: 'perpetual.ai/v1alpha1',
          kind: 'PerpetualDeployment',
          name: 'app',
          uid: 'uid-app',
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      expect(obj.metadata?.labels).toMatchObject({
        [Labels.managedBy]: 'perpetual-operator',
        [Labels.instance]: 'app',
        [Labels.perpetualDeployment]: 'app',
      });
      expect(obj.metadata?.namespace).toBe('prod');
    }
  });

  it('select pods with labels the pod template carries', () => {
    for (const workload of objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet') as (V1Deployment | V1StatefulSet)[]) {
      expect(workload.spec?.template.metadata?.labels).toMatchObject(workload.spec?.selector.matchLabels ?? { missing: true });
    }
  });

  it('request CPU and memory for every container, so no pod is BestEffort', () => {
    const workloads = objects.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind ?? '')) as (
      | V1Deployment
      | V1StatefulSet
      | V1Job
    )[];
    expect(workloads.length).toBeGreaterThan(1);
    for (const workload of workloads) {
      for (const container of workload.spec?.template.spec?.containers ?? []) {
        expect(Object.keys(container.resources?.requests ?? {}).sort(), `${workload.kind ?? ''}/${workload.metadata?.name ?? ''}`).toEqual([
          'cpu',
          'memory',
        ]);
      }
    }
  });

  it('pass secrets only by reference', () => {
    const secretish = /KEY|PASSWORD|TOKEN|SECRET|DATABASE_URL/;
    for (const env of gatewayEnv(objects).filter((e) => secretish.test(e.name))) {
      expect(env.value, env.name).toBeUndefined();
      expect(env.valueFrom?.secretKeyRef, env.name).toBeDefined();
    }
  });
});

describe('desired children', () => {
  it('keep selectors stable whatever the spec says', () => {
    const selector = (i: DesiredInput) => gatewayDeployment(desiredObjects(i).objects).spec?.selector;
    expect(selector(proxy)).toEqual(selector(local));
  });

  it('leave replicas to the HPA when the gateway autoscales', () => {
    const { objects } = desiredObjects(local);
    expect(gatewayDeployment(objects).spec?.replicas).toBeUndefined();
    expect(find(objects, 'HorizontalPodAutoscaler', 'app-gateway')).toBeDefined();
    expect(desiredObjects(proxy).objects.some((o) => o.kind === 'HorizontalPodAutoscaler')).toBe(false);
  });

  it('roll gateway pods when a referenced Secret changes, and only then', () => {
    const hash = (i: DesiredInput) =>
      gatewayDeployment(desiredObjects(i).objects).spec?.template.metadata?.annotations?.['perpetual.ai/config-hash'];
    expect(hash(proxy)).toBe(hash({ ...proxy }));
    expect(hash({ ...proxy, referencedSecretsHash: 'secrets-v2' })).not.toBe(hash(proxy));
  });

  it('migrate again for a new image or new database credentials, and not without a usable database Secret', () => {
    const jobs = (i: DesiredInput) =>
      desiredObjects(i)
        .objects.filter((o) => o.kind === 'Job')
        .map((o) => o.metadata?.name);
    const [first] = jobs(proxy);
    expect(first).toMatch(/^app-migrate-[0-9a-f]{8}$/);
    expect(jobs({ ...proxy, config: { ...config, images: { gateway: 'gateway:0.2.0' } } })).not.toEqual([first]);
    expect(jobs({ ...proxy, databaseSecretHash: 'db-v2' })).not.toEqual([first]);
    expect(jobs({ ...proxy, databaseUsable: false })).toEqual([]);
  });

  it('run no Qdrant or Redis when both are external, and point the gateway at them', () => {
    const { objects, generatedSecrets } = desiredObjects(external);
    expect(objects.some((o) => o.kind === 'StatefulSet' || o.metadata?.name === 'app-redis')).toBe(false);
    expect(generatedSecrets.map((s) => s.name)).toEqual(['app-admin-token']);
    const env = gatewayEnv(objects);
    // From the connection Secret, which holds the external URL as given (credentials and all): never inline in the Deployment.
    expect(env.find((e) => e.name === 'QDRANT_URL')).toEqual({
      name: 'QDRANT_URL',
      valueFrom: { secretKeyRef: { name: 'app-connection', key: 'QDRANT_URL' } },
    });
    const connection = objects.find((o) => o.kind === 'Secret' && o.metadata?.name === 'app-connection') as
      | { data?: Record<string, string> }
      | undefined;
    expect(Buffer.from(connection?.data?.QDRANT_URL ?? '', 'base64').toString()).toBe('https://xyz.cloud.qdrant.io:6333');
    expect(env.find((e) => e.name === 'REDIS_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({ name: 'redis', key: 'password' });
  });

  it('let a user variable replace one of ours, once', () => {
    const env = gatewayEnv(desiredObjects(input({ mode: 'proxy', gateway: { env: [{ name: 'LOG_LEVEL', value: 'debug' }] } })).objects);
    expect(env.filter((e) => e.name === 'LOG_LEVEL')).toEqual([{ name: 'LOG_LEVEL', value: 'debug' }]);
  });
});

describe('memory embedding from a ModelServer', () => {
  it("hands the gateway the ModelServer's endpoint and served model", () => {
    const objects = desiredObjects(
      input({ mode: 'local', models: [], memory: { embedding: { source: 'modelServer', modelServerRef: { name: 'mistral' } } } }),
    ).objects;
    const configMap = find(objects, 'ConfigMap', 'app-gateway-config') as { data?: Record<string, string> };
    const file = parse(configMap.data?.['config.yaml'] ?? '') as { memory: { embedding: Record<string, unknown> } };
    expect(file.memory.embedding).toEqual({
      source: 'modelServer',
      modelServerRef: { name: 'mistral' },
      endpoint: 'http://mistral-vllm.prod.svc:8000/v1',
      model: 'mistral-7b',
    });
  });
});
