// Golden YAML for the gateway's children, per golden spec. Its configuration file is checked
// against the gateway's own loader in ../gateway-config.test.ts.
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { variableSchema } from '../../../../gateway/config/env-schema.ts';
import { DRAIN_DELAY_SECONDS, gatewayFileConfig, gatewayObjects } from './gateway.ts';
import { goldenInput, goldenYaml, type GoldenInput, type GoldenSpec } from './testdata/golden-inputs.ts';

function deployment(objects: KubernetesObject[]): V1Deployment | undefined {
  return objects.find((o): o is V1Deployment => o.kind === 'Deployment');
}

function configHash(input: GoldenInput): string | undefined {
  return deployment(gatewayObjects(input.owner, input))?.spec?.template.metadata?.annotations?.['perpetual.ai/config-hash'];
}

describe.each<GoldenSpec>(['proxy', 'local', 'external'])('the gateway (%s)', (spec) => {
  const input = goldenInput(spec);

  it('matches the golden YAML', async () => {
    await expect(goldenYaml(gatewayObjects(input.owner, input))).toMatchFileSnapshot(`testdata/gateway.${spec}.golden.yaml`);
  });
});

describe('the gateway', () => {
  it('rolls its pods when an external URL changes: they read it from the connection Secret, which the template does not show', () => {
    const input = goldenInput('external');
    const external = input.pd.spec.vectorStore.external;
    if (!external) throw new Error('the external golden spec has no external vector store');
    const moved = structuredClone(input.pd);
    moved.spec.vectorStore.external = { ...external, url: 'https://abc.cloud.qdrant.io:6333' };
    expect(configHash({ ...input, pd: moved })).not.toBe(configHash(input));
  });

  it('mounts a ServiceAccount token only in local mode, the one mode that talks to the Kubernetes API', () => {
    const podSpec = (spec: GoldenSpec) => {
      const input = goldenInput(spec);
      return deployment(gatewayObjects(input.owner, input))?.spec?.template.spec;
    };
    expect(podSpec('local')).toMatchObject({ serviceAccountName: 'app-gateway' });
    expect(podSpec('local')?.automountServiceAccountToken).toBeUndefined();
    expect(podSpec('proxy')).toMatchObject({ automountServiceAccountToken: false });
    expect(podSpec('proxy')?.serviceAccountName).toBeUndefined();
  });

  it.each<GoldenSpec>(['proxy', 'local', 'external'])(
    '(%s) keeps serving a moment after it is told to stop, and is given time for that and its own drain',
    (spec) => {
      const input = goldenInput(spec);
      const pod = deployment(gatewayObjects(input.owner, input))?.spec?.template.spec;
      const container = pod?.containers.find((c) => c.name === 'gateway');
      // SIGTERM (and connections refused) only after kube-proxy has had time to stop sending new ones.
      expect(container?.lifecycle?.preStop).toEqual({ sleep: { seconds: DRAIN_DELAY_SECONDS } });
      expect(DRAIN_DELAY_SECONDS).toBeGreaterThanOrEqual(5);
      // The operator does not set SHUTDOWN_GRACE_MS: the gateway's default applies, and it exits at
      // the latest 2 s after that (gateway/main.ts), all before the kubelet would kill it.
      expect(container?.env?.some((e) => e.name === 'SHUTDOWN_GRACE_MS')).toBe(false);
      const shutdownGraceMs = (variableSchema('SHUTDOWN_GRACE_MS') as { default: number }).default;
      expect((pod?.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThanOrEqual(DRAIN_DELAY_SECONDS * 1000 + shutdownGraceMs + 2000);
    },
  );
});

describe('the gateway file config', () => {
  it("carries each tier's token limits and a model's cache prices from the spec", () => {
    const { pd, modelServers } = goldenInput('proxy');
    const tiers = {
      ...pd.spec.tiers,
      pro: { ...pd.spec.tiers.pro, tokensPerMinute: 100_000, tokensPerDay: 5_000_000, maxOutputTokens: 2048 },
    };
    const pricing = {
      inputPerMillionTokens: 3,
      outputPerMillionTokens: 15,
      cachedInputPerMillionTokens: 0.3,
      cacheWritePerMillionTokens: 3.75,
    };
    const models = pd.spec.models.map((m, i) => (i === 0 ? { ...m, pricing } : m));
    const file = gatewayFileConfig({ ...pd, spec: { ...pd.spec, tiers, models } }, modelServers);
    expect(file.tiers?.pro).toEqual({
      requestsPerMinute: tiers.pro.requestsPerMinute,
      requestsPerDay: tiers.pro.requestsPerDay,
      tokensPerMinute: 100_000,
      tokensPerDay: 5_000_000,
      maxOutputTokens: 2048,
    });
    expect(file.tiers?.free?.tokensPerMinute).toBeUndefined();
    expect(file.models?.find((m) => m.name === models[0]?.name)?.pricing).toEqual(pricing);
  });
});
