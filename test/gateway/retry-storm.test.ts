// Retries do not multiply. The official SDKs retry failed calls themselves (twice by default), so
// a gateway that also retries turns one call against a failing upstream into many upstream
// requests. Here each SDK keeps its default retries and the upstream fails every request: the
// gateway retries once, then tells the SDK not to retry (x-should-retry: false), so one SDK call
// costs at most 2 upstream requests. The upstream's Retry-After and error fields reach the client.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { startStack, USER_ANTHROPIC_KEY, USER_OPENAI_KEY, type Stack } from '../support/gateway-stack.ts';

let stack: Stack;
let user: { userId: string; apiKey: string };

const CONFIG = { mode: 'proxy', models: [{ name: 'gpt-4o-mini', provider: 'openai', upstreamModel: 'gpt-4o-mini' }] };
const ALWAYS = 1_000_000;

beforeAll(async () => {
  stack = await startStack({ postgresUrl: inject('postgresUrl'), redisUrl: inject('redisUrl'), config: CONFIG });
  user = await stack.newUser('pro');
  expect((await stack.addProviderKey(user.apiKey, 'openai', USER_OPENAI_KEY)).status).toBe(201);
  expect((await stack.addProviderKey(user.apiKey, 'anthropic', USER_ANTHROPIC_KEY)).status).toBe(201);
});

afterAll(async () => {
  await stack.stop();
});

/** Upstream requests made while `call` ran. */
async function upstreamRequestsDuring(
  upstream: { requests: unknown[] },
  call: () => Promise<unknown>,
): Promise<{ count: number; error: unknown }> {
  const before = upstream.requests.length;
  const error = await call().then(
    () => undefined,
    (err: unknown) => err,
  );
  return { count: upstream.requests.length - before, error };
}

describe('one SDK call against a failing upstream', () => {
  // SDK defaults: 2 retries; a short timeout keeps the SDK's own backoff from slowing the test.
  const openai = (): OpenAI => new OpenAI({ apiKey: user.apiKey, baseURL: `${stack.url}/v1` });
  const anthropic = (): Anthropic => new Anthropic({ apiKey: user.apiKey, baseURL: stack.url });

  it.each([429, 503])('OpenAI SDK, upstream %i: at most 2 upstream requests', async (status) => {
    stack.openai.behaviour = { ...stack.openai.behaviour, failFirst: { count: ALWAYS, status } };
    const { count, error } = await upstreamRequestsDuring(stack.openai, () =>
      openai().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(count).toBe(2);
    expect((error as InstanceType<typeof OpenAI.APIError>).headers?.get('x-should-retry')).toBe('false');
  });

  it.each([429, 529])('Anthropic SDK, upstream %i: at most 2 upstream requests', async (status) => {
    stack.anthropic.behaviour = { ...stack.anthropic.behaviour, failFirst: { count: ALWAYS, status } };
    const { count, error } = await upstreamRequestsDuring(stack.anthropic, () =>
      anthropic().messages.create({ model: 'claude-sonnet-4-6', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(count).toBe(2);
  });

  it('does not retry at all when the upstream says not to, and passes its Retry-After on', async () => {
    stack.openai.behaviour = { ...stack.openai.behaviour, failFirst: { count: ALWAYS, status: 429, retryAfter: '7' } };
    const { count, error } = await upstreamRequestsDuring(stack.openai, () =>
      openai().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { maxRetries: 0 }),
    );
    // Retry-After 7 s is longer than the gateway holds a client: no retry, the pause goes to the client.
    expect(count).toBe(1);
    expect((error as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toBe('7');
  });

  it('still serves a call whose first upstream attempt fails once', async () => {
    stack.openai.behaviour = { ...stack.openai.behaviour, failFirst: { count: 1, status: 503 } };
    const { count, error } = await upstreamRequestsDuring(stack.openai, () =>
      openai().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(error).toBeUndefined();
    expect(count).toBe(2);
  });
});

describe('upstream 400s', () => {
  it("keep the upstream's param and code", async () => {
    stack.openai.behaviour = { ...stack.openai.behaviour, failFirst: undefined };
    const res = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'tool', content: 'orphan tool result', tool_call_id: 'x' }] }),
    });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { param: string | null; code: string } };
    expect(error.param).toBe('messages.[0].role');
  });
});
