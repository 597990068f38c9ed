// The adapter sync against an in-process stand-in for vLLM's LoRA endpoints on loopback: what it
// asks, when it asks again, and what it reports. (test/gateway/lora-adapters.test.ts and
// test/cluster/adapters.test.ts run it against llm-d-inference-sim.)
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { V1Pod } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultedModelServer } from '../api/v1alpha1/defaults.ts';
import type { EndpointResolver } from '../autoscaler/endpoints.ts';
import { serverMessage } from './replica-client.ts';
import { makeAdapterSyncer } from './syncer.ts';

/** Holds loads until released, so a test can change the spec while a sync runs. */
let holdLoads: Promise<void> = Promise.resolve();
const loaded = new Map<string, string>();
const calls: string[] = [];
let server: http.Server;
let url = '';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      calls.push(`${req.method ?? ''} ${req.url ?? ''}`);
      const answer = (status: number, value: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (req.url === '/v1/models') {
        answer(200, { data: [{ id: 'base', parent: null }, ...[...loaded].map(([id, root]) => ({ id, root, parent: 'base' }))] });
        return;
      }
      const { lora_name: name, lora_path: path } = JSON.parse(body) as { lora_name: string; lora_path?: string };
      if (req.url === '/v1/unload_lora_adapter') {
        loaded.delete(name);
        answer(200, {});
        return;
      }
      void holdLoads.then(() => {
        if (path?.includes('missing')) {
          answer(404, {
            error: { message: `Loading lora ${name} failed: No adapter found for ${path}`, type: 'NotFoundError', code: 404 },
          });
          return;
        }
        loaded.set(name, path ?? '');
        answer(200, {});
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const resolver: EndpointResolver = { refresh: () => Promise.resolve(), resolve: () => ({ url: `${url}/metrics` }) };
const pods: V1Pod[] = [{ metadata: { name: 'a', namespace: 'ml' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } }];

function ms(adapters: { name: string; source: string }[]) {
  return defaultedModelServer({ name: 'llama', namespace: 'ml' }, { model: { id: 'base' }, adapters });
}

describe('the adapter sync', () => {
  const reconciles: string[] = [];
  let clock = 0;
  const syncer = makeAdapterSyncer({
    resolver,
    requestReconcile: (key) => reconciles.push(key),
    log: pino({ level: 'silent' }),
    now: () => clock,
  });

  it('asks nothing for a ModelServer that never had adapters', () => {
    expect(syncer.report(ms([]), pods)).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('follows a sync that ran while the spec changed with another, asked for through a reconcile', async () => {
    let release = (): void => undefined;
    holdLoads = new Promise((resolve) => (release = resolve));
    syncer.report(ms([{ name: 'sql', source: 'hf://org/sql' }]), pods);
    // The spec changes while the load is still running: no second sync starts now...
    syncer.report(
      ms([
        { name: 'sql', source: 'hf://org/sql' },
        { name: 'fin', source: 'hf://org/fin' },
      ]),
      pods,
    );
    release();
    await syncer.settled();
    expect(loaded.has('fin')).toBe(false);
    // ...but the end of the first asks for a reconcile twice: its findings changed, and so did the spec meanwhile.
    expect(reconciles).toEqual(['ml/llama', 'ml/llama']);
    syncer.report(
      ms([
        { name: 'sql', source: 'hf://org/sql' },
        { name: 'fin', source: 'hf://org/fin' },
      ]),
      pods,
    );
    await syncer.settled();
    expect([...loaded.keys()].sort()).toEqual(['fin', 'sql']);
  });

  it('keeps a refused load until its retry time, then asks again', async () => {
    const spec = ms([{ name: 'bad', source: 'hf://org/missing' }]);
    syncer.report(spec, pods);
    await syncer.settled();
    expect(syncer.report(spec, pods)?.replicas).toEqual([
      { pod: 'a', reached: true, loaded: [], failed: { bad: 'Loading lora bad failed: No adapter found for org/missing' } },
    ]);
    const loads = () => calls.filter((c) => c === 'POST /v1/load_lora_adapter').length;
    const before = loads();
    clock += 59_000;
    syncer.report(spec, pods);
    await syncer.settled();
    expect(loads()).toBe(before);
    clock += 1_000;
    syncer.report(spec, pods);
    await syncer.settled();
    expect(loads()).toBe(before + 1);
  });
});

describe('serverMessage', () => {
  it("takes the message from vLLM's error shapes, else the text, else the status", () => {
    expect(serverMessage(404, '{"error":{"message":"No adapter found","type":"NotFoundError"}}')).toBe('No adapter found');
    expect(serverMessage(400, '{"detail":"bad request"}')).toBe('bad request');
    expect(serverMessage(500, 'plain text')).toBe('plain text');
    expect(serverMessage(502, '')).toBe('HTTP 502');
  });
});
