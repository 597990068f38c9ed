// Golden YAML for the managed Redis, per golden spec that runs one (external does not).
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { redisObjects } from './redis.ts';
import { goldenInput, goldenYaml, type GoldenSpec } from './testdata/golden-inputs.ts';

describe.each<GoldenSpec>(['proxy', 'local'])('the managed Redis (%s)', (spec) => {
  const { owner, pd } = goldenInput(spec);

  it('matches the golden YAML', async () => {
    await expect(goldenYaml(redisObjects(owner, pd))).toMatchFileSnapshot(`testdata/redis.${spec}.golden.yaml`);
  });
});

describe('the managed Redis', () => {
  it('requests CPU and memory unless the spec sizes it, so it is never BestEffort', () => {
    const container = (objects: KubernetesObject[]) =>
      objects.find((o): o is V1Deployment => o.kind === 'Deployment')?.spec?.template.spec?.containers[0];
    const { owner, pd } = goldenInput('proxy');
    expect(container(redisObjects(owner, pd))?.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' } });
    const sized = structuredClone(pd);
    sized.spec.cache.managed.resources = { requests: { cpu: 1 } };
    expect(container(redisObjects(owner, sized))?.resources).toEqual({ requests: { cpu: '1' } });
  });
});
