// Golden YAML for the managed Qdrant, per golden spec that runs one (external does not).
import type { V1StatefulSet } from '@kubernetes/client-node';
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
});
