// Golden YAML for the NetworkPolicy on the vLLM pods of the ModelServers a stack uses (local mode).
import { describe, expect, it } from 'vitest';
import { defaultedPerpetualDeployment } from '../../../api/v1alpha1/defaults.ts';
import { goldenBase } from '../../../api/v1alpha1/testdata/golden-specs.ts';
import { ownerOf } from '../../../resources/meta.ts';
import { modelServersNetworkPolicy } from './model-servers.ts';
import { goldenInput, goldenYaml } from './testdata/golden-inputs.ts';

describe("the ModelServers' NetworkPolicy (local)", () => {
  const { owner, pd, operatorNamespace } = goldenInput('local');

  it('matches the golden YAML', async () => {
    await expect(goldenYaml(modelServersNetworkPolicy(owner, pd, operatorNamespace))).toMatchFileSnapshot(
      'testdata/model-servers.local.golden.yaml',
    );
  });
});

describe("the ModelServers' NetworkPolicy", () => {
  it('selects the vLLM pods of every ModelServer the stack routes to or embeds with, once each', () => {
    const pd = defaultedPerpetualDeployment(
      { name: 'app', namespace: 'prod' },
      {
        ...goldenBase,
        mode: 'local',
        models: [
          { name: 'b', modelServerRef: { name: 'beta' } },
          { name: 'a', modelServerRef: { name: 'alpha' } },
          { name: 'a2', modelServerRef: { name: 'alpha' } },
        ],
        memory: { embedding: { source: 'modelServer', modelServerRef: { name: 'embedder' } } },
      },
    );
    const [policy] = modelServersNetworkPolicy(ownerOf({ ...pd, kind: 'PerpetualDeployment' }), pd, 'ops');
    expect(policy?.spec?.podSelector).toEqual({
      matchLabels: { 'app.kubernetes.io/component': 'vllm' },
      matchExpressions: [{ key: 'perpetual.ai/modelserver', operator: 'In', values: ['alpha', 'beta', 'embedder'] }],
    });
  });

  it('is absent when the stack uses no ModelServer, or has policies off', () => {
    const { owner, pd, operatorNamespace } = goldenInput('proxy');
    expect(modelServersNetworkPolicy(owner, pd, operatorNamespace)).toEqual([]);
    const local = goldenInput('local');
    const off = structuredClone(local.pd);
    off.spec.networkPolicy.enabled = false;
    expect(modelServersNetworkPolicy(local.owner, off, local.operatorNamespace)).toEqual([]);
  });
});
