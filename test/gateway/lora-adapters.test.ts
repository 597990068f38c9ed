// LoRA adapters end to end on real processes: two llm-d-inference-sim replicas started with one
// adapter (--lora-modules), the operator's adapter sync (operator/adapters/syncer.ts) driven
// directly against them (the operator's own EndpointResolver reads an ENDPOINT_MAP_FILE naming the
// replicas, as in the autoscaler tests), status computed by the operator's pure builder, the
// gateway's file built from that status by the operator's builder, and a real gateway process
// answering the official SDKs. Each replica sits behind a loopback proxy that refuses one adapter
// path the way vLLM does, because the simulator itself accepts every load.
import Anthropic from '@anthropic-ai/sdk';
import type { V1Pod } from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { gatewayAdapters } from '../../operator/adapters/gateway-adapters.ts';
import { makeAdapterSyncer, type AdapterSyncer } from '../../operator/adapters/syncer.ts';
import { defaultedModelServer } from '../../operator/api/v1alpha1/defaults.ts';
import type { ModelServer } from '../../operator/api/v1alpha1/model-server.ts';
import { endpointMapResolver } from '../../operator/autoscaler/endpoints.ts';
import { withAdapterStatus } from '../../operator/controllers/model-server/adapter-status.ts';
import { loraModule } from '../../operator/controllers/model-server/adapters.ts';
import { computeModelServerStatus } from '../../operator/controllers/model-server/status.ts';
import { startInferenceSim, type InferenceSim } from '../harness/inference-sim.ts';
import { startRefusingReplica, vllmNoAdapterMessage, type RefusingReplica } from '../stubs/lora-refusing-replica.ts';
import { replaceMapFile } from '../support/endpoint-map.ts';
import { startStack, type Stack } from '../support/gateway-stack.ts';

const BASE = 'perpetual-test/lora-base';
const NS = 'ml';
const UNUSED_ENDPOINT = 'http://127.0.0.1:9/v1';
const sql = { name: 'sql', source: 'hf://perpetual-test/sql-lora' };
const support = { name: 'support', source: 'hf://perpetual-test/support-lora' };
const bad = { name: 'bad', source: 'hf://perpetual-test/missing-lora' };
const premium = { name: 'premium', source: 'hf://perpetual-test/premium-lora', tiers: ['enterprise'] };

let dir: string;
let sims: InferenceSim[] = [];
let replicas: RefusingReplica[] = [];
/** The `model` of every completion request either replica received, in order. */
const upstreamModels: string[] = [];
let syncer: AdapterSyncer;
const reconcileRequests: string[] = [];
let stack: Stack | undefined;

function pod(name: string): V1Pod {
  return {
    metadata: { name, namespace: NS },
    status: { podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [] },
  };
}
const pods = [pod('llama-a'), pod('llama-b')];

function server(adapters: { name: string; source: string; tiers?: string[] }[], status?: ModelServer['status']): ModelServer {
  const ms = defaultedModelServer({ name: 'llama', namespace: NS }, { model: { id: BASE }, adapters });
  return status ? { ...ms, status } : ms;
}

/** What the reconciler would write: the sync's findings in status (after the sync it starts has finished). */
async function syncedStatus(ms: ModelServer): Promise<ModelServer['status']> {
  syncer.report(ms, pods);
  await syncer.settled();
  const now = new Date();
  return withAdapterStatus(computeModelServerStatus(ms, { deployment: undefined, pods }, now), ms, syncer.report(ms, pods), now);
}

async function loadedOn(replica: RefusingReplica): Promise<string[]> {
  const body = (await (await fetch(`${replica.url}/v1/models`)).json()) as { data: { id: string; parent: string | null }[] };
  return body.data.flatMap((m) => (m.parent ? [m.id] : [])).sort();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'perpetual-lora-'));
  // Started as the Deployment would start them: with the adapters known at start.
  sims = await Promise.all(
    [0, 1].map(() => startInferenceSim({ model: BASE, args: ['--max-loras=2', '--lora-modules', loraModule(sql)] })),
  );
  replicas = await Promise.all(sims.map((s) => startRefusingReplica(s.url, 'missing-lora', upstreamModels)));
  const operatorMap = join(dir, 'operator-endpoints.json');
  replaceMapFile(operatorMap, JSON.stringify({ [`${NS}/llama-a`]: replicas[0]?.url, [`${NS}/llama-b`]: replicas[1]?.url }));
  syncer = makeAdapterSyncer({
    resolver: endpointMapResolver(operatorMap, (message) => {
      throw new Error(message);
    }),
    requestReconcile: (key) => reconcileRequests.push(key),
    log: pino({ level: 'silent' }),
  });
});

afterAll(async () => {
  await stack?.stop();
  await Promise.all(replicas.map((r) => r.close()));
  await Promise.all(sims.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe('the adapter sync against simulator replicas', () => {
  it('finds the adapter loaded at start on every replica: Loaded', async () => {
    const status = await syncedStatus(server([sql]));
    expect(status?.adapters).toEqual([{ name: 'sql', state: 'Loaded', loadedReplicas: 2 }]);
    expect(status?.conditions?.find((c) => c.type === 'AdaptersReady')).toMatchObject({ status: 'True', reason: 'AdaptersLoaded' });
    expect(reconcileRequests).toContain(`${NS}/llama`);
  });

  it('loads an adapter added later through the dynamic API on each replica, without a restart: Loaded', async () => {
    const status = await syncedStatus(server([sql, support]));
    expect(status?.adapters).toEqual([
      { name: 'sql', state: 'Loaded', loadedReplicas: 2 },
      { name: 'support', state: 'Loaded', loadedReplicas: 2 },
    ]);
    for (const r of replicas) expect(await loadedOn(r)).toEqual(['sql', 'support']);
  });

  it("shows an adapter a replica refuses as Failed with the server's message, and the others still Loaded", async () => {
    const status = await syncedStatus(server([sql, support, bad]));
    expect(status?.adapters?.find((a) => a.name === 'bad')).toEqual({
      name: 'bad',
      state: 'Failed',
      loadedReplicas: 0,
      message: vllmNoAdapterMessage('bad', 'perpetual-test/missing-lora'),
    });
    expect(status?.adapters?.filter((a) => a.state === 'Loaded').map((a) => a.name)).toEqual(['sql', 'support']);
    expect(status?.conditions?.find((c) => c.type === 'AdaptersReady')).toMatchObject({
      status: 'False',
      reason: 'AdapterLoadFailed',
      message: `Adapter bad failed to load: ${vllmNoAdapterMessage('bad', 'perpetual-test/missing-lora')}`,
    });
  });

  it('asks the replicas nothing more while the spec and the replicas stay the same, and rechecks within a minute', async () => {
    const calls = () => replicas.flatMap((r) => r.calls).length;
    const before = { calls: calls(), reconciles: reconcileRequests.length };
    const ms = server([sql, support, bad]);
    expect(syncer.report(ms, pods)?.replicas).toHaveLength(2);
    await syncer.settled();
    expect({ calls: calls(), reconciles: reconcileRequests.length }).toEqual(before);
    expect(syncer.recheckAfterMs(ms)).toBe(60_000);
  });

  it('runs the same plan again without effect: a replica that has an adapter is not asked to load it', async () => {
    // A restarted container (restartCount up) is a reason to look again; nothing is missing, so only GET /v1/models.
    const restarted = pods.map((p) => ({ ...p, status: { ...p.status, containerStatuses: [{ restartCount: 1 } as never] } }));
    const from = replicas.map((r) => r.calls.length);
    syncer.report(server([sql, support, bad]), restarted);
    await syncer.settled();
    const newCalls = replicas.flatMap((r, i) => r.calls.slice(from[i]));
    // The refused adapter waits out its retry time; the loaded ones are left alone.
    expect(newCalls).toEqual(['GET /v1/models', 'GET /v1/models']);
  });
});

describe('the gateway in front of the replicas', () => {
  let openai: OpenAI;
  let anthropic: Anthropic;
  let freeOpenai: OpenAI;
  let freeAnthropic: Anthropic;

  beforeAll(async () => {
    const status = await syncedStatus(server([sql, support, bad, premium]));
    const adapters = gatewayAdapters(server([sql, support, bad, premium], status));
    const gatewayMap = join(dir, 'gateway-endpoints.json');
    replaceMapFile(gatewayMap, JSON.stringify({ llama: replicas.map((r) => r.url) }));
    stack = await startStack({
      postgresUrl: inject('postgresUrl'),
      redisUrl: inject('redisUrl'),
      config: {
        mode: 'local',
        models: [{ name: 'llama', modelServer: 'llama', endpoint: UNUSED_ENDPOINT, upstreamModel: BASE, adapters }],
      },
      env: { ENDPOINT_MAP_FILE: gatewayMap, SCALE_TRIGGER: 'log', REPLICA_HEALTH_PATH: '/health/ready' },
    });
    const { apiKey } = await stack.newUser('enterprise');
    openai = new OpenAI({ apiKey, baseURL: `${stack.url}/v1`, maxRetries: 0 });
    anthropic = new Anthropic({ apiKey, baseURL: stack.url, maxRetries: 0 });
    const free = await stack.newUser('free');
    freeOpenai = new OpenAI({ apiKey: free.apiKey, baseURL: `${stack.url}/v1`, maxRetries: 0 });
    freeAnthropic = new Anthropic({ apiKey: free.apiKey, baseURL: stack.url, maxRetries: 0 });
  });

  const asked = (): string[] => upstreamModels;

  it.each([
    ['llama:sql', 'sql'],
    ['sql', 'sql'],
    ['llama:support', 'support'],
  ])('answers %s with the adapter as the upstream model', async (model, upstream) => {
    const before = asked().length;
    const completion = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: `hello ${model}` }] });
    expect(completion.choices[0]?.message.content).toBe(`hello ${model}`);
    expect(completion.model).toBe(model);
    expect(asked().slice(before)).toEqual([upstream]);
  });

  it('answers the base model as before', async () => {
    const before = asked().length;
    await openai.chat.completions.create({ model: 'llama', messages: [{ role: 'user', content: 'hi' }] });
    expect(asked().slice(before)).toEqual([BASE]);
  });

  it("answers a refused adapter with a 404 naming it and quoting the server, in each caller's dialect, without calling a replica", async () => {
    const before = asked().length;
    const message = `The adapter "bad" of model "llama" is not loaded: ${vllmNoAdapterMessage('bad', 'perpetual-test/missing-lora')}`;
    const openaiError = await openai.chat.completions
      .create({ model: 'llama:bad', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(openaiError).toBeInstanceOf(OpenAI.NotFoundError);
    expect(openaiError).toMatchObject({ status: 404, code: 'model_not_found', message: expect.stringContaining(message) as string });
    const anthropicError = await anthropic.messages
      .create({ model: 'bad', max_tokens: 16, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(anthropicError).toBeInstanceOf(Anthropic.NotFoundError);
    expect((anthropicError as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error', message: expect.stringContaining('"bad"') as string },
    });
    expect(asked().length).toBe(before);
  });

  it('lists the loaded adapters in /v1/models under <model>:<adapter>, and not the refused one', async () => {
    const ids = [];
    for await (const m of openai.models.list()) ids.push(m.id);
    expect(ids.sort()).toEqual(['llama', 'llama:premium', 'llama:sql', 'llama:support']);
    expect(await openai.models.retrieve('llama:sql')).toMatchObject({ id: 'llama:sql', parent: 'llama' });
  });

  it('serves an adapter limited to some tiers to those tiers only: a 403 naming it for the others, in both dialects', async () => {
    const before = asked().length;
    await openai.chat.completions.create({ model: 'llama:premium', messages: [{ role: 'user', content: 'hi' }] });
    expect(asked().slice(before)).toEqual(['premium']);
    const message = 'The free tier may not use the adapter "premium" of model "llama": it is open to enterprise.';
    const openaiError = await freeOpenai.chat.completions
      .create({ model: 'llama:premium', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(openaiError).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(openaiError).toMatchObject({ status: 403, code: 'adapter_tier', message: expect.stringContaining(message) as string });
    const anthropicError = await freeAnthropic.messages
      .create({ model: 'premium', max_tokens: 16, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(anthropicError).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect((anthropicError as InstanceType<typeof Anthropic.PermissionDeniedError>).error).toMatchObject({
      type: 'error',
      error: { type: 'permission_error', message: expect.stringContaining(message) as string },
    });
    // The free tier neither sees it listed nor reaches a replica with it; the other adapters stay open to it.
    const ids = [];
    for await (const m of freeOpenai.models.list()) ids.push(m.id);
    expect(ids.sort()).toEqual(['llama', 'llama:sql', 'llama:support']);
    await freeOpenai.chat.completions.create({ model: 'sql', messages: [{ role: 'user', content: 'hi' }] });
    expect(asked().slice(before)).toEqual(['premium', 'sql']);
  });
});

describe('removing an adapter', () => {
  it('unloads it from every replica through the dynamic API', async () => {
    const status = await syncedStatus(server([support]));
    expect(status?.adapters).toEqual([{ name: 'support', state: 'Loaded', loadedReplicas: 2 }]);
    for (const r of replicas) expect(await loadedOn(r)).toEqual(['support']);
  });
});
