// Golden YAML for the migration Job, per golden spec.
import { describe, expect, it } from 'vitest';
import { migrationJob, migrationJobName } from './migration.ts';
import { goldenInput, goldenYaml, type GoldenSpec } from './testdata/golden-inputs.ts';

describe.each<GoldenSpec>(['proxy', 'local', 'external'])('the migration Job (%s)', (spec) => {
  const { owner, pd, image, databaseSecretHash } = goldenInput(spec);

  it('matches the golden YAML', async () => {
    await expect(goldenYaml([migrationJob(owner, pd, image, databaseSecretHash)])).toMatchFileSnapshot(
      `testdata/migration.${spec}.golden.yaml`,
    );
  });
});

describe("the migration Job's name", () => {
  it('changes with the image and the database credentials, and only with them', () => {
    const name = migrationJobName('app', 'gateway:0.1.0', 'db-v1');
    expect(name).toMatch(/^app-migrate-[0-9a-f]{8}$/);
    expect(migrationJobName('app', 'gateway:0.1.0', 'db-v1')).toBe(name);
    expect(migrationJobName('app', 'gateway:0.2.0', 'db-v1')).not.toBe(name);
    expect(migrationJobName('app', 'gateway:0.1.0', 'db-v2')).not.toBe(name);
  });
});
