import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { limitsForTier, loadConfig } from './config.ts';
import { GatewayEnvSchema } from './config/env-schema.ts';

const KEY = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';

function configFile(yaml: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'gw-config-')), 'config.yaml');
  writeFileSync(path, yaml);
  return path;
}

describe('loadConfig', () => {
  it("uses the guide's names and defaults", () => {
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
    expect(
      loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, CORS_ALLOWED_ORIGINS: 'https://a.example, http://localhost:5173' }).corsOrigins,
    ).toEqual(['https://a.example', 'http://localhost:5173']);
    expect(loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, CORS_ALLOWED_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
    expect(() => loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, CORS_ALLOWED_ORIGINS: 'https://a.example/' })).toThrow(
      /CORS_ALLOWED_ORIGINS: "https:\/\/a.example\/" is not an origin/,
    );
    expect(() => loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, CORS_ALLOWED_ORIGINS: 'a.example' })).toThrow(/CORS_ALLOWED_ORIGINS/);
  });

  it("takes tiers and models from the PerpetualDeployment's file, with the environment winning", () => {
    const path = configFile(
      'mode: local\nmodels:\n  - name: m\n    endpoint: http://m-vllm.ns.svc:8000/v1\ntiers:\n  free:\n    requestsPerMinute: 5\n',
    );
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
    [
      { API_KEY_ENCRYPTION_KEY: KEY, PRO_TIER_RATE_LIMIT_PER_MINUTE: '100', PRO_TIER_RATE_LIMIT_PER_DAY: '50' },
      /must not exceed PRO_TIER_RATE_LIMIT_PER_DAY/,
    ],
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
    [
      'name',
      'mode: proxy\nmodels:\n  - name: "gpt-\u6a21\u578b"\n    provider: openai\n',
      /models\[0\]\.name must be 1 to 256 characters, only ASCII letters/,
    ],
    [
      'fallback',
      'mode: proxy\nmodels:\n  - name: a\n    provider: openai\n    fallback: "b\\nc"\n',
      /models\[0\]\.fallback must be 1 to 256 characters.*"b\\nc"/,
    ],
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
    const path = configFile(
      'mode: local\nmodels:\n  - name: m\n    upstreamModel: m-served\n    modelServer: m\n    endpoint: http://m-vllm.ns.svc:8000/v1\n    replicasHost: m-vllm-pods.ns.svc\n',
    );
    expect(loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, PERPETUAL_CONFIG: path }).models).toEqual([
      {
        name: 'm',
        upstreamModel: 'm-served',
        modelServer: 'm',
        endpoint: 'http://m-vllm.ns.svc:8000/v1',
        replicasHost: 'm-vllm-pods.ns.svc',
      },
    ]);
  });

  it('refuses a local-mode model without an endpoint', () => {
    const path = configFile('mode: local\nmodels:\n  - name: orphan\n');
    expect(() => loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, PERPETUAL_CONFIG: path })).toThrow(/model "orphan" needs an endpoint/);
  });

  it('routes local models by prompt prefix and scales from zero with bounded waits by default', () => {
    const config = loadConfig({ API_KEY_ENCRYPTION_KEY: KEY });
    expect(config.routing).toEqual({
      policy: 'prefix',
      affinityLoadFactor: 1.5,
      maxAttempts: 3,
      health: { path: '/health', intervalMs: 2000, timeoutMs: 1000 },
      unhealthyMs: 5000,
      endpointMapFile: undefined,
      scaleFromZero: { timeoutMs: 120_000, queueMax: 100, keepAliveMs: 3000, trigger: 'log', kubeconfig: undefined, namespace: undefined },
    });
    expect(loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, KUBERNETES_SERVICE_HOST: '10.96.0.1' }).routing.scaleFromZero.trigger).toBe('kube');
    expect(
      loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, KUBERNETES_SERVICE_HOST: '10.96.0.1', SCALE_TRIGGER: 'log' }).routing.scaleFromZero.trigger,
    ).toBe('log');
  });

  it('takes the routing policy from the file, per model or for all, with the environment winning', () => {
    const path = configFile(
      'mode: local\nrouting: leastLoad\nmodels:\n  - name: a\n    modelServer: a\n    endpoint: http://a-vllm.ns.svc:8000/v1\n    routing: sessionaffinity\n  - name: b\n    modelServer: b\n    endpoint: http://b-vllm.ns.svc:8000/v1\n',
    );
    const config = loadConfig({
      API_KEY_ENCRYPTION_KEY: KEY,
      PERPETUAL_CONFIG: path,
      SESSION_AFFINITY_MAX_LOAD_PERCENT: '0',
      ENDPOINT_MAP_FILE: '/tmp/map.json',
    });
    expect(config.routing).toMatchObject({ policy: 'leastLoad', affinityLoadFactor: 0, endpointMapFile: '/tmp/map.json' });
    expect(config.models.map((m) => m.routing)).toEqual(['sessionAffinity', undefined]);
    // The ModelServer's spelling, as the operator writes it.
    const spec = configFile('mode: local\nmodels:\n  - name: a\n    endpoint: http://a-vllm.ns.svc:8000/v1\n    routing: least-load\n');
    expect(loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, PERPETUAL_CONFIG: spec }).models[0]?.routing).toBe('leastLoad');
    expect(loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, PERPETUAL_CONFIG: path, ROUTING_POLICY: 'SessionAffinity' }).routing.policy).toBe(
      'sessionAffinity',
    );
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
    expect(() => loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, PERPETUAL_CONFIG: path })).toThrow(
      /models\[0\]\.routing must be one of leastLoad, sessionAffinity, prefix, got "random"/,
    );
  });
});

describe('loadConfig: the environment through its schema', () => {
  // One case per kind of bad input; each message names the variable, what a valid value looks
  // like, and what was given.
  it.each([
    ['not a number', { API_KEY_STALE_MS: 'abc' }, 'API_KEY_STALE_MS must be an integer >= 0, got "abc".'],
    ['not an integer', { ROUTING_MAX_ATTEMPTS: '1.5' }, 'ROUTING_MAX_ATTEMPTS must be an integer >= 1, got "1.5".'],
    ['below the minimum', { RATE_LIMIT_PER_DAY: '0' }, 'RATE_LIMIT_PER_DAY must be an integer >= 1, got "0".'],
    ['above the maximum', { API_PORT: '70000' }, 'API_PORT must be an integer from 0 to 65535, got "70000".'],
    [
      'a timer past what Node can wait',
      { UPSTREAM_TIMEOUT_MS: '3000000000' },
      'UPSTREAM_TIMEOUT_MS must be an integer from 100 to 2147483647, got "3000000000".',
    ],
    [
      'inside a hole of the range',
      { SESSION_AFFINITY_MAX_LOAD_PERCENT: '50' },
      'SESSION_AFFINITY_MAX_LOAD_PERCENT must be 0 (no bound) or at least 100, got "50".',
    ],
    ['not a boolean', { DEBUG: 'maybe' }, 'DEBUG must be true or false, got "maybe".'],
    ['not one of the choices', { USAGE_ON_USER_DELETE: 'keep' }, 'USAGE_ON_USER_DELETE must be one of delete, anonymize, got "keep".'],
    ['not matching the pattern', { API_PREFIX: 'v1' }, 'API_PREFIX must be a path such as /v1, got "v1".'],
    [
      'not an http URL',
      { VLLM_URL: 'localhost:8000' },
      'VLLM_URL must be an http(s) URL such as http://localhost:8000/v1, got "localhost:8000".',
    ],
    [
      'a provider base URL that is not one',
      { OPENAI_BASE_URL: 'api.openai.com' },
      'OPENAI_BASE_URL must be an http(s) URL such as https://api.openai.com/v1, got "api.openai.com".',
    ],
    [
      'a list item that is not valid',
      { CORS_ALLOWED_ORIGINS: 'https://ok.example, https://a.example/app' },
      'CORS_ALLOWED_ORIGINS: "https://a.example/app" is not an origin, written scheme://host[:port] with no path or trailing slash, or * for any.',
    ],
    [
      'a log level pino does not have',
      { LOG_LEVEL: 'verbose' },
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose".',
    ],
  ])('refuses %s, naming the variable and what it takes', (_kind, env, message) => {
    expect(() => loadConfig({ API_KEY_ENCRYPTION_KEY: KEY, ...env })).toThrow(message);
  });

  it('reads names of choices in any case and blank variables as unset', () => {
    const config = loadConfig({
      API_KEY_ENCRYPTION_KEY: KEY,
      MODE: 'Local',
      LOG_LEVEL: 'WARN',
      ROUTING_POLICY: 'LEASTLOAD',
      DEBUG: 'Yes',
      API_PORT: ' ',
      CORS_ALLOWED_ORIGINS: '',
    });
    expect(config).toMatchObject({ mode: 'local', logLevel: 'warn', debug: true, port: 8000, corsOrigins: [] });
    expect(config.routing.policy).toBe('leastLoad');
  });

  it('reports every wrong variable at once, the missing key included', () => {
    let message = '';
    try {
      loadConfig({ API_PORT: 'eighty', MODE: 'cloud', CORS_ALLOWED_ORIGINS: 'a.example' });
    } catch (err) {
      message = (err as Error).message;
    }
    for (const name of ['API_KEY_ENCRYPTION_KEY is required', 'API_PORT must be', 'MODE must be', 'CORS_ALLOWED_ORIGINS: "a.example"'])
      expect(message).toContain(name);
  });

  it('never shows the value of a secret variable, whether it is wrong or another one is', () => {
    const secrets = Object.entries(GatewayEnvSchema.properties)
      .filter(([, schema]) => (schema as { 'x-secret'?: boolean })['x-secret'])
      .map(([name]) => name);
    expect(secrets).toEqual(
      expect.arrayContaining([
        'API_KEY_ENCRYPTION_KEY',
        'DATABASE_URL',
        'REDIS_URL',
        'REDIS_PASSWORD',
        'SUPABASE_JWT_SECRET',
        'ADMIN_TOKEN',
        'QDRANT_API_KEY',
        'POLAR_API_KEY',
      ]),
    );
    // Values no URL check accepts, so the URL-valued secrets are refused as well.
    const env = Object.fromEntries(secrets.map((name) => [name, `not a url ${name.toLowerCase()}-hunter2`]));
    let message = '';
    try {
      loadConfig({ ...env, API_PORT: 'eighty' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('REDIS_URL must be a URL such as redis://host:6379 (the value is withheld).');
    expect(message).toContain('QDRANT_URL must be');
    expect(message).toContain('API_PORT must be');
    expect(message).not.toContain('hunter2');
  });
});
