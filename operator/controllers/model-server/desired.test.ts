// Golden YAML and invariants for a ModelServer's children.
import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { defaultedModelServer } from '../../api/v1alpha1/defaults.ts';
import { goldenModelServerSpecs } from '../../api/v1alpha1/testdata/golden-specs.ts';
import { desiredReplicas } from '../../api/v1alpha1/model-server-funcs.ts';
import { desiredObjects, vllmArgs } from './desired.ts';

const full = defaultedModelServer({ name: 'llama', namespace: 'ml' }, goldenModelServerSpecs.llama);
const cpu = defaultedModelServer({ name: 'tiny', namespace: 'ml' }, goldenModelServerSpecs.tiny);

describe.each([
  ['full', full],
  ['cpu', cpu],
] as const)('ModelServer children (%s)', (name, ms) => {
  const objects = desiredObjects(ms);

  it('match the golden YAML', async () => {
    await expect(objects.map((o) => stringify(o)).join('---\n')).toMatchFileSnapshot(`testdata/${name}.golden.yaml`);
  });

  it('own every child and select the pods they label', () => {
    for (const obj of objects)
      expect(obj.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'ModelServer', name: ms.metadata?.name, controller: true });
    const deployment = objects.find((o) => o.kind === 'Deployment') as V1Deployment;
    expect(deployment.spec?.template.metadata?.labels).toMatchObject(deployment.spec?.selector.matchLabels ?? { missing: true });
  });
});

function podOf(ms: typeof full) {
  return (desiredObjects(ms).find((o) => o.kind === 'Deployment') as V1Deployment).spec?.template.spec;
}

describe('ModelServer builders', () => {
  it('request GPUs as limits and tolerate the usual GPU taint', () => {
    const pod = (desiredObjects(full).find((o) => o.kind === 'Deployment') as V1Deployment).spec?.template.spec;
    expect(pod?.containers[0]?.resources?.limits).toEqual({ 'nvidia.com/gpu': '4' });
    expect(pod?.tolerations).toContainEqual({ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' });
    // podTemplate.nodeSelector merged in.
    expect(pod?.nodeSelector).toEqual({ 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3', pool: 'gpu' });
  });

  it('request CPU and memory by default, so the pods are never BestEffort, and take engine.resources as given instead', () => {
    const requests = (ms: typeof cpu) => podOf(ms)?.containers[0]?.resources;
    expect(requests(cpu)).toEqual({ requests: { cpu: '250m', memory: '1Gi' } });
    expect(requests(full)).toEqual({ requests: { cpu: '250m', memory: '1Gi' }, limits: { 'nvidia.com/gpu': '4' } });
    const sized = defaultedModelServer(
      { name: 'tiny', namespace: 'ml' },
      { ...goldenModelServerSpecs.tiny, engine: { resources: { limits: { memory: '16Mi' } } } },
    );
    // Only a limit: Kubernetes sets the request equal to it; a default request above it would be refused.
    expect(requests(sized)).toEqual({ limits: { memory: '16Mi' } });
  });
});

describe('ModelServer podTemplate', () => {
  const pod = podOf(full);
  const template = (desiredObjects(full).find((o) => o.kind === 'Deployment') as V1Deployment).spec?.template;

  it('sets the pod and vLLM container security contexts it is given, and none otherwise', () => {
    expect(pod?.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 2000,
      runAsGroup: 2000,
      fsGroup: 2000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod?.containers[0]?.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(podOf(cpu)?.securityContext).toBeUndefined();
    expect(podOf(cpu)?.containers[0]?.securityContext).toBeUndefined();
  });

  it("adds its labels without replacing the operator's, and its annotations", () => {
    expect(template?.metadata?.labels).toMatchObject({
      team: 'ml',
      'app.kubernetes.io/component': 'vllm',
      'perpetual.ai/modelserver': 'llama',
    });
    expect(template?.metadata?.annotations).toEqual({ 'example.com/owner': 'ml-platform' });
  });

  it("adds its tolerations to the spec's and the GPU one, and sets the ServiceAccount", () => {
    expect(pod?.tolerations).toEqual([
      { key: 'dedicated', operator: 'Equal', value: 'llm', effect: 'NoSchedule' },
      { key: 'spot', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    expect(pod?.serviceAccountName).toBe('llama');
  });

  it('takes affinity and priorityClassName from podTemplate when the top-level fields are empty', () => {
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }],
        },
      },
    };
    const ms = defaultedModelServer(
      { name: 'tiny', namespace: 'ml' },
      { ...goldenModelServerSpecs.tiny, podTemplate: { affinity, priorityClassName: 'batch' } },
    );
    expect(podOf(ms)).toMatchObject({ affinity, priorityClassName: 'batch' });
  });

  it("adds its volumes to the pod and its mounts to the vLLM container, after the operator's", () => {
    expect(pod?.volumes?.map((v) => v.name)).toEqual(['dshm', 'weights', 'tmp', 'template']);
    expect(pod?.volumes?.slice(2)).toEqual([
      { name: 'tmp', emptyDir: { sizeLimit: '1Gi' } },
      { name: 'template', configMap: { name: 'chat-template' } },
    ]);
    expect(pod?.containers[0]?.volumeMounts?.slice(2)).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'template', mountPath: '/etc/vllm/template.jinja', readOnly: true, subPath: 'template.jinja' },
    ]);
  });

  it('never moves the GPU product off the node selector', () => {
    const ms = defaultedModelServer(
      { name: 'llama', namespace: 'ml' },
      { ...goldenModelServerSpecs.llama, podTemplate: { nodeSelector: { 'nvidia.com/gpu.product': 'other' } } },
    );
    expect(podOf(ms)?.nodeSelector).toEqual({ 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' });
  });

  it("builds vLLM arguments from the spec, with the user's last", () => {
    const args = vllmArgs(full.spec);
    expect(args.slice(args.indexOf('--tensor-parallel-size'), args.indexOf('--tensor-parallel-size') + 2)).toEqual([
      '--tensor-parallel-size',
      '4',
    ]);
    expect(args).toContain('--download-dir');
    expect(args.at(-1)).toBe('--enable-prefix-caching');
  });

  it('takes replicas from the spec, else the autoscaling minimum, else 1', () => {
    expect(desiredReplicas(full.spec)).toBe(2);
    expect(desiredReplicas({ ...full.spec, replicas: undefined })).toBe(0);
    expect(desiredReplicas(cpu.spec)).toBe(1);
  });

  it('needs no spare GPU to roll out by default', () => {
    const deployment = desiredObjects(full).find((o) => o.kind === 'Deployment') as V1Deployment;
    expect(deployment.spec?.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } });
  });
});
