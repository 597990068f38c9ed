// Golden YAML for the managed Redis, per golden spec that runs one (external does not).
import { describe, expect, it } from 'vitest';
import { redisObjects } from './redis.ts';
import { goldenInput, goldenYaml, type GoldenSpec } from './testdata/golden-inputs.ts';

describe.each<GoldenSpec>(['proxy', 'local'])('the managed Redis (%s)', (spec) => {
  const { owner, pd } = goldenInput(spec);

  it('matches the golden YAML', async () => {
    await expect(goldenYaml(redisObjects(owner, pd))).toMatchFileSnapshot(`testdata/redis.${spec}.golden.yaml`);
  });
});
