import { describe, expect, it } from 'vitest';
import { DnsEndpointResolver, headlessHost, podReplica, type Lookup } from './dns-endpoint-resolver.ts';

const ENDPOINT = 'http://mistral-vllm.team-a.svc:8000/v1';

function fakeDns(records: Record<string, string[] | Error>): { lookup: Lookup; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    lookup: (host) => {
      asked.push(host);
      const answer = records[host] ?? [];
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
  };
}

describe('headlessHost', () => {
  it('adds the suffix to the Service name and keeps the namespace and domain', () => {
    expect(headlessHost('mistral-vllm.team-a.svc', '-pods')).toBe('mistral-vllm-pods.team-a.svc');
    expect(headlessHost('mistral-vllm', '-pods')).toBe('mistral-vllm-pods');
    expect(headlessHost('10.0.0.1', '-pods')).toBeUndefined();
    expect(headlessHost('[fd00::1]', '-pods')).toBeUndefined();
  });
});

describe('podReplica', () => {
  it('keeps the endpoint\'s scheme, port and path', () => {
    expect(podReplica(new URL(ENDPOINT), '10.244.1.7')).toEqual({ id: 'http://10.244.1.7:8000', origin: 'http://10.244.1.7:8000', baseURL: 'http://10.244.1.7:8000/v1', kind: 'pod' });
    expect(podReplica(new URL(ENDPOINT), 'fd00::7').baseURL).toBe('http://[fd00::7]:8000/v1');
  });
});

describe('DnsEndpointResolver', () => {
  it('lists one replica per A record of the headless Service', async () => {
    const dns = fakeDns({ 'mistral-vllm-pods.team-a.svc': ['10.244.1.9', '10.244.1.7', '10.244.1.7'] });
    const resolution = await new DnsEndpointResolver({ lookup: dns.lookup }).resolve({ name: 'mistral', endpoint: ENDPOINT });
    expect(resolution).toEqual({ state: 'present', replicas: [podReplica(new URL(ENDPOINT), '10.244.1.7'), podReplica(new URL(ENDPOINT), '10.244.1.9')] });
  });

  it('falls back to the ClusterIP Service as a single replica without a headless Service', async () => {
    const dns = fakeDns({ 'mistral-vllm.team-a.svc': ['10.96.0.20'] });
    const resolution = await new DnsEndpointResolver({ lookup: dns.lookup }).resolve({ name: 'mistral', endpoint: ENDPOINT });
    expect(resolution).toEqual({ state: 'present', replicas: [{ id: 'http://mistral-vllm.team-a.svc:8000', origin: 'http://mistral-vllm.team-a.svc:8000', baseURL: ENDPOINT, kind: 'service' }] });
    expect(dns.asked).toEqual(['mistral-vllm-pods.team-a.svc', 'mistral-vllm.team-a.svc']);
  });

  it('reports a ModelServer whose Services are both gone as absent', async () => {
    const resolution = await new DnsEndpointResolver({ lookup: fakeDns({}).lookup }).resolve({ name: 'mistral', endpoint: ENDPOINT });
    expect(resolution).toEqual({ state: 'absent' });
  });

  it('rejects on a DNS failure, so the pool keeps its last answer', async () => {
    const dns = fakeDns({ 'mistral-vllm-pods.team-a.svc': Object.assign(new Error('timeout'), { code: 'EAI_AGAIN' }) });
    await expect(new DnsEndpointResolver({ lookup: dns.lookup }).resolve({ name: 'mistral', endpoint: ENDPOINT })).rejects.toThrow('timeout');
  });

  it('uses an endpoint given as an IP address as it is', async () => {
    const dns = fakeDns({});
    const resolution = await new DnsEndpointResolver({ lookup: dns.lookup }).resolve({ name: 'm', endpoint: 'http://127.0.0.1:8000/v1' });
    expect(resolution).toMatchObject({ state: 'present', replicas: [{ baseURL: 'http://127.0.0.1:8000/v1', kind: 'service' }] });
    expect(dns.asked).toEqual([]);
  });
});
