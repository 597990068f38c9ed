import { describe, expect, it } from 'vitest';
import { DnsEndpointResolver, podReplica, type Lookup } from './dns-endpoint-resolver.ts';

const ENDPOINT = 'http://mistral-vllm.team-a.svc:8000/v1';
/** As the operator writes it (a name of its choosing: the gateway must not derive it from the endpoint). */
const MISTRAL = { name: 'mistral', endpoint: ENDPOINT, replicasHost: 'mistral-replicas.team-a.svc' };

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

describe('podReplica', () => {
  it("keeps the endpoint's scheme, port and path", () => {
    expect(podReplica(new URL(ENDPOINT), '10.244.1.7')).toEqual({
      id: 'http://10.244.1.7:8000',
      origin: 'http://10.244.1.7:8000',
      baseURL: 'http://10.244.1.7:8000/v1',
      kind: 'pod',
    });
    expect(podReplica(new URL(ENDPOINT), 'fd00::7').baseURL).toBe('http://[fd00::7]:8000/v1');
  });
});

describe('DnsEndpointResolver', () => {
  it('lists one replica per A record of the headless Service', async () => {
    const dns = fakeDns({ 'mistral-replicas.team-a.svc': ['10.244.1.9', '10.244.1.7', '10.244.1.7'] });
    const resolution = await new DnsEndpointResolver({ lookup: dns.lookup }).resolve(MISTRAL);
    expect(resolution).toEqual({
      state: 'present',
      replicas: [podReplica(new URL(ENDPOINT), '10.244.1.7'), podReplica(new URL(ENDPOINT), '10.244.1.9')],
    });
  });

  const service = {
    state: 'present',
    replicas: [
      { id: 'http://mistral-vllm.team-a.svc:8000', origin: 'http://mistral-vllm.team-a.svc:8000', baseURL: ENDPOINT, kind: 'service' },
    ],
  };

  it("falls back to the ClusterIP Service as a single replica while the replicas' name has no records", async () => {
    const dns = fakeDns({ 'mistral-vllm.team-a.svc': ['10.96.0.20'] });
    expect(await new DnsEndpointResolver({ lookup: dns.lookup }).resolve(MISTRAL)).toEqual(service);
    expect(dns.asked).toEqual(['mistral-replicas.team-a.svc', 'mistral-vllm.team-a.svc']);
  });

  it('uses the ClusterIP Service alone for a route without replicasHost, guessing no other name', async () => {
    const dns = fakeDns({ 'mistral-vllm.team-a.svc': ['10.96.0.20'], 'mistral-vllm-pods.team-a.svc': ['10.244.1.7'] });
    expect(await new DnsEndpointResolver({ lookup: dns.lookup }).resolve({ name: 'mistral', endpoint: ENDPOINT })).toEqual(service);
    expect(dns.asked).toEqual(['mistral-vllm.team-a.svc']);
  });

  it('reports a ModelServer whose Services are both gone as absent', async () => {
    const resolution = await new DnsEndpointResolver({ lookup: fakeDns({}).lookup }).resolve(MISTRAL);
    expect(resolution).toEqual({ state: 'absent' });
  });

  it('rejects on a DNS failure, so the pool keeps its last answer', async () => {
    const dns = fakeDns({ 'mistral-replicas.team-a.svc': Object.assign(new Error('timeout'), { code: 'EAI_AGAIN' }) });
    await expect(new DnsEndpointResolver({ lookup: dns.lookup }).resolve(MISTRAL)).rejects.toThrow('timeout');
  });

  it('uses an endpoint given as an IP address as it is', async () => {
    const dns = fakeDns({});
    const resolution = await new DnsEndpointResolver({ lookup: dns.lookup }).resolve({ name: 'm', endpoint: 'http://127.0.0.1:8000/v1' });
    expect(resolution).toMatchObject({ state: 'present', replicas: [{ baseURL: 'http://127.0.0.1:8000/v1', kind: 'service' }] });
    expect(dns.asked).toEqual([]);
  });
});
