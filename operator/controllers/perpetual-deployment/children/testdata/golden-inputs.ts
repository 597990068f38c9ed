// The golden PerpetualDeployments as the children's builders take them: the specs, names, images
// and hashes of ../../desired.test.ts, so each child's golden file here is a part of that spec's
// whole golden file in ../../testdata/.
import type { KubernetesObject } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { defaultedModelServer, defaultedPerpetualDeployment } from '../../../../api/v1alpha1/defaults.ts';
import type { ModelServer } from '../../../../api/v1alpha1/model-server.ts';
import type { PerpetualDeployment } from '../../../../api/v1alpha1/perpetual-deployment.ts';
import { goldenBase, goldenModelServerSpecs, goldenPerpetualDeploymentSpecs } from '../../../../api/v1alpha1/testdata/golden-specs.ts';
import { ownerOf, type Owner } from '../../../../resources/meta.ts';
import { gatewayImage } from '../gateway.ts';

export type GoldenSpec = keyof typeof goldenPerpetualDeploymentSpecs;

export interface GoldenInput {
  owner: Owner;
  pd: PerpetualDeployment;
  image: string;
  modelServers: ReadonlyMap<string, ModelServer>;
  referencedSecretsHash: string;
  databaseSecretHash: string;
  operatorNamespace: string;
}

const config = { images: { gateway: 'ghcr.io/perpetual-ai/perpetual-gateway:0.1.0' }, namespace: 'perpetual-system' };

export function goldenInput(spec: GoldenSpec): GoldenInput {
  const pd = defaultedPerpetualDeployment({ name: 'app', namespace: 'prod' }, { ...goldenBase, ...goldenPerpetualDeploymentSpecs[spec] });
  return {
    owner: ownerOf({ ...pd, kind: 'PerpetualDeployment' }),
    pd,
    image: gatewayImage(pd, config),
    modelServers: new Map([['mistral', defaultedModelServer({ name: 'mistral', namespace: 'prod' }, goldenModelServerSpecs.mistral)]]),
    referencedSecretsHash: 'secrets-v1',
    databaseSecretHash: 'db-v1',
    operatorNamespace: config.namespace,
  };
}

/** Objects as the golden files hold them: YAML documents in the builder's order. */
export function goldenYaml(objects: KubernetesObject[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}
