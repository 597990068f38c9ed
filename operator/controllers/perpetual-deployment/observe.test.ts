import { describe, expect, it } from 'vitest';
import { defaultedPerpetualDeployment } from '../../api/v1alpha1/defaults.ts';
import { referencedModelServers } from './observe.ts';

const base = { mode: 'local' as const, database: { secretRef: { name: 'db' } }, encryptionKeySecretRef: { name: 'enc' } };

describe('referencedModelServers', () => {
  it('names the models\' ModelServers and the embedding one, each once', () => {
    const pd = defaultedPerpetualDeployment({ name: 'app', namespace: 'prod' }, {
      ...base,
      models: [{ name: 'chat', modelServerRef: { name: 'mistral' } }, { name: 'chat-long', modelServerRef: { name: 'mistral' } }],
      memory: { embedding: { source: 'modelServer', modelServerRef: { name: 'bge' } } },
    });
    expect(referencedModelServers(pd)).toEqual(['mistral', 'bge']);
  });

  it('ignores an embedding ModelServer the source does not use', () => {
    const pd = defaultedPerpetualDeployment({ name: 'app', namespace: 'prod' }, {
      ...base,
      models: [{ name: 'chat', modelServerRef: { name: 'mistral' } }],
      memory: { embedding: { source: 'builtin', modelServerRef: { name: 'bge' } } },
    });
    expect(referencedModelServers(pd)).toEqual(['mistral']);
  });
});
