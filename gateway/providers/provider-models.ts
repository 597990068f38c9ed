// Which models a provider key can reach, asked of the provider itself: GET {baseURL}/models for
// OpenAI-compatible APIs, GET /v1/models for Anthropic. Used by GET /v1/models to show users what
// their own keys unlock. A failure says which provider and what status, never the key nor the
// provider's error body (some providers echo the key they refused).
import type { ProviderKind } from './provider-client.ts';
import { joinUrl } from './transport/upstream-http.ts';
import { ANTHROPIC_VERSION } from './anthropic/provider.ts';

export interface ModelsSource {
  kind: ProviderKind;
  /** The provider's name, for messages. */
  provider: string;
  /** In the official SDK's convention (see ProviderTarget.baseURL). */
  baseURL: string;
  apiKey: string;
}

/** Lists the model ids a key can use; rejects on any failure (including the signal's abort). */
export type ListModels = (source: ModelsSource, signal: AbortSignal) => Promise<string[]>;

function requestFor(source: ModelsSource): { url: string; headers: Record<string, string> } {
  if (source.kind === 'anthropic') {
    // One page of the largest size: far more models than Anthropic has.
    return {
      url: joinUrl(source.baseURL, '/v1/models?limit=1000'),
      headers: { 'x-api-key': source.apiKey, 'anthropic-version': ANTHROPIC_VERSION },
    };
  }
  return { url: joinUrl(source.baseURL, '/models'), headers: { authorization: `Bearer ${source.apiKey}` } };
}

/** The ids in a models list, in either provider's shape ({data: [{id}]}); throws when there are none to read. */
export function modelIdsFrom(body: unknown): string[] {
  const data = typeof body === 'object' && body !== null ? (body as { data?: unknown }).data : undefined;
  if (!Array.isArray(data)) throw new Error('the models list has no data');
  return data.flatMap((item: unknown) => {
    const id = typeof item === 'object' && item !== null ? (item as { id?: unknown }).id : undefined;
    return typeof id === 'string' ? [id] : [];
  });
}

export const listProviderModels: ListModels = async (source, signal) => {
  const { url, headers } = requestFor(source);
  let res: Response;
  try {
    res = await fetch(url, { headers: { ...headers, accept: 'application/json' }, signal });
  } catch {
    throw new Error(`Cannot reach ${source.provider} to list its models${signal.aborted ? ' in time' : ''}.`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`${source.provider} answered ${String(res.status)} to the models list.`);
  }
  try {
    return modelIdsFrom(await res.json());
  } catch {
    throw new Error(`${source.provider} sent a models list that is not one.`);
  }
};
