// SIGTERM: the replica leaves the load balancer (/health 503), finishes the streams it is serving,
// writes their usage before exiting, and exits 0. SIGKILL: what is lost is bounded by the usage
// log's flush interval (100 ms): a request answered longer ago than that has its row.
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
    replicas: 2,
  });
});

afterAll(async () => {
  await stack.stop();
});

describe('kill -9', () => {
  it('keeps the usage rows of requests answered more than a flush interval before the kill', async () => {
    const { apiKey, userId } = await stack.newUser('pro');
    await stack.addProviderKey(apiKey, 'openai', USER_OPENAI_KEY);
    stack.openai.behaviour = { ...stack.openai.behaviour, reply: 'short', delayMs: 0 };
    // The second replica: the first one is drained by the SIGTERM test below, and stack.url is its.
    const gateway = stack.gateways[1];
    if (!gateway) throw new Error('no second gateway');
    const ids = ['req_kill_test_0001', 'req_kill_test_0002', 'req_kill_test_0003'];
    for (const id of ids) {
      const res = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'x-request-id': id },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
      await res.text();
    }
    // Seven flush intervals: generous for a loaded machine, yet shorter than the old 1 s interval.
    await new Promise((resolve) => setTimeout(resolve, 700));
    gateway.process.kill('SIGKILL');
    expect(await gateway.exited).toBeNull();

    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    const { rows } = await db.query<{ client_request_id: string }>(
      'SELECT client_request_id FROM usage_logs WHERE user_id = $1 ORDER BY client_request_id',
      [userId],
    );
    await db.end();
    expect(rows.map((r) => r.client_request_id)).toEqual(ids);
  });
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
    await eventually(
      async () => {
        expect((await fetch(`${stack.url}/health`).catch(() => undefined))?.status ?? 503).toBe(503);
      },
      5000,
      20,
    );

    const text = await body;
    const content = text
      .split('\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => (JSON.parse(l.slice(6)) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '')
      .join('');
    expect(content).toBe('one two three four five six seven eight');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(await gateway.exited).toBe(0);

    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    const { rows } = await db.query<{ status_code: number; output_tokens: number }>(
      "SELECT status_code, output_tokens FROM usage_logs WHERE client_request_id = 'req_drain_test_0001' AND user_id = $1",
      [userId],
    );
    await db.end();
    expect(rows).toEqual([{ status_code: 200, output_tokens: expect.any(Number) as number }]);
    expect(gateway.logs()).toContain('Gateway stopped');
  });
});
