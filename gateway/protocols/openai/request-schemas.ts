// The OpenAI-dialect request bodies the gateway accepts, as TypeBox schemas: what the body checks
// enforce (protocols/body-check.ts) and what the OpenAPI document shows (gateway/openapi/). They
// describe the envelope; fields the gateway does not read pass through to the upstream untouched
// (providers add parameters faster than gateways do), except on /v1/responses, which refuses
// what it cannot serve. Property order is the order a body is checked in.
import Type from 'typebox';
import { endUserField, modelName, orNull, perpetualExtensions, says, saysOn } from '../schema-fields.ts';

export const MAX_MESSAGES = 4096;
/** As many prompts as embeddings take inputs: each is its own choice upstream. */
export const MAX_PROMPTS = 2048;
const MAX_EMBEDDING_INPUTS = 2048;
const MAX_RESPONSE_ID_LENGTH = 128;
const CHAT_ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'];
const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'];
const REASONING_SUMMARIES = ['auto', 'concise', 'detailed'];

const chatMessage = Type.Object(
  {
    role: Type.Enum(CHAT_ROLES, says(`{param} must be one of ${CHAT_ROLES.join(', ')}.`, 'invalid_message')),
    content: Type.Optional(
      Type.Union([Type.String(), Type.Array(Type.Unknown(), { description: 'Content parts (text, image_url, ...).' }), Type.Null()], {
        description: 'Null or absent only in an assistant message with tool_calls.',
        ...says('{param} must be a string or an array of content parts.', 'invalid_message'),
      }),
    ),
  },
  says('{param} must be an object with "role" and "content".', 'invalid_message'),
);

/** stream and stream_options, shared with legacy completions. */
const streaming = {
  stream: Type.Optional(
    Type.Boolean({ description: 'Answer as server-sent events.', ...says('"stream" must be true or false.', 'invalid_type') }),
  ),
  stream_options: orNull(
    Type.Object({ include_usage: Type.Optional(Type.Boolean()) }),
    says('"stream_options" must be an object.', 'invalid_type'),
  ),
};

const positiveTokens = (name: string, description: string) =>
  orNull(Type.Integer({ minimum: 1 }), { description, ...says(`"${name}" must be a positive integer.`, 'invalid_value') });

/** max_tokens, max_completion_tokens and temperature, shared with legacy completions. */
const sampling = {
  max_tokens: positiveTokens('max_tokens', 'The most tokens the answer may have.'),
  max_completion_tokens: positiveTokens('max_completion_tokens', 'The most tokens the answer may have, reasoning included.'),
  temperature: orNull(Type.Number({ minimum: 0, maximum: 2 }), says('"temperature" must be a number between 0 and 2.', 'invalid_value')),
};

export const ChatCompletionRequest = Type.Object(
  {
    model: modelName('A model this gateway serves (GET /v1/models).'),
    messages: Type.Array(chatMessage, {
      minItems: 1,
      maxItems: MAX_MESSAGES,
      ...says('"messages" must be a non-empty array.', 'invalid_messages'),
      ...saysOn('maxItems', `"messages" may hold at most ${String(MAX_MESSAGES)} messages.`, 'too_many_messages'),
    }),
    ...streaming,
    ...sampling,
    user: endUserField('The end user, for memory and usage (also x-perpetual-end-user).'),
    ...perpetualExtensions,
  },
  { title: 'ChatCompletionRequest', description: 'OpenAI Chat Completions; other OpenAI parameters pass through to the upstream.' },
);

const tokenIds = Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1 });
const PROMPT_SHAPES = `a string, an array of 1 to ${String(MAX_PROMPTS)} strings, an array of token ids, or an array of 1 to ${String(MAX_PROMPTS)} arrays of token ids`;

export const CompletionRequest = Type.Object(
  {
    model: modelName('A model of an OpenAI-compatible provider or a ModelServer.'),
    prompt: Type.Union(
      [
        Type.String(),
        tokenIds,
        Type.Array(Type.String(), { minItems: 1, maxItems: MAX_PROMPTS }),
        Type.Array(tokenIds, { minItems: 1, maxItems: MAX_PROMPTS }),
      ],
      {
        ...says(`"prompt" must be ${PROMPT_SHAPES}.`, 'invalid_prompt'),
        ...saysOn('required', `"prompt" must be ${PROMPT_SHAPES}.`, 'missing_prompt'),
      },
    ),
    ...streaming,
    ...sampling,
    conversation_id: perpetualExtensions.conversation_id,
  },
  { title: 'CompletionRequest', description: 'OpenAI legacy Completions (no memory); other parameters pass through.' },
);

export const EmbeddingsRequest = Type.Object(
  {
    model: modelName('An embedding model.'),
    input: Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.Unknown(), { minItems: 1, maxItems: MAX_EMBEDDING_INPUTS })], {
      description: 'A string, or a list of strings or token-id lists.',
      ...says(`"input" must be a non-empty string or an array of 1 to ${String(MAX_EMBEDDING_INPUTS)} inputs.`, 'invalid_input'),
    }),
  },
  { title: 'EmbeddingsRequest', description: 'OpenAI Embeddings; other parameters pass through.' },
);

const unsupported = (what: string) =>
  says(`{param}: ${what} is not supported by this gateway. Remove it and try again.`, 'unsupported_parameter');
const invalid = (problem: string, param?: string) => says(`{param}: ${problem}`, 'invalid_value', param);
const trueOrFalse = (description: string) =>
  Type.Optional(Type.Boolean({ description, ...says('{param}: must be true or false.', 'invalid_type') }));

const functionTool = Type.Object(
  {
    type: Type.Literal('function', unsupported('tool type {value} (only "function" tools are)')),
    name: Type.String({ minLength: 1, ...invalid("Field required: the function's name.") }),
    parameters: orNull(Type.Object({}), invalid('must be a JSON Schema object.')),
    description: orNull(Type.String(), invalid('must be a string.')),
    strict: orNull(Type.Boolean(), invalid('must be true or false.')),
  },
  invalid('must be a tool object.'),
);

const toolChoice = Type.Union(
  [
    Type.Enum(['none', 'auto', 'required']),
    Type.Object({
      type: Type.Literal('function', unsupported('tool choice {value}')),
      name: Type.String({ minLength: 1, ...invalid('Field required when type is "function".') }),
    }),
  ],
  invalid('must be "none", "auto", "required" or {"type": "function", "name": ...}.'),
);

const textFormat = orNull(
  Type.Object({
    type: Type.Enum(['text', 'json_object', 'json_schema'], invalid('must be "text", "json_object" or "json_schema".')),
    name: Type.Optional(Type.String({ description: 'Required for json_schema.' })),
    schema: Type.Optional(Type.Object({}, { description: 'Required for json_schema: a JSON Schema object.' })),
    strict: orNull(Type.Boolean(), invalid('must be true or false.')),
  }),
  invalid('must be an object with a "type".'),
);

/** Only null may stand in the options this gateway cannot honour. */
const noOtherOptions = (what: string) => ({ additionalProperties: Type.Null(unsupported(what)) });

export const ResponsesRequest = Type.Object(
  {
    model: modelName('A model this gateway serves (GET /v1/models).'),
    input: Type.Union([Type.String(), Type.Array(Type.Unknown(), { minItems: 1 })], {
      description: 'A string, or a list of input items (messages, function calls and their outputs).',
      ...invalid('must be a string or a non-empty array of input items.'),
    }),
    tools: Type.Optional(Type.Array(functionTool, invalid('must be an array of tools.'))),
    tool_choice: Type.Optional(toolChoice),
    text: Type.Optional(Type.Object({ format: textFormat }, { ...invalid('must be an object.'), ...noOtherOptions('this text option') })),
    reasoning: Type.Optional(
      Type.Object(
        {
          effort: orNull(Type.Enum(REASONING_EFFORTS), invalid(`must be one of ${REASONING_EFFORTS.join(', ')}.`)),
          summary: orNull(Type.Enum(REASONING_SUMMARIES), invalid(`must be one of ${REASONING_SUMMARIES.join(', ')}.`)),
        },
        { ...invalid('must be an object.'), ...noOtherOptions('this reasoning option') },
      ),
    ),
    metadata: Type.Optional(
      Type.Object(
        {},
        {
          description: "OpenAI's limits: 16 keys of at most 64 characters, string values of at most 512.",
          maxProperties: 16,
          propertyNames: { maxLength: 64 },
          additionalProperties: Type.String({ maxLength: 512, ...invalid('must be a string of at most 512 characters.') }),
          ...invalid('must be an object of string values.'),
          ...saysOn('maxProperties', '{param}: may hold at most 16 keys.'),
          ...saysOn('propertyNames', '{param}: keys may be at most 64 characters.'),
        },
      ),
    ),
    max_output_tokens: Type.Optional(Type.Integer({ minimum: 1, ...invalid('must be a positive integer.') })),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2, ...invalid('must be a number from 0 to 2.') })),
    top_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1, ...invalid('must be a number from 0 to 1.') })),
    stream: trueOrFalse('Answer as server-sent events.'),
    store: trueOrFalse('Keep the response for GET, input_items and previous_response_id (default true).'),
    parallel_tool_calls: trueOrFalse('Let the model call several tools at once.'),
    instructions: Type.Optional(Type.String({ description: 'A system message.', ...unsupported('instructions other than a string') })),
    previous_response_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_RESPONSE_ID_LENGTH,
        description: 'Continue from a stored response.',
        ...invalid(`must be the id of a stored response (a string of at most ${String(MAX_RESPONSE_ID_LENGTH)} characters).`),
      }),
    ),
    truncation: Type.Optional(Type.Literal('disabled', unsupported('truncation {value} (only "disabled" is)'))),
    include: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 0, ...unsupported('including extra output') })),
    user: endUserField('The end user, for memory and usage (also x-perpetual-end-user).'),
    safety_identifier: endUserField("The end user, when `user` is not given (OpenAI's newer name)."),
    ...perpetualExtensions,
  },
  {
    title: 'ResponsesRequest',
    description: 'OpenAI Responses. Null fields count as absent; a parameter this gateway cannot serve is refused by name.',
    additionalProperties: false,
    ...saysOn(
      'additionalProperties',
      '{param}: this parameter is not supported by this gateway. Remove it and try again.',
      'unsupported_parameter',
    ),
  },
);
