// What browser apps and phone photos need: CORS for the configured origins (preflight answered
// without credentials, the headers a client acts on exposed), nothing for other origins, and a
// 10 MB image as a base64 data URL accepted by default, as the OpenAI API accepts it.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { startStack, USER_OPENAI_KEY, type Stack } from '../support/gateway-stack.ts';

let stack: Stack;
let user: { userId: string; apiKey: string };

const APP = 'https://app.example.com';

beforeAll(async () => {
  stack = await startStack({
    postgresUrl: inject('postgresUrl'),
    redisUrl: inject('redisUrl'),
    config: { mode: 'proxy', models: [{ name: 'gpt-4o-mini', provider: 'openai', upstreamModel: 'gpt-4o-mini' }] },
    env: { CORS_ALLOWED_ORIGINS: `${APP}, http://localhost:5173` },
  });
  user = await stack.newUser('pro');
  expect((await stack.addProviderKey(user.apiKey, 'openai', USER_OPENAI_KEY)).status).toBe(201);
});

afterAll(async () => {
  await stack.stop();
});

function chat(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${stack.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('CORS', () => {
  it('answers a preflight from an allowed origin without credentials, allowing the headers the SDK asks for', async () => {
    const res = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: {
        origin: APP,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,x-stainless-os',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toBe('authorization,content-type,x-stainless-os');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('exposes the request id, retry advice and rate limits on real responses', async () => {
    const res = await chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { origin: APP });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    const exposed = res.headers.get('access-control-expose-headers') ?? '';
    for (const header of ['x-request-id', 'retry-after', 'x-should-retry', 'x-ratelimit-remaining-requests'])
      expect(exposed).toContain(header);
  });

  it('says nothing to an origin that is not allowed', async () => {
    const res = await fetch(`${stack.url}/v1/models`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('request bodies', () => {
  it('accepts a 10 MB photo as a base64 data URL by default', async () => {
    const photo = `data:image/jpeg;base64,${Buffer.alloc(10 * 1000 * 1000, 7).toString('base64')}`;
    const res = await chat({
      model: 'gpt-4o-mini',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url: photo } },
          ],
        },
      ],
    });
    expect(res.status).toBe(200);
    const forwarded = stack.openai.requests.at(-1)?.body as { messages: { content: { image_url?: { url: string } }[] }[] };
    expect(forwarded.messages.at(-1)?.content[1]?.image_url?.url).toHaveLength(photo.length);
  });

  it('still refuses a body over the limit with a 413 that says the limit', async () => {
    const res = await chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(17 * 1024 * 1024) }] });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(String(16 * 1024 * 1024));
  });
});
