// The operator→gateway contract end to end: the ConfigMap and environment the operator renders for
// every golden PerpetualDeployment, loaded by the gateway's own loadConfig, give the gateway what
// the spec says. The expected values are read from the spec and from the ModelServer's own
// children (its Services), not from the config file the builder wrote.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubernetesObject, V1ConfigMap, V1Deployment, V1EnvVar, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { loadConfig, type GatewayConfig } from '../../../gateway/config.ts';
import { DEFAULT_FACT_EXTRACTION } from '../../../gateway/memory/facts/fact-settings.ts';
import { defaultedModelServer, defaultedPerpetualDeployment } from '../../api/v1alpha1/defaults.ts';
import type { ModelServer } from '../../api/v1alpha1/model-server.ts';
import type { PerpetualDeployment } from '../../api/v1alpha1/perpetual-deployment.ts';
import { goldenBase, goldenModelServerSpecs, goldenPerpetualDeploymentSpecs } from '../../api/v1alpha1/testdata/golden-specs.ts';
import { desiredObjects as modelServerChildren } from '../model-server/desired.ts';
import { desiredObjects } from './desired.ts';

const NAMESPACE = 'prod';
const mistral = defaultedModelServer({ name: 'mistral', namespace: NAMESPACE }, goldenModelServerSpecs.mistral);
const modelServers = new Map([['mistral', mistral]]);

const specs: Record<string, Record<string, unknown>> = {
  ...goldenPerpetualDeploymentSpecs,
  // No golden spec embeds with a ModelServer; the operator resolves its endpoint and model.
  modelServerEmbedding: {
    mode: 'local',
    models: [],
    memory: { embedding: { source: 'modelServer', modelServerRef: { name: 'mistral' } } },
  },
  // Fact extraction on: by a ModelServer (endpoint and served model resolved by the operator), and by a proxied model.
  modelServerFacts: {
    mode: 'local',
    models: [],
    memory: { factExtraction: { enabled: true, source: 'modelServer', modelServerRef: { name: 'mistral' }, tiers: ['pro'], batchSize: 4 } },
  },
  providerFacts: {
    ...goldenPerpetualDeploymentSpecs.proxy,
    memory: { factExtraction: { enabled: true, model: 'gpt-4o-mini', flushIntervalMs: 5000, timeoutMs: 10000 } },
  },
};

/** Stand-ins for what the pod would read from Secrets; the file never holds these. */
const SECRET_VALUES: Record<string, string> = {
  REDIS_URL: 'redis://app-redis.prod.svc:6379',
  QDRANT_URL: 'http://app-qdrant.prod.svc:6333',
};

/** The gateway container's environment as the pod would see it, with the file at `configPath`. */
function podEnv(env: V1EnvVar[], configPath: string): NodeJS.ProcessEnv {
  const resolved = env.map((e): [string, string] => {
    if (e.value !== undefined) return [e.name, e.value];
    if (e.valueFrom?.fieldRef) return [e.name, NAMESPACE];
    return [e.name, SECRET_VALUES[e.name] ?? `secret-of-${e.name}`];
  });
  return { ...Object.fromEntries(resolved), PERPETUAL_CONFIG: configPath };
}

function rendered(pd: PerpetualDeployment): { configFile: string; env: V1EnvVar[] } {
  const { objects } = desiredObjects({
    pd,
    config: { images: { gateway: 'gateway:test' }, namespace: 'perpetual-system' },
    modelServers,
    referencedSecretsHash: 'x',
    databaseSecretHash: 'x',
    databaseUsable: true,
  });
  const configMap = objects.find((o): o is V1ConfigMap & KubernetesObject => o.kind === 'ConfigMap');
  const deployment = objects.find(
    (o): o is V1Deployment & KubernetesObject => o.kind === 'Deployment' && o.metadata?.name === 'app-gateway',
  );
  return { configFile: configMap?.data?.['config.yaml'] ?? '', env: deployment?.spec?.template.spec?.containers[0]?.env ?? [] };
}

/** The ModelServer's ClusterIP Service URL and the DNS name of its headless one, from its own children. */
function modelServerAddresses(ms: ModelServer): { endpoint: string; replicasHost: string } {
  const services = modelServerChildren(ms).filter((o): o is V1Service & KubernetesObject => o.kind === 'Service');
  const clusterIP = services.find((s) => s.spec?.clusterIP !== 'None');
  const headless = services.find((s) => s.spec?.clusterIP === 'None');
  const port = clusterIP?.spec?.ports?.[0]?.port ?? 0;
  return {
    endpoint: `http://${clusterIP?.metadata?.name ?? ''}.${NAMESPACE}.svc:${String(port)}/v1`,
    replicasHost: `${headless?.metadata?.name ?? ''}.${NAMESPACE}.svc`,
  };
}

function expectedModels(spec: PerpetualDeployment['spec']): GatewayConfig['models'] {
  return [...spec.models]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((m) => {
      const server = m.modelServerRef ? modelServers.get(m.modelServerRef.name) : undefined;
      return {
        name: m.name,
        provider: m.provider,
        upstreamModel: server ? (server.spec.model.servedName ?? server.spec.model.id) : (m.upstreamModel ?? m.name),
        baseURL: m.baseURL,
        fallback: m.fallback,
        pricing: m.pricing,
        ...(server ? { modelServer: server.metadata?.name, ...modelServerAddresses(server) } : {}),
      };
    });
}

function expectedFactExtraction(spec: PerpetualDeployment['spec']): GatewayConfig['memory']['factExtraction'] {
  const facts = spec.memory.factExtraction;
  // Off: the operator leaves it out of the file and the gateway's defaults stand.
  if (!facts.enabled) return DEFAULT_FACT_EXTRACTION;
  const server = facts.modelServerRef ? modelServers.get(facts.modelServerRef.name) : undefined;
  return {
    enabled: true,
    source: facts.source,
    model: facts.model ?? server?.spec.model.servedName ?? server?.spec.model.id,
    endpoint: server ? modelServerAddresses(server).endpoint : undefined,
    tiers: facts.tiers,
    batchSize: facts.batchSize,
    flushIntervalMs: facts.flushIntervalMs,
    timeoutMs: facts.timeoutMs,
  };
}

function expectedMemory(spec: PerpetualDeployment['spec']): GatewayConfig['memory'] {
  const { embedding, ...memory } = spec.memory;
  const server = embedding.modelServerRef ? modelServers.get(embedding.modelServerRef.name) : undefined;
  return {
    ...memory,
    factExtraction: expectedFactExtraction(spec),
    embedding: {
      ...embedding,
      ...(server
        ? {
            endpoint: modelServerAddresses(server).endpoint,
            model: embedding.model ?? server.spec.model.servedName ?? server.spec.model.id,
          }
        : {}),
    },
  };
}

describe.each(Object.entries(specs))('the gateway configuration rendered for %s', (name, spec) => {
  const pd = defaultedPerpetualDeployment({ name: 'app', namespace: NAMESPACE }, { ...goldenBase, ...spec });
  const { configFile, env } = rendered(pd);
  const configPath = join(mkdtempSync(join(tmpdir(), `gateway-config-${name}-`)), 'config.yaml');
  writeFileSync(configPath, configFile);
  const config = loadConfig(podEnv(env, configPath));

  it("loads through the gateway's loader with the spec's mode, models, tiers and memory", () => {
    expect(config.mode).toBe(pd.spec.mode);
    expect(config.models).toEqual(expectedModels(pd.spec));
    expect(config.tiers).toEqual(pd.spec.tiers);
    expect(config.memory).toEqual(expectedMemory(pd.spec));
    expect(config.qdrant.collection).toBe(pd.spec.vectorStore.collection);
  });

  it('carries billing settings without the Polar token', () => {
    const polar = pd.spec.billing?.polar;
    expect(config.polar).toEqual(
      polar
        ? { apiKey: 'secret-of-POLAR_API_KEY', organizationId: polar.organizationId, server: polar.server, eventName: polar.eventName }
        : undefined,
    );
    // Secrets are referenced in the spec (tokenSecretRef, ...); a copied spec section would carry the reference here.
    expect(configFile).not.toMatch(/secretRef/i);
  });

  it('says mode, tiers, collection and billing in the file only: the environment does not repeat them', () => {
    const fileSettingsInEnv =
      /^(MODE|QDRANT_COLLECTION|ROUTING_POLICY|POLAR_ORGANIZATION_ID|POLAR_SERVER|[A-Z]+_TIER_RATE_LIMIT_PER_(MINUTE|DAY))$/;
    expect(env.map((e) => e.name).filter((n) => fileSettingsInEnv.test(n))).toEqual([]);
  });
});

describe("a ModelServer's routing policy", () => {
  const pd = defaultedPerpetualDeployment(
    { name: 'app', namespace: NAMESPACE },
    { ...goldenBase, ...goldenPerpetualDeploymentSpecs.local },
  );

  /** The gateway's route for the mistral model, from the file rendered with this ModelServer. */
  function mistralRoute(server: ModelServer): GatewayConfig['models'][number] | undefined {
    const { objects } = desiredObjects({
      pd,
      config: { images: { gateway: 'gateway:test' }, namespace: 'perpetual-system' },
      modelServers: new Map([['mistral', server]]),
      referencedSecretsHash: 'x',
      databaseSecretHash: 'x',
      databaseUsable: true,
    });
    const configMap = objects.find((o): o is V1ConfigMap & KubernetesObject => o.kind === 'ConfigMap');
    const configPath = join(mkdtempSync(join(tmpdir(), 'gateway-config-routing-')), 'config.yaml');
    writeFileSync(configPath, configMap?.data?.['config.yaml'] ?? '');
    const loaded = loadConfig({ API_KEY_ENCRYPTION_KEY: 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=', PERPETUAL_CONFIG: configPath });
    return loaded.models.find((m) => m.modelServer === 'mistral');
  }

  it.each([
    ['least-load', 'leastLoad'],
    ['session', 'sessionAffinity'],
    ['prefix', 'prefix'],
  ] as const)('reaches the gateway route: %s as %s', (routing, policy) => {
    const server = defaultedModelServer({ name: 'mistral', namespace: NAMESPACE }, { ...goldenModelServerSpecs.mistral, routing });
    expect(mistralRoute(server)?.routing).toBe(policy);
  });

  it('is left to the gateway (ROUTING_POLICY, else prefix) when the ModelServer names none', () => {
    const route = mistralRoute(mistral);
    expect(route).toBeDefined();
    expect(route?.routing).toBeUndefined();
  });
});
