// Pod Security admission, as the API server applies it to a namespace labelled `restricted`, judges
// the pods the operator's workloads would create: each pod template is submitted as a Pod with a
// server-side dry run, so admission runs and nothing is stored or scheduled. The gateway, Qdrant,
// Redis and the migration meet `restricted` as built; a vLLM pod does with a podTemplate that sets
// the security contexts (and an image that runs as that user), and without one is refused.
import { beforeAll, describe, expect, it } from 'vitest';
import type { KubernetesObject, V1Deployment, V1Job, V1PodTemplateSpec, V1StatefulSet } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { defaultedModelServer, defaultedPerpetualDeployment } from '../../operator/api/v1alpha1/defaults.ts';
import { goldenBase, goldenModelServerSpecs, goldenPerpetualDeploymentSpecs } from '../../operator/api/v1alpha1/testdata/golden-specs.ts';
import { desiredObjects as modelServerObjects } from '../../operator/controllers/model-server/desired.ts';
import { desiredObjects } from '../../operator/controllers/perpetual-deployment/desired.ts';
import { testCluster } from '../support/kube.ts';

const cluster = testCluster();
let ns = '';

beforeAll(async () => {
  ns = await cluster.createNamespace('restricted');
  await cluster.kubectlOk([
    'label',
    'namespace',
    ns,
    'pod-security.kubernetes.io/enforce=restricted',
    'pod-security.kubernetes.io/enforce-version=latest',
  ]);
  // The ServiceAccounts the pods name (the llama golden spec's, and a local-mode gateway's).
  await cluster.kubectlOk(['create', 'serviceaccount', 'llama', '-n', ns]);
  await cluster.kubectlOk(['create', 'serviceaccount', 'app-gateway', '-n', ns]);
});

type Workload = V1Deployment | V1StatefulSet | V1Job;

/**
 * Each workload's pod template, as the pod its controller would create: a StatefulSet adds a volume
 * per claim template. PriorityClass and RuntimeClass are left out: their admission wants the
 * cluster-wide objects, and Pod Security does not look at them.
 */
function podTemplates(objects: KubernetesObject[]): [string, V1PodTemplateSpec][] {
  return objects
    .filter((o): o is Workload => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind ?? ''))
    .map((w) => {
      const template = structuredClone(w.spec?.template ?? {});
      const claims = 'volumeClaimTemplates' in (w.spec ?? {}) ? ((w as V1StatefulSet).spec?.volumeClaimTemplates ?? []) : [];
      const spec = template.spec ?? { containers: [] };
      spec.volumes = [
        ...(spec.volumes ?? []),
        ...claims.map((c) => ({ name: c.metadata?.name ?? '', persistentVolumeClaim: { claimName: `${c.metadata?.name ?? ''}-0` } })),
      ];
      delete spec.priorityClassName;
      delete spec.runtimeClassName;
      return [`${w.kind ?? ''}/${w.metadata?.name ?? ''}`, { ...template, spec }];
    });
}

/** kubectl's answer to creating a Pod from `template` in the restricted namespace, without storing it. */
async function admit(name: string, template: V1PodTemplateSpec): Promise<{ code: number; stderr: string }> {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: name.toLowerCase().replace(/[^a-z0-9-]/g, '-'), labels: template.metadata?.labels },
    spec: template.spec,
  };
  return cluster.kubectl(['create', '--dry-run=server', '-n', ns, '-f', '-'], stringify(pod));
}

describe('Pod Security restricted', () => {
  it.each(['proxy', 'local'] as const)('admits every pod of a %s stack', async (spec) => {
    const pd = defaultedPerpetualDeployment({ name: 'app', namespace: ns }, { ...goldenBase, ...goldenPerpetualDeploymentSpecs[spec] });
    const { objects } = desiredObjects({
      pd,
      config: { images: { gateway: 'ghcr.io/perpetual-ai/perpetual-gateway:0.1.0' }, namespace: 'perpetual-system' },
      modelServers: new Map(),
      referencedSecretsHash: 'x',
      databaseSecretHash: 'x',
      databaseUsable: true,
    });
    const templates = podTemplates(objects);
    expect(templates.map(([name]) => name.split('/')[0]).sort()).toEqual(['Deployment', 'Deployment', 'Job', 'StatefulSet']);
    for (const [name, template] of templates) {
      const result = await admit(name, template);
      expect(result.stderr, name).toBe('');
      expect(result.code, name).toBe(0);
    }
  });

  it('admits a vLLM pod whose podTemplate sets the security contexts', async () => {
    // The llama golden spec's podTemplate: runAsNonRoot with a numeric user, RuntimeDefault seccomp, no escalation, ALL capabilities dropped.
    const ms = defaultedModelServer({ name: 'llama', namespace: ns }, goldenModelServerSpecs.llama);
    const [[name, template] = ['', {}]] = podTemplates(modelServerObjects(ms));
    const result = await admit(name, template);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('refuses a vLLM pod without them, naming what restricted asks for', async () => {
    const ms = defaultedModelServer({ name: 'plain', namespace: ns }, goldenModelServerSpecs.mistral);
    const [[name, template] = ['', {}]] = podTemplates(modelServerObjects(ms));
    const result = await admit(name, template);
    expect(result.code).not.toBe(0);
    for (const violation of [
      'violates PodSecurity "restricted:latest"',
      'allowPrivilegeEscalation != false',
      'runAsNonRoot != true',
      'seccompProfile',
    ]) {
      expect(result.stderr).toContain(violation);
    }
  });
});
