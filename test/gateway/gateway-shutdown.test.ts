// SIGTERM: the replica leaves the load balancer (/health 503), finishes the streams it is serving,
// writes their usage before exiting, and exits 0.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { eventually } from '../support/eventually.ts';
import { startStack, USER_OPENAI_KEY, type Stack } from '../support/gateway-stack.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    postgresUrl: inject('postgresUrl'),
    redisUrl: inject('redisUrl'),
    config: { mode: 'proxy', models: [{ name: 'gpt-4o-mini', provider: 'openai', upstreamModel: 'gpt-4o-mini' }] },
  });
});

afterAll(async () => {
  await stack.stop();
});

describe('graceful shutdown', () => {
  it('drains an in-flight stream, flushes its usage row and exits 0', async () => {
    const { apiKey, userId } = await stack.newUser('pro');
    await stack.addProviderKey(apiKey, 'openai', USER_OPENAI_KEY);
    stack.openai.behaviour = { ...stack.openai.behaviour, reply: 'one two three four five six seven eight', delayMs: 150 };
    const gateway = stack.gateways[0];
    if (!gateway) throw new Error('no gateway');
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'x-request-id': 'req_drain_test_0001' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'long answer' }], stream: true }),
    });
    expect(response.status).toBe(200);
    const body = response.text();

    gateway.process.kill('SIGTERM');
    await eventually(async () => { expect((await fetch(`${stack.url}/health`).catch(() => undefined))?.status ?? 503).toBe(503); }, 5000, 20);

    const text = await body;
    const content = text.split('\n').filter((l) => l.startsWith('data: {')).map((l) => (JSON.parse(l.slice(6)) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '').join('');
    expect(content).toBe('one two three four five six seven eight');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(await gateway.exited).toBe(0);

    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    const { rows } = await db.query<{ status_code: number; output_tokens: number }>("SELECT status_code, output_tokens FROM usage_logs WHERE client_request_id = 'req_drain_test_0001' AND user_id = $1", [userId]);
    await db.end();
    expect(rows).toEqual([{ status_code: 200, output_tokens: expect.any(Number) as number }]);
    expect(gateway.logs()).toContain('Gateway stopped');
  });
});
