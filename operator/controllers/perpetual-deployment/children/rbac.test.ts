// Golden YAML for the gateway's identity in local mode, the only golden spec that has one.
import type { V1Role } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { GROUP } from '../../../api/v1alpha1/group.ts';
import { gatewayIdentity } from './rbac.ts';
import { goldenInput, goldenYaml } from './testdata/golden-inputs.ts';

describe("the gateway's identity (local)", () => {
  const objects = gatewayIdentity(goldenInput('local').owner);

  it('matches the golden YAML', async () => {
    await expect(goldenYaml(objects)).toMatchFileSnapshot('testdata/rbac.local.golden.yaml');
  });

  it('may only read and patch the scale of ModelServers, in the group their CRD is served under', () => {
    const role = objects.find((o): o is V1Role => o.kind === 'Role');
    expect(role?.rules).toEqual([{ apiGroups: [GROUP], resources: ['modelservers/scale'], verbs: ['get', 'patch'] }]);
  });
});
