import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { endpointMapResolver, isLoopbackUrl, podAddressResolver } from './endpoints.ts';

function pod(name: string, ip?: string): V1Pod {
  return {
    metadata: { name, namespace: 'ml' },
    spec: { containers: [{ name: 'vllm', ports: [{ name: 'http', containerPort: 8000 }] }] },
    status: ip ? { podIP: ip } : {},
  };
}

describe('the production resolver', () => {
  const resolver = podAddressResolver();

  it('reads vLLM at /metrics and the gateway at /prometheus on the pod IP and its http port', () => {
    expect(resolver.resolve(pod('a', '10.244.1.7'), 'replica')).toEqual({ url: 'http://10.244.1.7:8000/metrics' });
    expect(resolver.resolve(pod('a', '10.244.1.7'), 'gateway')).toEqual({ url: 'http://10.244.1.7:8000/prometheus' });
    expect(resolver.resolve(pod('a', 'fd00::7'), 'replica')).toEqual({ url: 'http://[fd00::7]:8000/metrics' });
  });

  it('has no address for a pod without an IP or an http port', () => {
    expect(resolver.resolve(pod('a'), 'replica')).toHaveProperty('error');
    expect(resolver.resolve({ ...pod('a', '10.0.0.1'), spec: { containers: [{ name: 'x' }] } }, 'replica')).toHaveProperty('error');
  });
});

describe('the test resolver (ENDPOINT_MAP_FILE)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'endpoint-map-'));
  const file = join(dir, 'map.json');
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts only loopback IP literals over plain HTTP', () => {
    for (const ok of ['http://127.0.0.1:9', 'http://127.5.5.5:80/', 'http://[::1]:9']) expect(isLoopbackUrl(ok)).toBe(true);
    for (const bad of [
      'http://10.244.0.5:8000',
      'http://localhost:9',
      'https://127.0.0.1:9',
      'http://u:p@127.0.0.1:9',
      'http://128.0.0.1',
      'not a url',
    ]) {
      expect(isLoopbackUrl(bad)).toBe(false);
    }
  });

  it("maps namespace/pod to the file's address, re-read on every refresh, and refuses the rest", async () => {
    const errors: string[] = [];
    const resolver = endpointMapResolver(file, (m) => errors.push(m));
    await resolver.refresh();
    expect(errors[0]).toContain('cannot read ENDPOINT_MAP_FILE');
    expect(resolver.resolve(pod('a'), 'replica')).toHaveProperty('error');

    writeFileSync(file, JSON.stringify({ 'ml/a': 'http://127.0.0.1:4100/', 'ml/evil': 'http://10.0.0.8:8000' }));
    await resolver.refresh();
    expect(resolver.resolve(pod('a'), 'replica')).toEqual({ url: 'http://127.0.0.1:4100/metrics' });
    expect(resolver.resolve(pod('a'), 'gateway')).toEqual({ url: 'http://127.0.0.1:4100/prometheus' });
    expect(resolver.resolve(pod('evil'), 'replica')).toEqual({
      error: expect.stringContaining('refusing http://10.0.0.8:8000') as unknown,
    });
    expect(resolver.resolve(pod('b'), 'replica')).toEqual({ error: 'pod ml/b is not in ENDPOINT_MAP_FILE' });

    writeFileSync(file, JSON.stringify({ 'ml/b': 'http://127.0.0.1:4101' }));
    await resolver.refresh();
    expect(resolver.resolve(pod('a'), 'replica')).toHaveProperty('error');
    expect(resolver.resolve(pod('b'), 'replica')).toEqual({ url: 'http://127.0.0.1:4101/metrics' });
  });
});
