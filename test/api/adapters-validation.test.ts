// spec.adapters: the API server refuses a bad adapter name or source with a message naming the
// field, and stores good ones as given.
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { testCluster } from '../support/kube.ts';

const cluster = testCluster();
let ns = '';
beforeAll(async () => {
  ns = await cluster.createNamespace('adapters-validation');
});

const SOURCE_MESSAGE =
  'source must be hf://org/name (a Hugging Face repository), pvc://claim/path (a directory in a claim) or an http:// or https:// URL';

function modelServer(name: string, adapters: unknown[]): string {
  return stringify({
    apiVersion: 'perpetual.ai/v1alpha1',
    kind: 'ModelServer',
    metadata: { name },
    spec: { model: { id: 'org/model' }, gpu: { count: 1 }, adapters },
  });
}

const cases: { name: string; adapters: unknown[]; expected: string[] }[] = [
  {
    name: 'an upper-case name',
    adapters: [{ name: 'SQL', source: 'hf://org/sql' }],
    expected: ['spec.adapters[0].name', 'should match'],
  },
  {
    name: 'a name with a colon (it separates model and adapter)',
    adapters: [{ name: 'a:b', source: 'hf://org/sql' }],
    expected: ['spec.adapters[0].name', 'should match'],
  },
  {
    name: 'a name longer than 63 characters',
    adapters: [{ name: 'a'.repeat(64), source: 'hf://org/sql' }],
    expected: ['spec.adapters[0].name', 'may not be more than 63'],
  },
  {
    name: 'an unknown scheme',
    adapters: [{ name: 'sql', source: 'ftp://host/sql' }],
    expected: ['spec.adapters[0].source', SOURCE_MESSAGE],
  },
  {
    name: 'a Hugging Face id without org',
    adapters: [{ name: 'sql', source: 'hf://sql' }],
    expected: ['spec.adapters[0].source', SOURCE_MESSAGE],
  },
  {
    name: 'a claim without a path',
    adapters: [{ name: 'sql', source: 'pvc://loras' }],
    expected: ['spec.adapters[0].source', SOURCE_MESSAGE],
  },
  { name: 'a bare path', adapters: [{ name: 'sql', source: '/models/sql' }], expected: ['spec.adapters[0].source', SOURCE_MESSAGE] },
  { name: 'a missing source', adapters: [{ name: 'sql' }], expected: ['spec.adapters[0].source', 'Required value'] },
  {
    name: 'an unknown tier',
    adapters: [{ name: 'sql', source: 'hf://org/sql', tiers: ['gold'] }],
    expected: ['spec.adapters[0].tiers[0]', 'Unsupported value: "gold"', '"free", "pro", "enterprise"'],
  },
  {
    name: 'the same name twice',
    adapters: [
      { name: 'sql', source: 'hf://org/sql' },
      { name: 'sql', source: 'hf://org/other' },
    ],
    expected: ['spec.adapters[1]', 'Duplicate value'],
  },
];

describe('spec.adapters validation', () => {
  it.each(cases)('refuses $name, naming the field', async ({ adapters, expected }) => {
    const result = await cluster.kubectl(['apply', '-n', ns, '-f', '-'], modelServer('invalid', adapters));
    expect(result.code).not.toBe(0);
    for (const text of expected) expect(result.stderr).toContain(text);
    const get = await cluster.kubectl(['get', 'ms', 'invalid', '-n', ns]);
    expect(get.stderr).toContain('NotFound');
  });

  it('accepts each kind of source and stores the list as given', async () => {
    const adapters = [
      { name: 'sql', source: 'hf://yard1/llama-2-7b-sql-lora-test' },
      { name: 'finance.v2', source: 'pvc://loras/finance/v2', tiers: ['pro', 'enterprise'] },
      { name: 'support_bot', source: 'https://adapters.example/support.tar' },
    ];
    await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], modelServer('with-adapters', adapters));
    const stored = JSON.parse(await cluster.kubectlOk(['get', 'ms', 'with-adapters', '-n', ns, '-o', 'json'])) as {
      spec: { adapters: unknown };
    };
    expect(stored.spec.adapters).toEqual(adapters);
  });
});
