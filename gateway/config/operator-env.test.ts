// The operator and the gateway agree on the environment: every variable the operator renders into
// a container running the gateway image (the golden children of every PerpetualDeployment spec,
// user env from spec.gateway.env included) is one the gateway's schema knows, and every literal
// value it sets passes that schema. A variable renamed on one side only fails here, not in a pod.
import { globSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { variableSchema } from './env-schema.ts';
import { readEnv } from './read-env.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface EnvVar {
  name: string;
  value?: string;
}
interface Workload {
  kind: string;
  metadata: { name: string };
  spec?: { template?: { spec?: { containers?: { image?: string; env?: EnvVar[] }[] } } };
}

/** Every container of the gateway image in the operator's golden files, by file and workload. */
function gatewayContainers(): { where: string; env: EnvVar[] }[] {
  const files = globSync('operator/**/testdata/**/*.yaml', { cwd: REPO_ROOT });
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(`${REPO_ROOT}/${file}`, 'utf8'))
      .map((doc) => doc.toJS() as Workload | null)
      .flatMap((object) =>
        (object?.spec?.template?.spec?.containers ?? [])
          .filter((container) => container.image?.includes('perpetual-gateway'))
          .map((container) => ({ where: `${file}: ${object?.kind ?? ''} ${object?.metadata.name ?? ''}`, env: container.env ?? [] })),
      ),
  );
}

describe("the operator's gateway environment", () => {
  const containers = gatewayContainers();

  it('is found: the gateway Deployment and the migration Job of every golden PerpetualDeployment', () => {
    expect(containers.filter((c) => c.where.includes('Deployment')).length).toBeGreaterThanOrEqual(3);
    expect(containers.filter((c) => c.where.includes('Job')).length).toBeGreaterThanOrEqual(3);
  });

  it("sets only variables the gateway's schema knows", () => {
    const unknown = containers.flatMap(({ where, env }) => env.filter((v) => !variableSchema(v.name)).map((v) => `${where}: ${v.name}`));
    expect(unknown).toEqual([]);
  });

  it('sets literal values the schema accepts', () => {
    for (const { where, env } of containers) {
      const literal = Object.fromEntries(env.filter((v) => v.value !== undefined).map((v) => [v.name, v.value]));
      expect(() => readEnv(literal), where).not.toThrow();
    }
  });
});
