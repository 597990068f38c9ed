// Per-key scopes: what one API key may reach within what its user may. A key for a CI job can be
// held to one model and one endpoint, a key for a shared notebook kept away from the user's
// memories, a key handed to a contractor held to a lower tier. No scopes (null) means no
// restriction beyond the user's own. Parsed once when a key is issued (a 400 naming the field),
// checked on every request from the cached key record (no database round trip).
import { TIERS } from '../config.ts';
import { badRequest } from '../errors.ts';
import { isObject } from '../json-object.ts';

export interface KeyScopes {
  /** Model names the key may ask for; absent: any. */
  models?: string[];
  /** Endpoints the key may call (see ENDPOINTS); absent: any. */
  endpoints?: string[];
  /** false: memory is off for every request of this key and /memories is closed to it. */
  memory?: boolean;
  /** The highest tier whose limits the key gets, whatever its user's tier. */
  max_tier?: string;
}

/** The API's endpoints as a scope names them: the path under the API prefix, or its first segment. */
export const ENDPOINTS = [
  '/chat/completions',
  '/completions',
  '/embeddings',
  '/responses',
  '/messages',
  '/messages/count_tokens',
  '/models',
  '/usage',
  '/provider-keys',
  '/memories',
] as const;

const FIELDS = ['models', 'endpoints', 'memory', 'max_tier'];
const MAX_MODELS = 100;
const MODEL_NAME_MAX = 200;

function stringList(value: unknown, param: string, check: (item: string) => boolean, what: string): string[] {
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.length > MAX_MODELS ||
    !value.every((item): item is string => typeof item === 'string' && check(item))
  ) {
    throw badRequest(`"${param}" must be a list of 1 to ${MAX_MODELS} ${what}.`, 'invalid_scope', param);
  }
  return [...new Set(value)];
}

/** The `scopes` of a key-issuing request; null when absent. Unknown fields and values are refused by name. */
export function parseScopes(value: unknown): KeyScopes | null {
  if (value === undefined || value === null) return null;
  if (!isObject(value))
    throw badRequest('"scopes" must be an object with any of: models, endpoints, memory, max_tier.', 'invalid_scope', 'scopes');
  const unknown = Object.keys(value).find((field) => !FIELDS.includes(field));
  if (unknown !== undefined)
    throw badRequest(
      `"scopes.${unknown}" is not a scope; use models, endpoints, memory or max_tier.`,
      'invalid_scope',
      `scopes.${unknown}`,
    );
  const scopes: KeyScopes = {};
  if (value.models !== undefined) {
    scopes.models = stringList(value.models, 'scopes.models', (m) => m.length > 0 && m.length <= MODEL_NAME_MAX, 'model names');
  }
  if (value.endpoints !== undefined) {
    scopes.endpoints = stringList(
      value.endpoints,
      'scopes.endpoints',
      (e) => (ENDPOINTS as readonly string[]).includes(e),
      `endpoints among ${ENDPOINTS.join(', ')}`,
    );
  }
  if (value.memory !== undefined) {
    if (typeof value.memory !== 'boolean') throw badRequest('"scopes.memory" must be true or false.', 'invalid_scope', 'scopes.memory');
    scopes.memory = value.memory;
  }
  if (value.max_tier !== undefined) {
    if (typeof value.max_tier !== 'string' || !(TIERS as readonly string[]).includes(value.max_tier)) {
      throw badRequest(`"scopes.max_tier" must be one of ${TIERS.join(', ')}.`, 'invalid_scope', 'scopes.max_tier');
    }
    scopes.max_tier = value.max_tier;
  }
  return scopes;
}

/** The endpoint a request path (under the API prefix) belongs to: the longest that matches. */
export function endpointOf(path: string): string | undefined {
  let best: string | undefined;
  for (const endpoint of ENDPOINTS) {
    if ((path === endpoint || path.startsWith(`${endpoint}/`)) && (best === undefined || endpoint.length > best.length)) best = endpoint;
  }
  return best;
}

/**
 * Why this request is outside the key's scopes, naming the scope; undefined when it is inside.
 * `/messages/count_tokens` is reachable with a `/messages` scope (it is part of the Messages API).
 */
export function scopeRefusal(scopes: KeyScopes | null, request: { endpoint: string | undefined; model: unknown }): string | undefined {
  if (!scopes) return undefined;
  const { endpoint, model } = request;
  if (
    scopes.endpoints &&
    !(
      endpoint &&
      (scopes.endpoints.includes(endpoint) || (endpoint === '/messages/count_tokens' && scopes.endpoints.includes('/messages')))
    )
  ) {
    return `This API key may not call ${endpoint ?? 'this endpoint'}: its scope "endpoints" allows ${scopes.endpoints.join(', ')}.`;
  }
  if (scopes.memory === false && endpoint === '/memories') return 'This API key may not use memories: its scope "memory" is off.';
  if (scopes.models && typeof model === 'string' && !scopes.models.includes(model)) {
    return `This API key may not use the model "${model}": its scope "models" allows ${scopes.models.join(', ')}.`;
  }
  return undefined;
}

/** The tier a key acts with: its user's, lowered to the scope's max_tier where that is lower. */
export function scopedTier(userTier: string, scopes: KeyScopes | null): string {
  const max = scopes?.max_tier;
  if (max === undefined) return userTier;
  const rank = (tier: string): number => (TIERS as readonly string[]).indexOf(tier);
  // A tier outside the known ones has no rank: the cap applies, as it is the one thing known.
  return rank(userTier) >= 0 && rank(userTier) <= rank(max) ? userTier : max;
}
