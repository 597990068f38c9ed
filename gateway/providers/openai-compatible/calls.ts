// How the OpenAI-compatible client addresses its upstream: the URL, the bearer key and the labels
// for error messages of one call, and the JSON object an answer must be.
import { providerLabel } from '../provider-client.ts';
import type { ProviderTarget } from '../provider-client.ts';
import { upstreamProtocolError } from '../transport/upstream-errors.ts';
import { joinUrl } from '../transport/upstream-http.ts';
import type { UpstreamCall, UpstreamResponse } from '../transport/upstream-http.ts';
import { isObject } from '../../json-object.ts';

function authHeaders(target: ProviderTarget): Record<string, string> {
  return { ...target.headers, ...(target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {}) };
}

export interface CallSpec {
  target: ProviderTarget;
  path: string;
  body: unknown;
  signal: AbortSignal;
  /** The client's model name. */
  model: string;
}

export function call({ target, path, body, signal, model }: CallSpec): UpstreamCall {
  return {
    url: joinUrl(target.baseURL, path),
    headers: authHeaders(target),
    body,
    signal,
    provider: providerLabel(target),
    secrets: target.apiKey ? [target.apiKey] : [],
    model,
  };
}

export async function readJson(res: UpstreamResponse, provider: string): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(await res.body.text());
  } catch {
    throw upstreamProtocolError(provider, 'the body is not JSON');
  }
  if (!isObject(value)) throw upstreamProtocolError(provider, 'the body is not an object');
  return value;
}
