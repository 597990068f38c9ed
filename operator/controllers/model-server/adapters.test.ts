// What spec.adapters does to the vLLM Deployment: golden YAML, and the rule that a changed list
// alone does not change the pod template (so the pods do not roll).
import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { defaultedModelServer } from '../../api/v1alpha1/defaults.ts';
import { keepRunningLoraModules, splitLoraModules, withAdapters, withAdaptersApplied } from './adapters.ts';
import { buildModelDeployment, desiredObjects } from './desired.ts';
import { ownerOf } from '../../resources/meta.ts';

function server(spec: Record<string, unknown>) {
  return defaultedModelServer(
    { name: 'llama', namespace: 'ml' },
    { model: { id: 'meta-llama/Llama-3.1-8B-Instruct' }, engine: { args: ['--max-lora-rank', '64'] }, ...spec },
  );
}

const adapters = [
  { name: 'sql', source: 'hf://yard1/llama-2-7b-sql-lora-test' },
  { name: 'finance', source: 'pvc://loras/finance/v2' },
];
const withLora = server({ adapters, vllm: { maxLoras: 8 } });

function deploymentOf(ms: ReturnType<typeof server>): V1Deployment {
  return withAdapters(buildModelDeployment(ownerOf({ ...ms, kind: 'ModelServer' }), ms.spec), ms.spec);
}

function argsOf(d: V1Deployment): string[] {
  return d.spec?.template.spec?.containers[0]?.args ?? [];
}

describe('the vLLM Deployment with adapters', () => {
  it('matches the golden YAML', async () => {
    await expect(stringify(deploymentOf(withLora))).toMatchFileSnapshot('testdata/lora.golden.yaml');
  });

  it("switches LoRA on before the user's engine.args, which still come last and win", () => {
    const args = argsOf(deploymentOf(withLora));
    expect(args.slice(-2)).toEqual(['--max-lora-rank', '64']);
    const at = args.indexOf('--enable-lora');
    expect(args.slice(at, at + 6)).toEqual([
      '--enable-lora',
      '--max-loras',
      '8',
      '--lora-modules',
      '{"name":"finance","path":"/adapters/loras/finance/v2"}',
      '{"name":"sql","path":"yard1/llama-2-7b-sql-lora-test"}',
    ]);
    expect(argsOf(deploymentOf(server({ adapters }))).join(' ')).toContain('--max-loras 4');
  });

  it('allows the runtime API, and mounts each claim read-only once', () => {
    const pod = deploymentOf(withLora).spec?.template.spec;
    expect(pod?.containers[0]?.env).toContainEqual({ name: 'VLLM_ALLOW_RUNTIME_LORA_UPDATING', value: 'True' });
    expect(pod?.volumes?.filter((v) => v.persistentVolumeClaim?.claimName === 'loras')).toHaveLength(1);
    expect(pod?.containers[0]?.volumeMounts).toContainEqual(expect.objectContaining({ mountPath: '/adapters/loras', readOnly: true }));
  });

  it('leaves a ModelServer without adapters exactly as before', () => {
    const plain = server({});
    const built = buildModelDeployment(ownerOf({ ...plain, kind: 'ModelServer' }), plain.spec);
    expect(withAdapters(built, plain.spec)).toBe(built);
    expect(withAdaptersApplied(desiredObjects(plain), plain.spec, undefined)).toEqual(desiredObjects(plain));
  });
});

describe('a changed adapter list alone does not roll the pods', () => {
  const running = deploymentOf(withLora);

  it('keeps the --lora-modules the running pods started with when only the list changed', () => {
    const added = server({ adapters: [...adapters, { name: 'support', source: 'hf://org/support' }], vllm: { maxLoras: 8 } });
    const kept = keepRunningLoraModules(deploymentOf(added), running);
    expect(kept.spec?.template).toEqual(running.spec?.template);
  });

  it('takes the current list when the command line changes for another reason (the pods roll anyway)', () => {
    const changed = server({ adapters: [adapters[0]], vllm: { maxLoras: 16 } });
    const next = keepRunningLoraModules(deploymentOf(changed), running);
    expect(splitLoraModules(argsOf(next)).modules).toEqual(['{"name":"sql","path":"yard1/llama-2-7b-sql-lora-test"}']);
    expect(argsOf(next)).toContain('16');
  });

  it('turning LoRA on or off changes the template: vLLM enables LoRA only at start', () => {
    const plain = server({});
    const first = withAdaptersApplied(desiredObjects(plain), withLora.spec, deploymentOf(plain));
    expect(argsOf(first.find((o) => o.kind === 'Deployment') as V1Deployment)).toContain('--enable-lora');
    const off = withAdaptersApplied(desiredObjects(plain), plain.spec, running);
    expect(argsOf(off.find((o) => o.kind === 'Deployment') as V1Deployment)).not.toContain('--enable-lora');
  });
});

describe('splitLoraModules', () => {
  it('takes every value up to the next flag', () => {
    expect(splitLoraModules(['--a', '--lora-modules', 'x', 'y', '--b', '1'])).toEqual({
      rest: ['--a', '--lora-modules', '--b', '1'],
      modules: ['x', 'y'],
    });
    expect(splitLoraModules(['--a'])).toEqual({ rest: ['--a'], modules: undefined });
  });
});
