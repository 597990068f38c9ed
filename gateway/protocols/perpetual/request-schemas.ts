// Perpetual's own request bodies (users, tiers, API keys, provider keys, memory search) as TypeBox
// schemas: what the routes check before anything is written, and what the OpenAPI document shows.
// What JSON Schema cannot say stays in the route: control characters in a label
// (routes/text-field.ts), an expiry in the future (keys/key-request.ts), a provider name once
// trimmed and lower-cased.
import Type, { type TSchema } from 'typebox';
import { TIERS } from '../../config.ts';
import { ENDPOINTS } from '../../keys/scopes.ts';
import { MAX_GRACE_SECONDS } from '../../keys/key-request.ts';
import { MAX_BUDGET_USD, MAX_TOKEN_LIMIT } from '../../../operator/api/v1alpha1/gateway-config.ts';
import { says, saysOn } from '../schema-fields.ts';

/** RFC 5321's limit on a forward path. */
export const EMAIL_MAX_LENGTH = 254;
const EMAIL_PATTERN = '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$';
const TIER_NAME_PATTERN = '^[a-z][a-z0-9_-]{0,31}$';
export const KEY_NAME_MAX_LENGTH = 100;
const MAX_QUERY_CHARS = 8000;

const tier = Type.String({
  pattern: TIER_NAME_PATTERN,
  description: `${TIERS.join(', ')}, or another tier the gateway configuration names.`,
  ...says(`"tier" must be ${TIERS.join(', ')} or another lowercase tier name.`, 'invalid_tier'),
});

/** A short label (routes/text-field.ts checks its characters). */
const label = (name: string, maxLength: number, description: string) =>
  Type.String({
    maxLength,
    description,
    ...says(`"${name}" must be a string.`),
    ...saysOn('maxLength', `"${name}" must be at most ${String(maxLength)} characters (got {length}).`),
  });

export const CreateUserRequest = Type.Object(
  {
    email: Type.String({
      maxLength: EMAIL_MAX_LENGTH,
      pattern: EMAIL_PATTERN,
      description: 'Unique among users.',
      ...says('"email" must be a string.'),
      ...saysOn('maxLength', `"email" must be at most ${String(EMAIL_MAX_LENGTH)} characters (got {length}).`),
      ...saysOn('pattern', '"email" must be an email address.', 'invalid_email'),
    }),
    tier: Type.Optional(tier),
  },
  { title: 'CreateUserRequest', description: 'A new user; tier free unless named.' },
);

export const UpdateUserRequest = Type.Object({ tier }, { title: 'UpdateUserRequest', description: "Changes the user's tier." });

const listOf = (name: string, item: TSchema, what: string) =>
  Type.Optional(
    Type.Array(item, { minItems: 1, maxItems: 100, ...says(`"${name}" must be a list of 1 to 100 ${what}.`, 'invalid_scope') }),
  );

const KeyScopes = Type.Object(
  {
    models: listOf('scopes.models', Type.String({ minLength: 1, maxLength: 200 }), 'model names'),
    endpoints: listOf('scopes.endpoints', Type.Enum([...ENDPOINTS]), `endpoints among ${ENDPOINTS.join(', ')}`),
    memory: Type.Optional(
      Type.Boolean({ description: 'false: memory off for this key.', ...says('"scopes.memory" must be true or false.', 'invalid_scope') }),
    ),
    max_tier: Type.Optional(
      Type.Enum([...TIERS], {
        description: 'The highest tier whose limits the key gets.',
        ...says(`"scopes.max_tier" must be one of ${TIERS.join(', ')}.`, 'invalid_scope'),
      }),
    ),
  },
  {
    title: 'KeyScopes',
    description: "What the key may reach within its user's rights; absent: no restriction.",
    additionalProperties: false,
    ...says('"scopes" must be an object with any of: models, endpoints, memory, max_tier.', 'invalid_scope'),
    ...saysOn('additionalProperties', '"{param}" is not a scope; use models, endpoints, memory or max_tier.', 'invalid_scope'),
  },
);

export const CreateKeyRequest = Type.Object(
  {
    name: Type.Optional(Type.Union([label('name', KEY_NAME_MAX_LENGTH, 'A label for the key.'), Type.Null()])),
    expires_at: Type.Optional(
      Type.Union([Type.String({ description: 'An ISO 8601 time within five years.' }), Type.Null()], {
        ...says('"expires_at" must be an ISO 8601 time, e.g. "2027-01-31T00:00:00Z".', 'invalid_expiry'),
      }),
    ),
    expires_in_seconds: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, description: 'Instead of expires_at.' }), Type.Null()], {
        ...says('"expires_in_seconds" must be a positive whole number of seconds.', 'invalid_expiry'),
      }),
    ),
    scopes: Type.Optional(Type.Union([KeyScopes, Type.Null()])),
  },
  { title: 'CreateKeyRequest', description: 'A new API key, shown once in the answer.' },
);

export const RotateKeyRequest = Type.Object(
  {
    grace_seconds: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0, maximum: MAX_GRACE_SECONDS }), Type.Null()], {
        description: 'How long the old key keeps working (default 24 hours).',
        ...says(`"grace_seconds" must be a whole number of seconds from 0 to ${String(MAX_GRACE_SECONDS)} (30 days).`, 'invalid_grace'),
      }),
    ),
  },
  { title: 'RotateKeyRequest', description: 'A replacement with the same name, limits, expiry and scopes.' },
);

const PROVIDER = '"provider" must be a provider name such as openai, anthropic, groq, together or mistral.';

export const AddProviderKeyRequest = Type.Object(
  {
    provider: Type.String({
      minLength: 2,
      maxLength: 64,
      description: 'openai, anthropic, groq, ...',
      ...says(PROVIDER, 'invalid_provider'),
    }),
    api_key: Type.String({
      minLength: 8,
      maxLength: 4096,
      description: "The provider's API key: stored encrypted, never shown again.",
      ...says('"api_key" must be the provider API key: 8 to 4096 characters, no spaces.', 'invalid_api_key_value'),
    }),
  },
  { title: 'AddProviderKeyRequest', description: 'Your own key for one provider (BYOK).' },
);

export const MemorySearchRequest = Type.Object(
  {
    query: Type.String({
      minLength: 1,
      maxLength: MAX_QUERY_CHARS,
      description: 'The text to search for.',
      ...says('"query" is required: the text to search your memories for.', 'missing_query'),
      ...saysOn('maxLength', `"query" may be at most ${String(MAX_QUERY_CHARS)} characters.`, 'query_too_long'),
    }),
    top_k: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: 50 }), Type.String()], {
        description: 'How many memories (1 to 50).',
        ...says('"top_k" must be an integer from 1 to 50.'),
      }),
    ),
    conversation_id: Type.Optional(
      Type.String({
        maxLength: 256,
        description: "Only this conversation's.",
        ...says('"conversation_id" must be a string of at most 256 characters.'),
      }),
    ),
    end_user: Type.Optional(
      Type.Union([Type.String(), Type.Null()], { description: "An end user's memories (also x-perpetual-end-user)." }),
    ),
  },
  { title: 'MemorySearchRequest', description: 'Semantic and lexical search of your memories.' },
);

const dollars = (name: string, description: string) =>
  Type.Optional(
    Type.Union([Type.Number({ minimum: 0, maximum: MAX_BUDGET_USD }), Type.Null()], {
      description: `${description} (US dollars; null removes it).`,
      ...says(`"${name}" must be a number of US dollars from 0 to ${String(MAX_BUDGET_USD)}, or null to remove it.`),
    }),
  );
const tokens = (name: string, description: string) =>
  Type.Optional(
    Type.Union([Type.Integer({ minimum: 1, maximum: MAX_TOKEN_LIMIT }), Type.Null()], {
      description: `${description} (null removes it).`,
      ...says(`"${name}" must be a whole number of tokens from 1 to ${String(MAX_TOKEN_LIMIT)}, or null to remove it.`),
    }),
  );

const limitFields = {
  daily_usd: dollars('daily_usd', 'Spend allowed per UTC day'),
  monthly_usd: dollars('monthly_usd', 'Spend allowed per calendar month'),
  lifetime_usd: dollars('lifetime_usd', 'Spend allowed in all'),
  tokens_per_minute: tokens('tokens_per_minute', 'Tokens per minute'),
  tokens_per_day: tokens('tokens_per_day', 'Tokens per day'),
};
const LIMIT_FIELDS_LIST = Object.keys(limitFields).join(', ');

/**
 * PATCH /admin/users/{id}/limits and .../keys/{keyId}/limits: checked against this schema
 * (budget/limit-changes.ts), at least one field, no other. The bounds are the CRD's for tier
 * defaults, so a value the API server would refuse in spec.tiers is refused here.
 */
export const LimitsPatchRequest = Type.Object(limitFields, {
  title: 'LimitsPatchRequest',
  description: "Overrides of the tier's budgets and token limits; a field left out keeps its value.",
  additionalProperties: false,
  minProperties: 1,
  ...saysOn('type', `The body must be a JSON object with any of ${LIMIT_FIELDS_LIST}.`),
  ...saysOn('additionalProperties', `Unknown field "{param}": expected any of ${LIMIT_FIELDS_LIST}.`, 'unknown_field'),
  ...saysOn('minProperties', `Nothing to change: give any of ${LIMIT_FIELDS_LIST} (null removes one).`),
});
