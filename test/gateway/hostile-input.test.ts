// Malformed and hostile requests against the gateway as a real process on real PostgreSQL and
// Redis (memory on, so every route exists): each gets a 4xx that names what is wrong, never a
// 5xx, and the gateway keeps serving. The reported cases first, then generated ones: random
// bodies, paths and headers from a seeded generator (fast-check), every answer below 500.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { TEST_ADMIN_TOKEN } from '../support/gateway.ts';
import { startStack, type Stack } from '../support/gateway-stack.ts';

let stack: Stack;
let user: { userId: string; apiKey: string };

const CONFIG = { mode: 'proxy', models: [{ name: 'gpt-4o-mini', provider: 'openai', upstreamModel: 'gpt-4o-mini' }] };

beforeAll(async () => {
  stack = await startStack({ postgresUrl: inject('postgresUrl'), redisUrl: inject('redisUrl'), config: CONFIG, memory: true });
  user = await stack.newUser('pro');
});

afterAll(async () => {
  await stack.stop();
});

function asUser(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body }),
  });
}

async function errorOf(
  res: Response,
): Promise<{ status: number; error: { message: string; type: string; code: string; param: string | null } }> {
  const body = (await res.json()) as { error: { message: string; type: string; code: string; param: string | null } };
  return { status: res.status, error: body.error };
}

describe('the reported malformed inputs', () => {
  it('refuses JSON nested 200,000 levels deep with a 400, not a stack overflow', async () => {
    const deep = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"metadata":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
    const { status, error } = await errorOf(await asUser('POST', '/v1/chat/completions', deep));
    expect(status).toBe(400);
    expect(error).toMatchObject({ type: 'invalid_request_error', code: 'json_too_deep' });
    expect(error.message).toMatch(/nested/);
  });

  it('refuses a path with bad percent-encoding with a 400', async () => {
    const { status, error } = await errorOf(await asUser('DELETE', '/v1/memories/%ZZ'));
    expect(status).toBe(400);
    expect(error.code).toBe('invalid_path');
  });

  it('refuses a NUL, a 1 MB or a duplicate email on the admin API with a 4xx naming the field', async () => {
    const nul = await errorOf(await stack.admin('POST', '/admin/users', { email: 'a\u0000b@example.com' }));
    expect(nul).toMatchObject({ status: 400, error: { param: 'email' } });
    const huge = await errorOf(await stack.admin('POST', '/admin/users', { email: `${'a'.repeat(1_000_000)}@example.com` }));
    expect(huge).toMatchObject({ status: 400, error: { param: 'email' } });
    expect(huge.error.message.length).toBeLessThan(300);
    const first = await stack.admin('POST', '/admin/users', { email: 'twice@example.com' });
    expect(first.status).toBe(201);
    const again = await errorOf(await stack.admin('POST', '/admin/users', { email: 'twice@example.com' }));
    expect(again).toMatchObject({ status: 409, error: { code: 'email_taken', param: 'email' } });
  });

  it('refuses a key name with a NUL or a control character with a 400 naming it', async () => {
    const { status, error } = await errorOf(await stack.admin('POST', `/admin/users/${user.userId}/keys`, { name: 'ci\u0000key' }));
    expect(status).toBe(400);
    expect(error.param).toBe('name');
  });

  it('answers a malformed user id in a path with a 404, not a database error', async () => {
    for (const id of ['not-a-uuid', '%00', 'x'.repeat(5000)]) {
      const res = await stack.admin('GET', `/admin/users/${id}`);
      expect(res.status).toBe(404);
    }
  });

  it('does not echo a 1 MB model name back', async () => {
    const res = await asUser('POST', '/v1/embeddings', JSON.stringify({ model: 'm'.repeat(1_000_000), input: 'hi' }));
    expect(res.status).toBe(400);
    expect((await res.text()).length).toBeLessThan(1000);
  });
});

// Paths a client can reach, with the methods they answer; ids and bodies are generated.
const ROUTES: { method: string; path: (segment: string) => string; admin?: boolean }[] = [
  { method: 'POST', path: () => '/v1/chat/completions' },
  { method: 'POST', path: () => '/v1/messages' },
  { method: 'POST', path: () => '/v1/embeddings' },
  { method: 'GET', path: () => '/v1/models' },
  { method: 'GET', path: (s) => `/v1/models/${s}` },
  { method: 'POST', path: () => '/v1/completions' },
  { method: 'POST', path: () => '/v1/responses' },
  { method: 'GET', path: (s) => `/v1/responses/${s}` },
  { method: 'GET', path: (s) => `/v1/responses/${s}/input_items?limit=${s}` },
  { method: 'DELETE', path: (s) => `/v1/responses/${s}` },
  { method: 'GET', path: (s) => `/v1/usage?days=${s}` },
  { method: 'POST', path: () => '/v1/provider-keys' },
  { method: 'DELETE', path: (s) => `/v1/provider-keys/${s}` },
  { method: 'GET', path: (s) => `/v1/memories?limit=${s}` },
  { method: 'POST', path: () => '/v1/memories/search' },
  { method: 'DELETE', path: (s) => `/v1/memories/${s}` },
  { method: 'POST', path: () => '/admin/users', admin: true },
  { method: 'GET', path: (s) => `/admin/users/${s}`, admin: true },
  { method: 'PATCH', path: (s) => `/admin/users/${s}`, admin: true },
  { method: 'POST', path: (s) => `/admin/users/${s}/keys`, admin: true },
];

/** JSON-ish bodies: valid JSON of any shape, near-misses of the real shapes, and raw bytes. */
const bodies = fc.oneof(
  fc.json({ maxDepth: 6 }),
  fc
    .record(
      {
        model: fc.oneof(fc.string(), fc.constant('gpt-4o-mini'), fc.anything()),
        messages: fc.anything(),
        prompt: fc.anything(),
        input: fc.anything(),
        previous_response_id: fc.anything(),
        email: fc.string(),
        name: fc.string(),
        tier: fc.string(),
        provider: fc.string(),
        api_key: fc.string(),
        query: fc.anything(),
        max_tokens: fc.anything(),
        stream: fc.anything(),
      },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o)),
  fc.string({ unit: 'binary', maxLength: 200 }),
);
/** Path segments: percent-encoding good and bad, traversal, control characters, long runs. */
const segments = fc.oneof(
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.constantFrom('%ZZ', '%', '%00', '..%2F..', '%E0%A4%A', '%C0%AF', 'x'.repeat(3000)),
  fc.uuid(),
);
/** Header values fetch will send (no CR/LF): odd content types and authorizations. */
const contentTypes = fc.constantFrom(
  'application/json',
  'text/plain',
  'application/json; charset=latin1',
  'application/x-www-form-urlencoded',
);
const headerValues = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });

describe('generated malformed requests', () => {
  it('never answer 5xx (fast-check, seeded)', async () => {
    const answered: number[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: ROUTES.length - 1 }),
        segments,
        bodies,
        fc.record({ contentType: contentTypes, odd: headerValues }),
        async (index, segment, body, { contentType, odd }) => {
          const route = ROUTES[index]!;
          const auth = `Bearer ${route.admin ? TEST_ADMIN_TOKEN : user.apiKey}`;
          const res = await fetch(`${stack.url}${route.path(segment)}`, {
            method: route.method,
            headers: { authorization: auth, 'content-type': contentType, 'x-conversation-id': odd, 'x-request-id': odd },
            ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { body }),
          });
          await res.arrayBuffer();
          answered.push(res.status);
          expect(res.status, `${route.method} ${route.path(segment)} ${body.slice(0, 200)}`).toBeLessThan(500);
        },
      ),
      { numRuns: 800, seed: 13 },
    );
    // Not all refused at the door: some passed validation and were served (200), some refused for content (400) or target (404).
    expect(answered).toContain(200);
    expect(answered).toContain(400);
    expect(answered).toContain(404);
    expect((await fetch(`${stack.url}/health`)).status).toBe(200);
  });
});
