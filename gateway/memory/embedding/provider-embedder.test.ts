// The provider embedder against a scripted ProviderClient: batching, order, checks, deadline.
// embedder-from-settings.test.ts runs it over real HTTP against the OpenAI stub.
import { describe, expect, it } from 'vitest';
import type { EmbeddingsResult, ProviderClient, ProviderTarget } from '../../providers/provider-client.ts';
import type { Embedding, EmbeddingsRequest } from '../../protocols/openai/types.ts';
import type { EmbeddingUsage } from './embedder.ts';
import { EmbeddingError } from './embedding-error.ts';
import { createProviderEmbedder } from './provider-embedder.ts';
import type { ProviderEmbedderOptions } from './provider-embedder.ts';
import { dot } from './vector.ts';

const target: ProviderTarget = {
  kind: 'openai',
  baseURL: 'http://127.0.0.1:1/v1',
  apiKey: 'sk-user',
  upstreamModel: 'text-embedding-3-small',
};

interface Call {
  req: EmbeddingsRequest;
  target: ProviderTarget;
  signal: AbortSignal;
}

type Answer = (req: EmbeddingsRequest, signal: AbortSignal) => Promise<Embedding[]> | Embedding[];

/** A vector of `dimension` whose first component encodes the input text's length (so order is checkable). */
function vectorFor(text: string, dimension: number): number[] {
  return Array.from({ length: dimension }, (_, i) => (i === 0 ? text.length : 1));
}

const echo =
  (dimension: number): Answer =>
  (req) =>
    (req.input as string[]).map((text, index) => ({ object: 'embedding', index, embedding: vectorFor(text, dimension) }));

function fakeClient(answer: Answer): { client: ProviderClient; calls: Call[] } {
  const calls: Call[] = [];
  const unused = (): never => {
    throw new Error('not used');
  };
  const client: ProviderClient = {
    chat: unused,
    chatStream: unused,
    async embeddings(req, t, signal): Promise<EmbeddingsResult> {
      calls.push({ req, target: t, signal });
      const data = await answer(req, signal);
      return {
        response: { object: 'list', data, model: req.model, usage: { prompt_tokens: 3, total_tokens: 3 } },
        usage: { prompt_tokens: 3, completion_tokens: 0, total_tokens: 3 },
        usageEstimated: false,
        upstreamRequestId: undefined,
      };
    },
  };
  return { client, calls };
}

function embedderWith(answer: Answer, options: Partial<ProviderEmbedderOptions> = {}) {
  const { client, calls } = fakeClient(answer);
  const embedder = createProviderEmbedder({ client, target, id: 'provider:text-embedding-3-small', dimension: 4, ...options });
  return { embedder, calls };
}

describe('provider embedder', () => {
  it('sends batches of texts with the upstream model, in order, and returns unit vectors', async () => {
    const { embedder, calls } = embedderWith(echo(4), { batchSize: 2 });
    const texts = ['a', 'bb', 'ccc', 'dddd', 'eeeee'];
    const vectors = await embedder.embed(texts, {});
    expect(calls.map((c) => c.req.input)).toEqual([['a', 'bb'], ['ccc', 'dddd'], ['eeeee']]);
    expect(calls[0]?.req).toMatchObject({ model: 'text-embedding-3-small', encoding_format: 'float' });
    expect(calls[0]?.req).not.toHaveProperty('dimensions');
    expect(calls[0]?.target).toBe(target);
    expect(vectors).toHaveLength(5);
    vectors.forEach((v, i) => {
      expect(dot(v, v)).toBeCloseTo(1, 5);
      // The first component, once normalised, still orders by the text's length.
      if (i > 0) expect(v[0]).toBeGreaterThan(vectors[i - 1]?.[0] ?? 1);
    });
    expect(embedder).toMatchObject({ id: 'provider:text-embedding-3-small', dimension: 4 });
  });

  it('puts vectors back in input order when the provider answers out of order', async () => {
    const { embedder } = embedderWith(echo(4));
    const shuffled = embedderWith(async (req) => [...(await echo(4)(req, new AbortController().signal))].reverse()).embedder;
    expect(await shuffled.embed(['x', 'yyyy'], {})).toEqual(await embedder.embed(['x', 'yyyy'], {}));
  });

  it('decodes base64 float32 vectors', async () => {
    const base64 = (values: number[]): string => Buffer.from(new Float32Array(values).buffer).toString('base64');
    const { embedder } = embedderWith((req) =>
      (req.input as string[]).map((_, index) => ({ object: 'embedding', index, embedding: base64([0, 3, 0, 4]) })),
    );
    const [v] = await embedder.embed(['x'], {});
    expect(Array.from(v ?? [])).toEqual([0, expect.closeTo(0.6, 6), 0, expect.closeTo(0.8, 6)]);
  });

  it('keeps blank texts out of the request and gives them the zero vector', async () => {
    const { embedder, calls } = embedderWith(echo(4));
    const vectors = await embedder.embed(['', 'real', '   '], {});
    expect(calls.map((c) => c.req.input)).toEqual([['real']]);
    expect(Array.from(vectors[0] ?? [])).toEqual([0, 0, 0, 0]);
    expect(dot(vectors[1] ?? [], vectors[1] ?? [])).toBeCloseTo(1, 5);
    expect(Array.from(vectors[2] ?? [])).toEqual([0, 0, 0, 0]);
    expect(await embedder.embed([], {})).toEqual([]);
  });

  it('asks for shortened vectors only when told to', async () => {
    const { embedder, calls } = embedderWith(echo(4), { requestDimensions: true });
    await embedder.embed(['x'], {});
    expect(calls[0]?.req.dimensions).toBe(4);
  });

  it('reports usage per upstream call', async () => {
    const { embedder } = embedderWith(echo(4), { batchSize: 1 });
    const usage: EmbeddingUsage[] = [];
    await embedder.embed(['a', 'b'], { onUsage: (u) => usage.push(u) });
    expect(usage).toEqual([
      { promptTokens: 3, estimated: false },
      { promptTokens: 3, estimated: false },
    ]);
  });

  it('rejects vectors of another dimension, naming the model and both sizes', async () => {
    const { embedder } = embedderWith(echo(3));
    const err = await embedder.embed(['x'], {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmbeddingError);
    expect(err).toMatchObject({ code: 'dimension_mismatch' });
    expect((err as Error).message).toMatch(/"text-embedding-3-small" returned 3-dimensional vectors, but memory.embedding.dimensions is 4/);
  });

  it('rejects missing and non-finite vectors', async () => {
    const missing = embedderWith(() => []).embedder;
    await expect(missing.embed(['x'], {})).rejects.toMatchObject({
      code: 'bad_response',
      message: expect.stringMatching(/fewer vectors than texts/) as unknown,
    });
    const nan = embedderWith((req) =>
      (req.input as string[]).map((_, index) => ({ object: 'embedding', index, embedding: [1, Number.NaN, 0, 0] })),
    ).embedder;
    await expect(nan.embed(['x'], {})).rejects.toMatchObject({ code: 'bad_response' });
  });

  function hanging(): Answer {
    return (_req, signal) =>
      new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => {
          reject(new Error('aborted upstream'));
        });
      });
  }

  it('gives up at its own deadline with a timeout error', async () => {
    const { embedder } = embedderWith(hanging(), { timeoutMs: 20 });
    const err = await embedder.embed(['x'], {}).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'timeout', message: 'Embedding model "text-embedding-3-small" did not answer within 20 ms.' });
  });

  it("passes the caller's abort through as the caller's error, not a timeout", async () => {
    const { embedder, calls } = embedderWith(hanging(), { timeoutMs: 10_000 });
    const controller = new AbortController();
    const pending = embedder.embed(['x'], { signal: controller.signal });
    await Promise.resolve();
    controller.abort();
    await expect(pending).rejects.toThrow('aborted upstream');
    expect(calls[0]?.signal.aborted).toBe(true);
  });
});
