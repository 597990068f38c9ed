import { describe, expect, it } from 'vitest';
import { defaultedPerpetualDeployment } from '../../api/v1alpha1/defaults.ts';
import { specProblems } from './spec-problems.ts';

const base = {
  mode: 'proxy' as const,
  database: { secretRef: { name: 'db' } },
  encryptionKeySecretRef: { name: 'enc' },
  models: [{ name: 'gpt-4o-mini', provider: 'openai' as const }],
};
const pd = (spec: Record<string, unknown>) => defaultedPerpetualDeployment({ name: 'app', namespace: 'prod' }, { ...base, ...spec });

describe('specProblems', () => {
  it('finds nothing wrong with parsable URLs', () => {
    expect(
      specProblems(
        pd({
          vectorStore: { type: 'external', external: { url: 'https://xyz.cloud.qdrant.io:6333' } },
          cache: { type: 'external', external: { url: 'rediss://:pw@cache.example:6380/0' } },
        }),
      ),
    ).toEqual([]);
  });

  it.each([
    // Both match the schema's pattern (^rediss?://.+, ^https?://.+) and would make `new URL` throw.
    {
      name: 'a Redis URL with a port that is not a number',
      spec: { cache: { type: 'external', external: { url: 'redis://cache.example:port' } } },
      purpose: 'cache',
      message: 'spec.cache.external.url "redis://cache.example:port" is not a valid URL.',
    },
    {
      name: 'a Qdrant URL with a space in its host',
      spec: { vectorStore: { type: 'external', external: { url: 'https://qdrant example' } } },
      purpose: 'vector store',
      message: 'spec.vectorStore.external.url "https://qdrant example" is not a valid URL.',
    },
    {
      name: 'a model base URL without a host',
      spec: { models: [{ name: 'm', provider: 'openai-compatible', baseURL: 'https://:443/v1' }] },
      purpose: 'models',
      message: 'spec.models[0].baseURL "https://:443/v1" is not a valid URL.',
    },
  ] as const)('names $name', ({ spec, purpose, message }) => {
    expect(specProblems(pd(spec))).toEqual([{ purpose, reason: 'InvalidSpec', message }]);
  });

  it('redacts the credentials of an unparsable URL it names', () => {
    const [problem] = specProblems(pd({ cache: { type: 'external', external: { url: 'redis://default:s3/cret@cache.example:6379' } } }));
    expect(problem?.message).toBe('spec.cache.external.url "redis://***@cache.example:6379" is not a valid URL.');
  });
});
