import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listProviderModels, modelIdsFrom } from './provider-models.ts';

const KEY = 'sk-listing-SECRET-0123456789';

describe('listProviderModels', () => {
  let server: http.Server;
  let origin: string;
  const seen: { url: string; headers: http.IncomingHttpHeaders }[] = [];
  let reply: { status: number; body: string } = { status: 200, body: '{}' };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(reply.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('asks an OpenAI-compatible API for GET {baseURL}/models with the key as a Bearer token', async () => {
    reply = {
      status: 200,
      body: JSON.stringify({
        object: 'list',
        data: [
          { id: 'gpt-4.1', object: 'model' },
          { id: 'o3', object: 'model' },
        ],
      }),
    };
    const ids = await listProviderModels(
      { kind: 'openai-compatible', provider: 'groq', baseURL: `${origin}/openai/v1`, apiKey: KEY },
      AbortSignal.timeout(2000),
    );
    expect(ids).toEqual(['gpt-4.1', 'o3']);
    expect(seen.at(-1)).toMatchObject({ url: '/openai/v1/models', headers: { authorization: `Bearer ${KEY}` } });
  });

  it('asks Anthropic for GET /v1/models with x-api-key and anthropic-version', async () => {
    reply = {
      status: 200,
      body: JSON.stringify({
        data: [{ type: 'model', id: 'claude-sonnet-4-5-20250929', display_name: 'Claude Sonnet 4.5' }],
        has_more: false,
      }),
    };
    const ids = await listProviderModels(
      { kind: 'anthropic', provider: 'anthropic', baseURL: origin, apiKey: KEY },
      AbortSignal.timeout(2000),
    );
    expect(ids).toEqual(['claude-sonnet-4-5-20250929']);
    expect(seen.at(-1)?.url).toMatch(/^\/v1\/models\?/);
    expect(seen.at(-1)?.headers).toMatchObject({ 'x-api-key': KEY, 'anthropic-version': '2023-06-01' });
    expect(seen.at(-1)?.headers.authorization).toBeUndefined();
  });

  it("fails with the provider and status only: never the key, never the provider's body (which may echo it)", async () => {
    reply = { status: 401, body: JSON.stringify({ error: { message: `Incorrect API key provided: ${KEY}` } }) };
    const err = await listProviderModels(
      { kind: 'openai', provider: 'openai', baseURL: origin, apiKey: KEY },
      AbortSignal.timeout(2000),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('openai answered 401 to the models list.');
  });

  it('fails when nobody answers, saying which provider', async () => {
    const err = await listProviderModels(
      { kind: 'openai', provider: 'openai', baseURL: 'http://127.0.0.1:1/v1', apiKey: KEY },
      AbortSignal.timeout(2000),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as Error).message).toBe('Cannot reach openai to list its models.');
  });
});

describe('modelIdsFrom', () => {
  it("reads the ids of either provider's list and refuses what is not a list", () => {
    expect(modelIdsFrom({ data: [{ id: 'a' }, { id: 3 }, null, { id: 'b' }] })).toEqual(['a', 'b']);
    expect(() => modelIdsFrom({ models: [] })).toThrow(/no data/);
    expect(() => modelIdsFrom(null)).toThrow(/no data/);
  });
});
