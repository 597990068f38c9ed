// Token limits through two gateway replicas sharing one Redis: 50 concurrent streaming requests
// spend no more than the tier's tokens per minute plus one request's reservation, every
// reservation is settled to the usage the upstream reported (the Redis counter ends equal to the
// sum of the streams' usage), and the refusals are 429s with OpenAI's token headers and
// Retry-After, in the caller's dialect.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { startStack, USER_OPENAI_KEY, type Stack } from '../support/gateway-stack.ts';

const TOKENS_PER_MINUTE = 3000;
const MAX_TOKENS = 200;
// 100 words: the stub counts 100 prompt tokens and echoes them back (101 completion tokens), so
// the real usage (~201) stays under the reservation (prompt estimate ~133 + max_tokens 200).
const messages = [{ role: 'user', content: Array.from({ length: 100 }, (_, i) => `w${String(i % 10)}`).join(' ') }];
const RESERVATION = Math.ceil(JSON.stringify(messages).length / 4) + MAX_TOKENS;

let stack: Stack;
let redis: Redis;

beforeAll(async () => {
  stack = await startStack({
    postgresUrl: inject('postgresUrl'),
    redisUrl: inject('redisUrl'),
    config: {
      mode: 'proxy',
      models: [{ name: 'gpt-4o-mini', provider: 'openai', upstreamModel: 'gpt-4o-mini' }],
      memory: { enabled: false },
      tiers: { free: { requestsPerMinute: 1000, requestsPerDay: 100_000, tokensPerMinute: TOKENS_PER_MINUTE, tokensPerDay: 1_000_000 } },
    },
    replicas: 2,
  });
  redis = new Redis(inject('redisUrl'));
});

afterAll(async () => {
  redis.disconnect();
  await stack.stop();
});

function stream(url: string, apiKey: string): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages, max_tokens: MAX_TOKENS, stream: true, stream_options: { include_usage: true } }),
  });
}

/** The usage chunk's total_tokens of an SSE body. */
function streamedTotal(body: string): number {
  const chunks = body
    .split('\n')
    .filter((l) => l.startsWith('data: {'))
    .map((l) => JSON.parse(l.slice(6)) as { usage?: { total_tokens: number } | null });
  const usage = chunks.find((c) => c.usage)?.usage;
  if (!usage) throw new Error('stream without usage');
  return usage.total_tokens;
}

async function awayFromMinuteBoundary(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 45_000) await new Promise((r) => setTimeout(r, 60_000 - intoMinute + 200));
}

async function eventually(check: () => Promise<boolean>, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check()) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
}

describe('token limits across replicas', () => {
  it('holds 50 concurrent streams to the limit plus one reservation and settles every reservation to the real usage', async () => {
    const { apiKey } = await stack.newUser('free');
    expect((await stack.addProviderKey(apiKey, 'openai', USER_OPENAI_KEY)).status).toBe(201);
    await awayFromMinuteBoundary();
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => stream(stack.gateways[i % 2]?.url ?? '', apiKey)));
    const bodies = await Promise.all(responses.map((r) => r.text()));
    const admitted = responses.flatMap((r, i) => (r.status === 200 ? [bodies[i] ?? ''] : []));
    const refused = responses.filter((r) => r.status === 429);
    expect(admitted.length + refused.length).toBe(50);
    expect(refused.length).toBeGreaterThan(0);

    const used = admitted.map(streamedTotal);
    expect(Math.max(...used)).toBeLessThanOrEqual(RESERVATION);
    const spent = used.reduce((a, b) => a + b, 0);
    expect(spent).toBeLessThanOrEqual(TOKENS_PER_MINUTE + RESERVATION);
    // At least the limit's worth of reservations was admitted before refusals began.
    expect(admitted.length).toBeGreaterThanOrEqual(Math.ceil(TOKENS_PER_MINUTE / RESERVATION));

    // Settling happens after each answer: the minute counter converges on the real usage.
    const [minuteKey] = await redis.keys(`${stack.redisKeyPrefix}ratelimit:*:tokens-minute:*`);
    expect(minuteKey).toBeDefined();
    await eventually(async () => Number(await redis.get(minuteKey ?? '')) === spent);
    expect(Number(await redis.get(minuteKey ?? ''))).toBe(spent);

    const first = responses.find((r) => r.status === 200);
    expect(first?.headers.get('x-ratelimit-limit-tokens')).toBe(String(TOKENS_PER_MINUTE));
    expect(Number(first?.headers.get('x-ratelimit-remaining-tokens'))).toBeLessThan(TOKENS_PER_MINUTE);
    expect(first?.headers.get('x-ratelimit-reset-tokens')).toMatch(/^(\d+s|1m0s)$/);
    const noAt = responses.findIndex((r) => r.status === 429);
    const no = responses[noAt];
    expect(Number(no?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(no?.headers.get('x-ratelimit-remaining-tokens')).toBe('0');
    const error = JSON.parse(bodies[noAt] ?? '') as { error: { type: string; code: string; message: string } };
    expect(error.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    expect(error.error.message).toMatch(/^Rate limit exceeded: 3000 tokens per minute for the free tier\. Retry after \d+ s/);

    // The same refusal in Anthropic's dialect on /v1/messages, once settling has freed what the
    // streams did not use and that room is spent again.
    const messagesCall = (): Promise<Response> =>
      fetch(`${stack.gateways[1]?.url ?? ''}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': apiKey, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: MAX_TOKENS, messages }),
      });
    let anthropic = await messagesCall();
    for (let i = 0; i < 20 && anthropic.status === 200; i++) anthropic = await messagesCall();
    expect(anthropic.status).toBe(429);
    expect(anthropic.headers.get('retry-after')).not.toBeNull();
    expect(await anthropic.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
  });
});
