// upstreamSpans with tracing off (no SDK registered, as in a gateway without an OTLP endpoint):
// the call runs as is and its result or error passes through. The recording path, with the
// GenAI attributes and the traceparent, is covered by traces.test.ts.
import { describe, expect, it } from 'vitest';
import type { ProviderClient, ProviderTarget } from '../providers/provider-client.ts';
import { finishReasonsOf, upstreamSpans } from './upstream-span.ts';

const target = { kind: 'openai', providerName: 'openai', upstreamModel: 'gpt-4o-mini', baseURL: 'not a url' } as unknown as ProviderTarget;
const client = {} as ProviderClient;

describe('upstreamSpans without tracing', () => {
  it('runs the call with its own arguments and returns its result; finish is harmless', async () => {
    const spans = upstreamSpans('chat', 'gpt-4o-mini');
    const seen: unknown[] = [];
    const result = await spans.around((c, t) => {
      seen.push(c, t);
      return Promise.resolve({ response: { choices: [{ finish_reason: 'stop' }] } });
    })(client, target);
    expect(seen).toEqual([client, target]);
    expect(finishReasonsOf(result)).toEqual(['stop']);
    spans.chunk({ choices: [{ finish_reason: 'length' }] });
    expect(() => {
      spans.finish({ result });
    }).not.toThrow();
  });

  it('passes the call failure through unchanged', async () => {
    const failure = new Error('upstream said no');
    const spans = upstreamSpans('chat', 'gpt-4o-mini');
    await expect(spans.around(() => Promise.reject(failure))(client, target)).rejects.toBe(failure);
  });
});
