import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

describe('loadConfig: the autoscaler', () => {
  it('reads metrics every 5 s by default, through pod IPs', () => {
    expect(loadConfig({}).autoscaler).toEqual({ intervalMs: 5000, endpointMapFile: undefined });
  });

  it('takes AUTOSCALER_INTERVAL_MS up to 10 s, and ENDPOINT_MAP_FILE for tests', () => {
    expect(loadConfig({ AUTOSCALER_INTERVAL_MS: '10000', ENDPOINT_MAP_FILE: '/tmp/map.json' }).autoscaler).toEqual({
      intervalMs: 10_000,
      endpointMapFile: '/tmp/map.json',
    });
  });

  it.each(['10001', '50', '2.5', 'soon'])('refuses AUTOSCALER_INTERVAL_MS=%s, naming the variable', (value) => {
    expect(() => loadConfig({ AUTOSCALER_INTERVAL_MS: value })).toThrow(/AUTOSCALER_INTERVAL_MS must be an integer from 100 to 10000/);
  });
});

describe('loadConfig: WATCH_NAMESPACES', () => {
  it('watches every namespace when unset or empty', () => {
    expect(loadConfig({}).watchNamespaces).toEqual([]);
    expect(loadConfig({ WATCH_NAMESPACES: '' }).watchNamespaces).toEqual([]);
  });

  it('takes a comma list, spaces and repeats dropped', () => {
    expect(loadConfig({ WATCH_NAMESPACES: 'team-a, team-b,,team-a' }).watchNamespaces).toEqual(['team-a', 'team-b']);
  });

  it.each(['Team-A', 'a_b', '-a', 'a/b'])('refuses %s, naming the variable', (value) => {
    expect(() => loadConfig({ WATCH_NAMESPACES: `ok,${value}` })).toThrow(
      `WATCH_NAMESPACES must be a comma-separated list of namespace names, got "${value}"`,
    );
  });
});
