// Invalid objects never reach the operator: the API server rejects them with a message naming the field.
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { testCluster } from '../support/kube.ts';

const cluster = testCluster();
let ns = '';
beforeAll(async () => {
  ns = await cluster.createNamespace('validation');
});

type Spec = Record<string, unknown>;
const validPd = (): Spec => ({
  mode: 'proxy',
  database: { secretRef: { name: 'db' } },
  encryptionKeySecretRef: { name: 'enc' },
  models: [{ name: 'gpt-4o-mini', provider: 'openai' }],
});
const validMs = (): Spec => ({ model: { id: 'org/model' }, gpu: { count: 1 } });

function manifest(kind: 'PerpetualDeployment' | 'ModelServer', name: string, spec: Spec): string {
  return stringify({ apiVersion: 'perpetual.ai/v1alpha1', kind, metadata: { name }, spec });
}

interface Case {
  name: string;
  kind: 'PerpetualDeployment' | 'ModelServer';
  spec: Spec;
  objectName?: string;
  /** Every string must appear in kubectl's error. */
  expected: string[];
}

const cases: Case[] = [
  {
    name: 'fact extraction on without a model',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), memory: { factExtraction: { enabled: true } } },
    expected: ['spec.memory.factExtraction.model', 'model is required when fact extraction uses the provider source'],
  },
  {
    name: 'fact extraction by a ModelServer without its reference',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), memory: { factExtraction: { enabled: true, source: 'modelServer' } } },
    expected: ['spec.memory.factExtraction.modelServerRef', 'modelServerRef is required when source is modelServer'],
  },
  {
    name: 'fact extraction for an unknown tier, in batches too large',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), memory: { factExtraction: { tiers: ['gold'], batchSize: 500 } } },
    expected: ['spec.memory.factExtraction.tiers[0]', 'Unsupported value: "gold"', 'spec.memory.factExtraction.batchSize'],
  },
  {
    name: 'bad enum',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), mode: 'hybrid' },
    expected: ['spec.mode', 'Unsupported value: "hybrid"', '"proxy", "local"'],
  },
  {
    name: 'min > max',
    kind: 'ModelServer',
    spec: { ...validMs(), autoscaling: { minReplicas: 5, maxReplicas: 2 } },
    expected: ['spec.autoscaling.minReplicas', 'minReplicas must be less than or equal to maxReplicas'],
  },
  {
    name: 'negative GPU count',
    kind: 'ModelServer',
    spec: { ...validMs(), gpu: { count: -1 } },
    expected: ['spec.gpu.count', 'should be greater than or equal to 0'],
  },
  {
    name: 'missing required field',
    kind: 'PerpetualDeployment',
    spec: { mode: 'proxy', encryptionKeySecretRef: { name: 'enc' } },
    expected: ['spec.database', 'Required value'],
  },
  { name: 'missing model id', kind: 'ModelServer', spec: { model: {} }, expected: ['spec.model.id', 'Required value'] },
  {
    name: 'gateway replicas and autoscaling together',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), gateway: { replicas: 2, autoscaling: { maxReplicas: 4 } } },
    expected: ['spec.gateway', 'set either replicas or autoscaling, not both'],
  },
  {
    name: 'a local-mode model without a ModelServer',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), mode: 'local' },
    expected: ['spec.models', 'in local mode every model needs a modelServerRef'],
  },
  {
    name: 'a model with both a provider and a ModelServer',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), models: [{ name: 'm', provider: 'openai', modelServerRef: { name: 'x' } }] },
    expected: ['spec.models[0]', 'set exactly one of modelServerRef (local mode) or provider (proxy mode)'],
  },
  {
    name: 'openai-compatible without a base URL',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), models: [{ name: 'm', provider: 'openai-compatible' }] },
    expected: ['spec.models[0].baseURL', 'baseURL is required for provider openai-compatible'],
  },
  {
    // The gateway echoes model names in response headers; the same pattern guards each request.
    name: 'a model name that is not header-safe',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), models: [{ name: 'gpt-模型', provider: 'openai' }] },
    expected: ['spec.models[0].name', 'should match', '^[A-Za-z0-9._:@+/-]+$'],
  },
  {
    name: 'a served model name with a space',
    kind: 'ModelServer',
    spec: { ...validMs(), model: { id: 'org/model', servedName: 'my model' } },
    expected: ['spec.model.servedName', 'should match'],
  },
  {
    name: 'an external vector store without its URL',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), vectorStore: { type: 'external' } },
    expected: ['spec.vectorStore.external', 'vectorStore.external is required when type is external'],
  },
  {
    name: 'a tier allowing more per minute than per day',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), tiers: { free: { requestsPerMinute: 100, requestsPerDay: 50 } } },
    expected: ['spec.tiers.free.requestsPerMinute', 'requestsPerMinute must not exceed requestsPerDay'],
  },
  {
    name: 'a negative token limit',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), tiers: { free: { tokensPerMinute: -5 } } },
    expected: ['spec.tiers.free.tokensPerMinute'],
  },
  {
    name: 'an absurd token limit',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), tiers: { pro: { tokensPerDay: 1e15 } } },
    expected: ['spec.tiers.pro.tokensPerDay'],
  },
  {
    name: 'a tier allowing more tokens per minute than per day',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), tiers: { free: { tokensPerMinute: 100, tokensPerDay: 50 } } },
    expected: ['spec.tiers.free.tokensPerMinute', 'tokensPerMinute must not exceed tokensPerDay'],
  },
  {
    name: 'a negative tier budget',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), tiers: { free: { budget: { monthlyUsd: -1 } } } },
    expected: ['spec.tiers.free.budget.monthlyUsd'],
  },
  {
    name: 'an absurd tier budget',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), tiers: { pro: { budget: { dailyUsd: 1e9 } } } },
    expected: ['spec.tiers.pro.budget.dailyUsd'],
  },
  {
    name: 'a daily budget above the monthly one',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), tiers: { pro: { budget: { dailyUsd: 20, monthlyUsd: 10 } } } },
    expected: ['spec.tiers.pro.budget.dailyUsd', 'dailyUsd must not exceed monthlyUsd'],
  },
  {
    name: 'a soft budget threshold outside 1 to 100 percent',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), tiers: { enterprise: { budget: { monthlyUsd: 10, softLimitPercent: 150 } } } },
    expected: ['spec.tiers.enterprise.budget.softLimitPercent'],
  },
  {
    name: 'tensor parallelism beyond the GPU count',
    kind: 'ModelServer',
    spec: { ...validMs(), gpu: { count: 2 }, vllm: { tensorParallelSize: 4 } },
    expected: ['spec.vllm.tensorParallelSize', 'vllm.tensorParallelSize cannot exceed gpu.count'],
  },
  {
    name: 'a rollout that can never progress',
    kind: 'ModelServer',
    spec: { ...validMs(), rollout: { maxSurge: 0, maxUnavailable: 0 } },
    expected: ['spec.rollout', 'maxSurge and maxUnavailable cannot both be 0'],
  },
  {
    name: 'a kvCacheUtilization target above 1',
    kind: 'ModelServer',
    spec: { ...validMs(), autoscaling: { maxReplicas: 2, metric: 'kvCacheUtilization', target: 80 } },
    expected: ['spec.autoscaling.target', 'target for kvCacheUtilization is a fraction in (0, 1]'],
  },
  {
    name: 'an image reference with whitespace',
    kind: 'ModelServer',
    spec: { ...validMs(), engine: { image: 'vllm/vllm-openai: v0.11.0' } },
    expected: ['spec.engine.image', 'should match'],
  },
  {
    name: 'a gateway image of spaces',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), gateway: { image: '   ' } },
    expected: ['spec.gateway.image', 'should match'],
  },
  {
    name: 'a managed Redis image with an upper-case path',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), cache: { managed: { image: 'Redis:7' } } },
    expected: ['spec.cache.managed.image', 'should match'],
  },
  {
    // 9223372036854775807 used to be stored, and reach vLLM as --max-model-len 9223372036854776000.
    name: 'a maxModelLen beyond 32 bits',
    kind: 'ModelServer',
    spec: { ...validMs(), vllm: { maxModelLen: 4294967296 } },
    expected: ['spec.vllm.maxModelLen', 'should be less than or equal to 2147483647'],
  },
  {
    name: 'tensor parallelism on a CPU server',
    kind: 'ModelServer',
    spec: { ...validMs(), gpu: { count: 0 }, vllm: { tensorParallelSize: 2 } },
    expected: ['spec.vllm.tensorParallelSize', 'vllm.tensorParallelSize above 1 needs GPUs'],
  },
  {
    name: 'a GPU-only vLLM flag in the args of a CPU server',
    kind: 'ModelServer',
    spec: { ...validMs(), gpu: { count: 0 }, engine: { args: ['--max-num-seqs', '8', '--gpu-memory-utilization=0.5'] } },
    expected: ['spec.engine.args', 'engine.args sets a GPU-only vLLM flag', 'but gpu.count is 0'],
  },
  {
    name: 'a standby (vLLM sleep mode) on a CPU server',
    kind: 'ModelServer',
    spec: { ...validMs(), gpu: { count: 0 }, autoscaling: { maxReplicas: 2, standby: {} } },
    expected: ['spec.autoscaling.standby', 'needs gpu.count above 0'],
  },
  {
    name: 'a standby with an HPA scaling the replicas',
    kind: 'ModelServer',
    spec: { ...validMs(), autoscaling: { engine: 'hpa', maxReplicas: 2, standby: {} } },
    expected: ['spec.autoscaling.standby', 'standby needs engine builtin'],
  },
  {
    name: 'sleep level 2 (its wake-up needs a weights reload the gateway does not make)',
    kind: 'ModelServer',
    spec: { ...validMs(), autoscaling: { maxReplicas: 2, standby: { sleepLevel: 2 } } },
    expected: ['spec.autoscaling.standby.sleepLevel'],
  },
  {
    name: 'a node affinity that is not an object',
    kind: 'ModelServer',
    spec: { ...validMs(), affinity: { nodeAffinity: 'garbage' } },
    expected: ['spec.affinity.nodeAffinity', 'must be of type object'],
  },
  {
    name: 'a gateway pod anti-affinity that is not an object',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), gateway: { podTemplate: { affinity: { podAntiAffinity: ['x'] } } } },
    expected: ['spec.gateway.podTemplate.affinity.podAntiAffinity', 'must be of type object'],
  },
  {
    name: 'a pod security context field of the wrong type',
    kind: 'ModelServer',
    spec: { ...validMs(), podTemplate: { securityContext: { runAsUser: 'nobody' } } },
    expected: ['spec.podTemplate.securityContext.runAsUser', 'must be of type integer'],
  },
  {
    name: 'a negative user id in the container security context',
    kind: 'ModelServer',
    spec: { ...validMs(), podTemplate: { containerSecurityContext: { runAsUser: -1 } } },
    expected: ['spec.podTemplate.containerSecurityContext.runAsUser', 'should be greater than or equal to 0'],
  },
  {
    name: 'a seccomp profile type that does not exist',
    kind: 'ModelServer',
    spec: { ...validMs(), podTemplate: { securityContext: { seccompProfile: { type: 'Strict' } } } },
    expected: ['spec.podTemplate.securityContext.seccompProfile.type', 'Unsupported value: "Strict"'],
  },
  {
    name: 'a Localhost seccomp profile without its path',
    kind: 'ModelServer',
    spec: { ...validMs(), podTemplate: { containerSecurityContext: { seccompProfile: { type: 'Localhost' } } } },
    expected: [
      'spec.podTemplate.containerSecurityContext.seccompProfile.localhostProfile',
      'localhostProfile is required for type Localhost',
    ],
  },
  {
    name: 'a capability list that is not a list',
    kind: 'ModelServer',
    spec: { ...validMs(), podTemplate: { containerSecurityContext: { capabilities: { drop: 'ALL' } } } },
    expected: ['spec.podTemplate.containerSecurityContext.capabilities.drop', 'must be of type array'],
  },
  {
    name: 'affinity both at the top level and in podTemplate',
    kind: 'ModelServer',
    spec: { ...validMs(), affinity: { nodeAffinity: {} }, podTemplate: { affinity: { nodeAffinity: {} } } },
    expected: ['spec.podTemplate.affinity', 'set affinity or podTemplate.affinity, not both'],
  },
  {
    name: 'priorityClassName both at the top level and in podTemplate',
    kind: 'ModelServer',
    spec: { ...validMs(), priorityClassName: 'a', podTemplate: { priorityClassName: 'b' } },
    expected: ['spec.podTemplate.priorityClassName', 'set priorityClassName or podTemplate.priorityClassName, not both'],
  },
  {
    name: 'a podTemplate volume with two sources',
    kind: 'ModelServer',
    spec: { ...validMs(), podTemplate: { volumes: [{ name: 'cache', emptyDir: {}, secret: { secretName: 's' } }] } },
    expected: ['spec.podTemplate.volumes[0]', 'set exactly one of emptyDir, configMap, secret or persistentVolumeClaim'],
  },
  {
    name: "a podTemplate volume named like the operator's",
    kind: 'ModelServer',
    spec: { ...validMs(), podTemplate: { volumes: [{ name: 'dshm', emptyDir: {} }] } },
    expected: ['spec.podTemplate.volumes[0].name', "volume names dshm, weights and model-source are the operator's"],
  },
  {
    name: 'a podTemplate mount over the weights',
    kind: 'ModelServer',
    spec: { ...validMs(), podTemplate: { volumes: [{ name: 'w', emptyDir: {} }], volumeMounts: [{ name: 'w', mountPath: '/models' }] } },
    expected: ['spec.podTemplate.volumeMounts[0].mountPath', "mount paths /dev/shm, /models and /model-source are the operator's"],
  },
  {
    name: 'a podTemplate mount of a volume that does not exist',
    kind: 'ModelServer',
    spec: { ...validMs(), podTemplate: { volumeMounts: [{ name: 'missing', mountPath: '/cache' }] } },
    expected: ['spec.podTemplate.volumeMounts', 'every volumeMounts[].name must be one of podTemplate.volumes'],
  },
  {
    // Not 'yes': kubectl reads YAML 1.1, where an unquoted yes is a boolean.
    name: 'a network policy switch that is not a boolean',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), networkPolicy: { enabled: 'sometimes' } },
    expected: ['spec.networkPolicy.enabled', 'must be of type boolean'],
  },
  {
    name: 'an allowed egress range that is not a CIDR',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), networkPolicy: { gatewayEgress: { policy: 'Restricted', allowedCIDRs: ['10.0.0.0/8', 'api.openai.com'] } } },
    expected: ['spec.networkPolicy.gatewayEgress.allowedCIDRs[1]', 'must be a CIDR such as 10.0.0.0/8'],
  },
  {
    name: 'allowed egress ranges while egress is open',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), networkPolicy: { gatewayEgress: { allowedCIDRs: ['10.0.0.0/8'] } } },
    expected: ['spec.networkPolicy.gatewayEgress.allowedCIDRs', 'allowedCIDRs applies only with policy Restricted'],
  },
  {
    name: 'an egress policy that does not exist',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), networkPolicy: { gatewayEgress: { policy: 'DenyAll' } } },
    expected: ['spec.networkPolicy.gatewayEgress.policy', 'Unsupported value: "DenyAll"'],
  },
  {
    name: 'a gateway ingress peer with both an IP block and a selector',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), networkPolicy: { gatewayIngressFrom: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }] } },
    expected: ['spec.networkPolicy.gatewayIngressFrom[0]', 'set ipBlock, or podSelector and/or namespaceSelector'],
  },
  {
    name: 'a metrics peer whose selector expression lacks its values',
    kind: 'PerpetualDeployment',
    spec: {
      ...validPd(),
      networkPolicy: { metricsFrom: [{ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'In' }] } }] },
    },
    expected: ['spec.networkPolicy.metricsFrom[0].namespaceSelector.matchExpressions[0].values', 'values are required for In and NotIn'],
  },
  {
    name: 'a retainOnDelete that is not a boolean',
    kind: 'PerpetualDeployment',
    spec: { ...validPd(), vectorStore: { managed: { retainOnDelete: 'sometimes' } } },
    expected: ['spec.vectorStore.managed.retainOnDelete', 'must be of type boolean'],
  },
  {
    name: 'a name too long for derived child names',
    kind: 'ModelServer',
    spec: validMs(),
    objectName: 'a'.repeat(41),
    expected: ['metadata.name must be at most 40 characters'],
  },
];

describe('the API server rejects invalid objects with a readable message', () => {
  it.each(cases)('$name', async ({ kind, spec, objectName, expected }) => {
    const name = objectName ?? 'invalid';
    const result = await cluster.kubectl(['apply', '-n', ns, '-f', '-'], manifest(kind, name, spec));
    expect(result.code).not.toBe(0);
    for (const text of expected) expect(result.stderr).toContain(text);
    // Nothing was stored.
    const get = await cluster.kubectl(['get', kind.toLowerCase(), name, '-n', ns]);
    expect(get.stderr).toContain('NotFound');
  });

  it('accepts the valid baselines the cases start from', async () => {
    await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], manifest('PerpetualDeployment', 'valid', validPd()));
    await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], manifest('ModelServer', 'valid', validMs()));
  });

  it('accepts tier budgets in dollars and cents, and stores them as given', async () => {
    const budget = { dailyUsd: 0.5, monthlyUsd: 12.75, lifetimeUsd: 0, softLimitPercent: 90 };
    await cluster.kubectlOk(
      ['apply', '-n', ns, '-f', '-'],
      manifest('PerpetualDeployment', 'budgets', { ...validPd(), tiers: { free: { budget } } }),
    );
    const stored = JSON.parse(await cluster.kubectlOk(['get', 'pd', 'budgets', '-n', ns, '-o', 'json'])) as {
      spec: { tiers: { free: { budget: unknown } } };
    };
    expect(stored.spec.tiers.free.budget).toEqual(budget);
  });

  it('accepts fact extraction settings and fills their defaults (off unless enabled)', async () => {
    await cluster.kubectlOk(
      ['apply', '-n', ns, '-f', '-'],
      manifest('PerpetualDeployment', 'facts', {
        ...validPd(),
        memory: { factExtraction: { enabled: true, model: 'gpt-4o-mini', tiers: ['pro'] } },
      }),
    );
    const stored = JSON.parse(await cluster.kubectlOk(['get', 'pd', 'facts', '-n', ns, '-o', 'json'])) as {
      spec: { memory: { factExtraction: unknown } };
    };
    expect(stored.spec.memory.factExtraction).toEqual({
      enabled: true,
      source: 'provider',
      model: 'gpt-4o-mini',
      tiers: ['pro'],
      batchSize: 8,
      flushIntervalMs: 30000,
      timeoutMs: 30000,
    });
    const off = JSON.parse(await cluster.kubectlOk(['get', 'pd', 'valid', '-n', ns, '-o', 'json'])) as {
      spec: { memory: { factExtraction: { enabled: boolean } } };
    };
    expect(off.spec.memory.factExtraction.enabled).toBe(false);
  });

  it('accepts what the tightened rules must still let through', async () => {
    const cpu = {
      ...validMs(),
      gpu: { count: 0 },
      vllm: { tensorParallelSize: 1, maxModelLen: 2147483647 },
      engine: {
        image: 'registry.example:5000/team/vllm-cpu@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
        args: ['--max-num-seqs', '8'],
      },
    };
    await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], manifest('ModelServer', 'cpu', cpu));
    const gpu = { ...validMs(), gpu: { count: 2 }, engine: { args: ['--tensor-parallel-size=2', '--gpu-memory-utilization', '0.8'] } };
    await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], manifest('ModelServer', 'gpu', gpu));
    const nodeAffinity = {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }],
      },
    };
    await cluster.kubectlOk(
      ['apply', '-n', ns, '-f', '-'],
      manifest('ModelServer', 'pinned', { ...validMs(), affinity: { nodeAffinity } }),
    );
    const stored = JSON.parse(await cluster.kubectlOk(['get', 'ms', 'pinned', '-n', ns, '-o', 'json'])) as { spec: { affinity: unknown } };
    expect(stored.spec.affinity).toEqual({ nodeAffinity });
  });

  it('accepts a restricted-ready podTemplate and network settings, and stores them as given', async () => {
    const podTemplate = {
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 1000,
        fsGroup: 1000,
        seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/vllm.json' },
      },
      containerSecurityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true },
    };
    await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], manifest('ModelServer', 'restricted', { ...validMs(), podTemplate }));
    const ms = JSON.parse(await cluster.kubectlOk(['get', 'ms', 'restricted', '-n', ns, '-o', 'json'])) as {
      spec: { podTemplate: unknown };
    };
    expect(ms.spec.podTemplate).toEqual(podTemplate);
    const networkPolicy = {
      enabled: true,
      gatewayIngressFrom: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }, { namespaceSelector: {} }],
      gatewayEgress: { policy: 'Restricted', allowedCIDRs: ['203.0.113.7/32', '2001:db8::/32'] },
    };
    await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], manifest('PerpetualDeployment', 'fenced', { ...validPd(), networkPolicy }));
    const pd = JSON.parse(await cluster.kubectlOk(['get', 'pd', 'fenced', '-n', ns, '-o', 'json'])) as {
      spec: { networkPolicy: unknown; vectorStore: { managed: { retainOnDelete: boolean } } };
    };
    expect(pd.spec.networkPolicy).toEqual(networkPolicy);
    // The default, filled in by the server: claims are kept.
    expect(pd.spec.vectorStore.managed.retainOnDelete).toBe(true);
  });
});
