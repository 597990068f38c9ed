import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { limitsForTier, loadConfig } from './config.ts';

const KEY = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';

function configFile(yaml: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'gw-config-')), 'config.yaml');
  writeFileSync(path, yaml);
  return path;
}

describe('loadConfig', () => {
  it('uses the guide\'s names and defaults', () => {
    const config = loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, REDIS_HOST: 'cache', REDIS_PORT: '6380', REDIS_PASSWORD: 'p@ss' });
    expect(config).toMatchObject({ mode: 'proxy', host: '0.0.0.0', port: 8000, prefix: '/v1', appName: 'Perpetual AI', version: '2.0.0' });
    expect(config.redis.url).toBe('redis://:p%40ss@cache:6380');
    expect(config.tiers).toEqual({
      free: { requestsPerMinute: 10, requestsPerDay: 1000 },
      pro: { requestsPerMinute: 60, requestsPerDay: 10_000 },
      enterprise: { requestsPerMinute: 1000, requestsPerDay: 1_000_000 },
    });
  });

  it('keeps cached keys through a database outage for 15 min and expects Supabase session JWTs, both settable', () => {
    const defaults = loadConfig({ API_KEY_ENCRYPTION_KEY: KEY });
    expect(defaults.limits).toMatchObject({ keyCacheMs: 30_000, keyStaleMs: 900_000 });
    expect(defaults.jwtAudience).toBe('authenticated');
    const set = loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, API_KEY_STALE_MS: '0', SUPABASE_JWT_AUDIENCE: 'my-app' });
    expect(set.limits.keyStaleMs).toBe(0);
    expect(set.jwtAudience).toBe('my-app');
    expect(() => loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, API_KEY_STALE_MS: '-1' })).toThrow(/API_KEY_STALE_MS/);
  });

  it('sends no CORS headers by default, takes a list of origins or *, and refuses what is not an origin', () => {
    expect(loadConfig({ API_KEY_ENCRYPTION_KEY: KEY }).corsOrigins).toEqual([]);
    expect(loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, CORS_ALLOWED_ORIGINS: 'https://a.example, http://localhost:5173' }).corsOrigins).toEqual(['https://a.example', 'http://localhost:5173']);
    expect(loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, CORS_ALLOWED_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
    expect(() => loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, CORS_ALLOWED_ORIGINS: 'https://a.example/' })).toThrow(/CORS_ALLOWED_ORIGINS: "https:\/\/a.example\/" is not an origin/);
    expect(() => loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, CORS_ALLOWED_ORIGINS: 'a.example' })).toThrow(/CORS_ALLOWED_ORIGINS/);
  });

  it('takes tiers and models from the PerpetualDeployment\'s file, with the environment winning', () => {
    const path = configFile('mode: local\nmodels:\n  - name: m\n    endpoint: http://m-vllm.ns.svc:8000/v1\ntiers:\n  free:\n    requestsPerMinute: 5\n');
    const config = loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, PERPETUAL_CONFIG: path, FREE_TIER_RATE_LIMIT_PER_DAY: '50' });
    expect(config.mode).toBe('local');
    expect(config.models).toEqual([{ name: 'm', endpoint: 'http://m-vllm.ns.svc:8000/v1', upstreamModel: 'm' }]);
    expect(config.tiers.free).toEqual({ requestsPerMinute: 5, requestsPerDay: 50 });
    expect(limitsForTier(config, 'custom')).toEqual({ requestsPerMinute: 60, requestsPerDay: 10_000 });
  });

  it.each([
    [{}, /API_KEY_ENCRYPTION_KEY is required/],
    [{ API_KEY_ENCRYPTION_KEY: KEY, MODE: 'cloud' }, /MODE must be one of proxy, local/],
    [{ API_KEY_ENCRYPTION_KEY: KEY, API_PORT: 'eighty' }, /API_PORT must be an integer/],
    [{ API_KEY_ENCRYPTION_KEY: KEY, PRO_TIER_RATE_LIMIT_PER_MINUTE: '100', PRO_TIER_RATE_LIMIT_PER_DAY: '50' }, /must not exceed PRO_TIER_RATE_LIMIT_PER_DAY/],
    [{ API_KEY_ENCRYPTION_KEY: KEY, POLAR_API_KEY: 'polar_secret_value' }, /needs both POLAR_API_KEY and POLAR_ORGANIZATION_ID/],
    [{ API_KEY_ENCRYPTION_KEY: KEY, PERPETUAL_CONFIG: '/nonexistent/config.yaml' }, /cannot read \/nonexistent\/config.yaml/],
  ])('refuses %j with a message naming what to fix', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('never puts a secret value in an error', () => {
    const polar = (): unknown => loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, POLAR_API_KEY: 'polar_secret_value' });
    expect(polar).toThrow(/POLAR_ORGANIZATION_ID/);
    expect(polar).not.toThrow(/polar_secret_value/);
    const redis = (): unknown => loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, REDIS_URL: 'not a url :secret@' });
    expect(redis).toThrow(/REDIS_URL must be a URL/);
    expect(redis).not.toThrow(/secret/);
  });

  it.each([
    ['name', 'mode: proxy\nmodels:\n  - name: "gpt-\u6a21\u578b"\n    provider: openai\n', /models\[0\]\.name must be 1 to 256 characters, only ASCII letters/],
    ['fallback', 'mode: proxy\nmodels:\n  - name: a\n    provider: openai\n    fallback: "b\\nc"\n', /models\[0\]\.fallback must be 1 to 256 characters.*"b\\nc"/],
  ])('refuses a model %s that is not a valid model name, as the CRD does', (_field, yaml, message) => {
    expect(() => loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, PERPETUAL_CONFIG: configFile(yaml) })).toThrow(message);
  });

  it('refuses a file that does not fit the contract, naming each field and what it expects', () => {
    const yaml = [
      'mode: cloud',
      'models:',
      '  - name: a',
      '    provider: openai',
      '  - provider: openai',
      '  - name: c',
      '    provider: openai',
      '    pricing: { inputPerMillionTokens: "0.15", outputPerMillionTokens: 0.6 }',
      'tiers:',
      '  free: { requestsPerMinute: 5, requestsPerHour: 100 }',
      'memory: { topK: 2.5 }',
    ].join('\n');
    const load = (): unknown => loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, PERPETUAL_CONFIG: configFile(yaml) });
    expect(load).toThrow(/is not a gateway configuration file: /);
    for (const problem of [
      'mode: expected one of proxy, local',
      'models[1].name: required',
      'models[2].pricing.inputPerMillionTokens: expected number',
      'tiers.free.requestsPerHour: unknown field',
      'memory.topK: expected integer',
    ]) {
      expect(load).toThrow(problem);
    }
  });

  it('takes the file the operator renders, replica host names included', () => {
    const path = configFile('mode: local\nmodels:\n  - name: m\n    upstreamModel: m-served\n    modelServer: m\n    endpoint: http://m-vllm.ns.svc:8000/v1\n    replicasHost: m-vllm-pods.ns.svc\n');
    expect(loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, PERPETUAL_CONFIG: path }).models).toEqual([
      { name: 'm', upstreamModel: 'm-served', modelServer: 'm', endpoint: 'http://m-vllm.ns.svc:8000/v1', replicasHost: 'm-vllm-pods.ns.svc' },
    ]);
  });

  it('refuses a local-mode model without an endpoint', () => {
    const path = configFile('mode: local\nmodels:\n  - name: orphan\n');
    expect(() => loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, PERPETUAL_CONFIG: path })).toThrow(/model "orphan" needs an endpoint/);
  });

  it('routes local models by session affinity and scales from zero with bounded waits by default', () => {
    const config = loadConfig({ API_KEY_ENCRYPTION_KEY: KEY });
    expect(config.routing).toEqual({
      policy: 'sessionAffinity',
      affinityLoadFactor: 1.5,
      maxAttempts: 3,
      health: { path: '/health', intervalMs: 2000, timeoutMs: 1000 },
      unhealthyMs: 5000,
      endpointMapFile: undefined,
      scaleFromZero: { timeoutMs: 120_000, queueMax: 100, keepAliveMs: 3000, trigger: 'log', kubeconfig: undefined, namespace: undefined },
    });
    expect(loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, KUBERNETES_SERVICE_HOST: '10.96.0.1' }).routing.scaleFromZero.trigger).toBe('kube');
    expect(loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, KUBERNETES_SERVICE_HOST: '10.96.0.1', SCALE_TRIGGER: 'log' }).routing.scaleFromZero.trigger).toBe('log');
  });

  it('takes the routing policy from the file, per model or for all, with the environment winning', () => {
    const path = configFile('mode: local\nrouting: leastLoad\nmodels:\n  - name: a\n    modelServer: a\n    endpoint: http://a-vllm.ns.svc:8000/v1\n    routing: sessionaffinity\n  - name: b\n    modelServer: b\n    endpoint: http://b-vllm.ns.svc:8000/v1\n');
    const config = loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, PERPETUAL_CONFIG: path, SESSION_AFFINITY_MAX_LOAD_PERCENT: '0', ENDPOINT_MAP_FILE: '/tmp/map.json' });
    expect(config.routing).toMatchObject({ policy: 'leastLoad', affinityLoadFactor: 0, endpointMapFile: '/tmp/map.json' });
    expect(config.models.map((m) => m.routing)).toEqual(['sessionAffinity', undefined]);
    expect(loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, PERPETUAL_CONFIG: path, ROUTING_POLICY: 'SessionAffinity' }).routing.policy).toBe('sessionAffinity');
  });

  it.each([
    [{ ROUTING_POLICY: 'roundRobin' }, /ROUTING_POLICY must be one of leastLoad, sessionAffinity/],
    [{ SESSION_AFFINITY_MAX_LOAD_PERCENT: '80' }, /SESSION_AFFINITY_MAX_LOAD_PERCENT must be 0 \(no bound\) or at least 100/],
    [{ ROUTING_MAX_ATTEMPTS: '0' }, /ROUTING_MAX_ATTEMPTS must be an integer >= 1/],
    [{ REPLICA_HEALTH_PATH: 'health' }, /REPLICA_HEALTH_PATH must be a path/],
    [{ SCALE_FROM_ZERO_TIMEOUT_MS: 'soon' }, /SCALE_FROM_ZERO_TIMEOUT_MS must be an integer/],
    [{ SCALE_TRIGGER: 'keda' }, /SCALE_TRIGGER must be one of kube, log/],
  ])('refuses routing setting %j', (env, message) => {
    expect(() => loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, ...env })).toThrow(message);
  });

  it('refuses an unknown routing policy in the file', () => {
    const path = configFile('mode: local\nmodels:\n  - name: a\n    endpoint: http://a-vllm.ns.svc:8000/v1\n    routing: random\n');
    expect(() => loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, PERPETUAL_CONFIG: path })).toThrow(/models\[0\]\.routing must be one of leastLoad, sessionAffinity, got "random"/);
  });
});
