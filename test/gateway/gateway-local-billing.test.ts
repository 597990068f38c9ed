// Local mode (a ModelServer's vLLM, here llm-d-inference-sim on loopback) needs no provider key,
// and with Polar configured every billed request reaches Polar exactly once, retries included.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { startInferenceSim, type InferenceSim } from '../harness/inference-sim.ts';
import { startPolarStub, type PolarStub } from '../stubs/polar-stub.ts';
import { eventually } from '../support/eventually.ts';
import { startStack, type Stack } from '../support/gateway-stack.ts';

let sim: InferenceSim;
let polar: PolarStub;
let stack: Stack;

beforeAll(async () => {
  [sim, polar] = await Promise.all([startInferenceSim({ model: 'perpetual-test/mistral-sim' }), startPolarStub()]);
  stack = await startStack({
    postgresUrl: inject('postgresUrl'),
    redisUrl: inject('redisUrl'),
    config: {
      mode: 'local',
      models: [{ name: 'mistral-7b', modelServer: 'mistral', endpoint: `${sim.url}/v1`, upstreamModel: sim.model }],
    },
    env: { POLAR_API_KEY: polar.token, POLAR_ORGANIZATION_ID: 'org_test', POLAR_BASE_URL: polar.url },
  });
});

afterAll(async () => {
  await stack.stop();
  await Promise.all([sim.stop(), polar.close()]);
});

describe('local mode', () => {
  it("serves a ModelServer's model without any provider key, streaming and not", async () => {
    const { apiKey } = await stack.newUser('pro');
    const client = new OpenAI({ apiKey, baseURL: `${stack.url}/v1`, maxRetries: 0 });
    const reply = await client.chat.completions.create({ model: 'mistral-7b', messages: [{ role: 'user', content: 'the blue door' }] });
    expect(reply.choices[0]?.message.content).toBe('the blue door');
    expect(reply.model).toBe('mistral-7b');
    const stream = await client.chat.completions.create({
      model: 'mistral-7b',
      messages: [{ role: 'user', content: 'streamed words here' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('streamed words here');
    expect(usage?.total_tokens).toBeGreaterThan(0);
    const health = (await (await fetch(`${stack.url}/health`)).json()) as { models_loaded: boolean; mode: string };
    expect(health).toMatchObject({ models_loaded: true, mode: 'local' });
  });
});

describe('Polar billing', () => {
  it("sends one event per billed request, with the gateway's request id as external_id, even when Polar fails at first", async () => {
    const { apiKey, userId } = await stack.newUser('pro');
    polar.failNext(2, { status: 500 });
    const ids = ['req_bill_000000001', 'req_bill_000000002', 'req_bill_000000003'];
    for (const id of ids) {
      const res = await fetch(`${stack.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'x-request-id': id },
        body: JSON.stringify({ model: 'mistral-7b', messages: [{ role: 'user', content: 'bill me' }] }),
      });
      expect(res.status).toBe(200);
    }
    // external_id is the id the gateway made for the request (a caller's id may repeat); the
    // caller's rides along in the metadata.
    const mine = await eventually(() => {
      const events = polar.events.filter((e) => e.external_customer_id === userId);
      expect(events.map((e) => e.metadata?.client_request_id).sort()).toEqual(ids);
      return events;
    }, 15_000);
    expect(new Set(mine.map((e) => e.external_id)).size).toBe(ids.length);
    expect(mine.every((e) => /^[0-9a-f-]{36}$/.test(e.external_id ?? ''))).toBe(true);
    expect(polar.requests.some((r) => r.status >= 500)).toBe(true);
    const event = mine.find((e) => e.metadata?.client_request_id === ids[0]);
    expect(event).toMatchObject({ name: 'llm.usage', metadata: { model: 'mistral-7b' } });
    expect(stack.gateways[0]?.logs()).not.toContain(polar.token);
  });
});
