// Settings validation as a table, then each remote source over real HTTP against the OpenAI stub
// on loopback, through the gateway's own provider client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAIUpstream } from '../../../test/stubs/openai-upstream.ts';
import type { OpenAIUpstream } from '../../../test/stubs/openai-upstream.ts';
import { ConfigError } from '../../config.ts';
import { createProviderFor } from '../../providers/provider-for.ts';
import { createUpstreamHttp } from '../../providers/transport/upstream-http.ts';
import type { UpstreamHttp } from '../../providers/transport/upstream-http.ts';
import { createEmbedder, embeddingSpace } from './embedder-from-settings.ts';
import type { EmbeddingSettings } from './embedder-from-settings.ts';
import { dot } from './vector.ts';

describe('embeddingSpace', () => {
  it.each<[EmbeddingSettings, { id: string; dimension: number; requestDimensions: boolean }]>([
    [{ source: 'builtin' }, { id: 'builtin-hash-v1', dimension: 512, requestDimensions: false }],
    [
      { source: 'builtin', dimensions: 1024 },
      { id: 'builtin-hash-v1', dimension: 1024, requestDimensions: false },
    ],
    [
      { source: 'provider', model: 'text-embedding-3-small' },
      { id: 'provider:text-embedding-3-small', dimension: 1536, requestDimensions: false },
    ],
    [
      { source: 'provider', model: 'text-embedding-3-large' },
      { id: 'provider:text-embedding-3-large', dimension: 3072, requestDimensions: false },
    ],
    [
      { source: 'provider', model: 'text-embedding-ada-002' },
      { id: 'provider:text-embedding-ada-002', dimension: 1536, requestDimensions: false },
    ],
    [
      { source: 'provider', model: 'openai/text-embedding-3-small', dimensions: 512 },
      { id: 'provider:openai/text-embedding-3-small', dimension: 512, requestDimensions: true },
    ],
    [
      { source: 'provider', model: 'mistral-embed', dimensions: 1024 },
      { id: 'provider:mistral-embed', dimension: 1024, requestDimensions: false },
    ],
    [
      { source: 'modelServer', model: 'BAAI/bge-m3', dimensions: 1024, modelServerRef: { name: 'bge' } },
      { id: 'modelServer:BAAI/bge-m3', dimension: 1024, requestDimensions: false },
    ],
  ])('%j', (settings, expected) => {
    expect(embeddingSpace(settings)).toMatchObject(expected);
  });

  it.each<[EmbeddingSettings, RegExp]>([
    [{ source: 'local' }, /memory.embedding.source must be one of builtin, provider, modelServer; got "local"/],
    [{ source: 'provider' }, /memory.embedding.model is required when source is provider/],
    [{ source: 'provider', model: '  ' }, /memory.embedding.model is required when source is provider/],
    [
      { source: 'modelServer', modelServerRef: { name: 'bge' } },
      /memory.embedding.model is required when source is modelServer: the ModelServer's served model name/,
    ],
    [{ source: 'provider', model: 'mistral-embed' }, /memory.embedding.dimensions is required for model "mistral-embed"/],
    [
      { source: 'provider', model: 'text-embedding-ada-002', dimensions: 512 },
      /dimensions is 512, but model "text-embedding-ada-002" always returns 1536/,
    ],
    [{ source: 'builtin', dimensions: 4 }, /memory.embedding.dimensions must be an integer from 8 to 65536, got 4/],
    [{ source: 'provider', model: 'x', dimensions: 1.5 }, /must be an integer from 8 to 65536, got 1.5/],
  ])('rejects %j', (settings, message) => {
    expect(() => embeddingSpace(settings)).toThrow(ConfigError);
    expect(() => embeddingSpace(settings)).toThrow(message);
  });
});

describe('createEmbedder', () => {
  let stub: OpenAIUpstream;
  let http: UpstreamHttp;
  const client = () => createProviderFor(http)('openai');

  beforeAll(async () => {
    stub = await startOpenAIUpstream({ apiKey: 'sk-user' });
    http = createUpstreamHttp({ retry: { maxRetries: 0 } });
  });
  afterAll(async () => {
    await http.close();
    await stub.close();
  });

  it('builds the built-in embedder without any context', async () => {
    const embedder = createEmbedder({ source: 'builtin', dimensions: 256 });
    expect(embedder).toMatchObject({ id: 'builtin-hash-v1', dimension: 256 });
    expect((await embedder.embed(['hello there'], {}))[0]).toHaveLength(256);
  });

  it("embeds with the user's provider and key over HTTP", async () => {
    const embedder = createEmbedder(
      { source: 'provider', model: 'text-embedding-3-small', dimensions: 64 },
      { client: client(), provider: { kind: 'openai', baseURL: stub.url, apiKey: 'sk-user', name: 'openai' } },
    );
    const [a, b] = await embedder.embed(['hello', 'hello'], {});
    expect(a).toHaveLength(64);
    expect(dot(a ?? [], b ?? [])).toBeCloseTo(1, 5);
    const sent = stub.requests.at(-1);
    expect(sent).toMatchObject({
      path: '/v1/embeddings',
      body: { model: 'text-embedding-3-small', input: ['hello', 'hello'], dimensions: 64 },
    });
    expect(sent?.headers.authorization).toBe('Bearer sk-user');
  });

  it('embeds with an in-cluster model server and no key', async () => {
    stub.behaviour.apiKey = undefined;
    const embedder = createEmbedder(
      { source: 'modelServer', model: 'bge-small', dimensions: 8, modelServerRef: { name: 'bge' }, endpoint: stub.url },
      { client: client() },
    );
    expect(embedder.id).toBe('modelServer:bge-small');
    expect((await embedder.embed(['x'], {}))[0]).toHaveLength(8);
    expect(stub.requests.at(-1)?.headers.authorization).toBeUndefined();
    stub.behaviour.apiKey = 'sk-user';
  });

  it('names the model and both sizes when the server returns another dimension', async () => {
    stub.behaviour.apiKey = undefined;
    // The stub returns 8 floats unless asked for more; bge is not known to shorten, so 16 is not asked for.
    const embedder = createEmbedder(
      { source: 'modelServer', model: 'bge-small', dimensions: 16, endpoint: stub.url },
      { client: client() },
    );
    await expect(embedder.embed(['x'], {})).rejects.toThrow(
      /"bge-small" returned 8-dimensional vectors, but memory.embedding.dimensions is 16/,
    );
    stub.behaviour.apiKey = 'sk-user';
  });

  it("passes the provider's own errors through (a wrong key is the user's to fix)", async () => {
    const embedder = createEmbedder(
      { source: 'provider', model: 'text-embedding-3-small' },
      { client: client(), provider: { kind: 'openai', baseURL: stub.url, apiKey: 'sk-wrong' } },
    );
    await expect(embedder.embed(['x'], {})).rejects.toMatchObject({ status: 401 });
  });

  it('times out a hanging server with its own deadline', async () => {
    stub.behaviour.hang = true;
    const embedder = createEmbedder(
      { source: 'provider', model: 'text-embedding-3-small' },
      { client: client(), provider: { kind: 'openai', baseURL: stub.url, apiKey: 'sk-user' }, timeoutMs: 100 },
    );
    await expect(embedder.embed(['x'], {})).rejects.toMatchObject({ code: 'timeout' });
    stub.behaviour.hang = false;
  });

  type Context = NonNullable<Parameters<typeof createEmbedder>[1]>;
  const refusals: [string, EmbeddingSettings, () => Context, RegExp][] = [
    [
      'provider without a client',
      { source: 'provider', model: 'text-embedding-3-small' },
      () => ({ provider: { kind: 'openai', baseURL: stub.url } }),
      /no provider client was given/,
    ],
    [
      "provider without the user's provider",
      { source: 'provider', model: 'text-embedding-3-small' },
      () => ({ client: client() }),
      /the user's provider is not known for this request/,
    ],
    [
      'provider that is Anthropic',
      { source: 'provider', model: 'voyage-3', dimensions: 1024 },
      () => ({ client: client(), provider: { kind: 'anthropic', baseURL: 'https://api.anthropic.com' } }),
      /Anthropic has no embeddings API/,
    ],
    [
      'modelServer without its endpoint',
      { source: 'modelServer', model: 'bge', dimensions: 8, modelServerRef: { name: 'bge' } },
      () => ({ client: client() }),
      /memory.embedding.endpoint \(ModelServer "bge"\) is missing/,
    ],
  ];

  it.each(refusals)('refuses a %s', (_name, settings, context, message) => {
    expect(() => createEmbedder(settings, context())).toThrow(message);
  });
});
