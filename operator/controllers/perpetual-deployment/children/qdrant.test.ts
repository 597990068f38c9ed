// Golden YAML for the managed Qdrant, per golden spec that runs one (external does not).
import type { V1PodDisruptionBudget, V1StatefulSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { qdrantObjects } from './qdrant.ts';
import { goldenInput, goldenYaml, type GoldenSpec } from './testdata/golden-inputs.ts';

function qdrantContainer(spec: GoldenSpec) {
  const { owner, pd } = goldenInput(spec);
  const statefulSet = qdrantObjects(owner, pd).find((o): o is V1StatefulSet => o.kind === 'StatefulSet');
  return statefulSet?.spec?.template.spec?.containers[0];
}

describe.each<GoldenSpec>(['proxy', 'local'])('the managed Qdrant (%s)', (spec) => {
  const { owner, pd } = goldenInput(spec);

  it('matches the golden YAML', async () => {
    await expect(goldenYaml(qdrantObjects(owner, pd))).toMatchFileSnapshot(`testdata/qdrant.${spec}.golden.yaml`);
  });
});

describe('the managed Qdrant', () => {
  it('runs in cluster mode only with more than one replica', () => {
    const clusterEnabled = (spec: GoldenSpec) => qdrantContainer(spec)?.env?.some((e) => e.name === 'QDRANT__CLUSTER__ENABLED');
    // proxy: one replica (the default); local: three.
    expect(qdrantContainer('proxy')?.command).toBeUndefined();
    expect(clusterEnabled('proxy')).toBe(false);
    expect(qdrantContainer('local')?.command?.join(' ')).toContain('--bootstrap http://app-qdrant-0.app-qdrant-headless.prod.svc:6335');
    expect(clusterEnabled('local')).toBe(true);
  });

  it('has a PodDisruptionBudget of one pod at a time only in cluster mode', () => {
    const budgets = (spec: GoldenSpec) => {
      const { owner, pd } = goldenInput(spec);
      return qdrantObjects(owner, pd).filter((o): o is V1PodDisruptionBudget => o.kind === 'PodDisruptionBudget');
    };
    expect(budgets('proxy')).toEqual([]);
    expect(budgets('local').map((b) => b.spec)).toEqual([
      {
        maxUnavailable: 1,
        selector: {
          matchLabels: {
            'app.kubernetes.io/instance': 'app',
            'app.kubernetes.io/component': 'qdrant',
            'perpetual.ai/perpetualdeployment': 'app',
          },
        },
      },
    ]);
  });

  it('keeps its claims when deleted unless retainOnDelete is false, and on scale-down always', () => {
    const retention = (spec: GoldenSpec) => {
      const { owner, pd } = goldenInput(spec);
      return qdrantObjects(owner, pd).find((o): o is V1StatefulSet => o.kind === 'StatefulSet')?.spec?.persistentVolumeClaimRetentionPolicy;
    };
    expect(retention('proxy')).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' }); // the default
    expect(retention('local')).toEqual({ whenDeleted: 'Delete', whenScaled: 'Retain' }); // retainOnDelete: false
  });

  it('requests CPU and memory unless the spec sizes it, so it is never BestEffort', () => {
    expect(qdrantContainer('proxy')?.resources).toEqual({ requests: { cpu: '250m', memory: '256Mi' } });
    const { owner, pd } = goldenInput('proxy');
    const sized = structuredClone(pd);
    sized.spec.vectorStore.managed.resources = { limits: { memory: '4Gi' } };
    const container = qdrantObjects(owner, sized).find((o): o is V1StatefulSet => o.kind === 'StatefulSet')?.spec?.template.spec
      ?.containers[0];
    expect(container?.resources).toEqual({ limits: { memory: '4Gi' } });
  });
});
