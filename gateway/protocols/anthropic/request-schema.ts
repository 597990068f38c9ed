// The Anthropic Messages request bodies (POST /v1/messages and /v1/messages/count_tokens) as
// TypeBox schemas: what the body check enforces, in Anthropic's words ("messages.0.role: ..."),
// and what the OpenAPI document shows. Only the envelope: content blocks are checked field by
// field as they are translated (ingress/request.ts). Unknown top-level fields are ignored: SDKs
// add parameters over time. Property order is the order a body is checked in.
import Type from 'typebox';
import { MAX_MESSAGES } from '../openai/request-schemas.ts';
import { modelName, says, saysOn } from '../schema-fields.ts';

const block = Type.Object(
  { type: Type.String({ description: 'text, image, document, tool_use, tool_result, thinking, ...' }) },
  says('{param}: must be a content block object with a "type".', 'invalid_content_block'),
);

const message = Type.Object(
  {
    role: Type.Enum(
      ['user', 'assistant'],
      says('{param}: must be "user" or "assistant"; instructions go in the top-level "system" parameter.', 'invalid_message'),
    ),
    content: Type.Union([Type.String(), Type.Array(block)], {
      description: 'Empty only in a final assistant turn the model is to continue.',
      ...says('{param}: must be a string or an array of content blocks.', 'invalid_message'),
    }),
  },
  says('{param}: must be an object with "role" and "content".', 'invalid_message'),
);

const tool = Type.Object(
  {
    type: Type.Optional(
      Type.Union([Type.Literal('custom'), Type.Null()], {
        description: 'Server tools (web search, code execution, ...) run inside Anthropic and are refused.',
        ...says(
          '{parent}: tool type {value} is not supported by this gateway; only custom tools with "name" and "input_schema" are.',
          'unsupported_parameter',
          '{parent}',
        ),
      }),
    ),
    name: Type.String({ minLength: 1, ...says('{param}: Field required.', 'invalid_tool') }),
    input_schema: Type.Object({}, says('{param}: must be a JSON Schema object.', 'invalid_tool')),
  },
  says('{param}: must be a tool object.', 'invalid_tool'),
);

/** Fields both endpoints take, in check order around max_tokens and the sampling parameters. */
const prompt = {
  messages: Type.Array(message, {
    minItems: 1,
    maxItems: MAX_MESSAGES,
    description: 'Alternating user and assistant turns, the first a user turn.',
    ...says('messages: must be a non-empty array of user and assistant messages.', 'invalid_messages'),
    ...saysOn('maxItems', `messages: at most ${String(MAX_MESSAGES)} messages are allowed.`, 'too_many_messages'),
  }),
  system: Type.Optional(
    Type.Union([Type.String(), Type.Array(Type.Object({ type: Type.Literal('text'), text: Type.String() }))], {
      description: 'System instructions.',
      ...says('system: must be a string or an array of text blocks.'),
    }),
  ),
};

const tooling = {
  tools: Type.Optional(Type.Array(tool, says('tools: must be an array of tools.'))),
  tool_choice: Type.Optional(
    Type.Object(
      {
        type: Type.Enum(['auto', 'any', 'tool', 'none']),
        name: Type.Optional(Type.String({ description: 'Required when type is "tool".' })),
      },
      says('tool_choice.type: must be one of "auto", "any", "tool", "none".', 'invalid_value', 'tool_choice'),
    ),
  ),
};

const unitInterval = (name: string) =>
  Type.Optional(Type.Number({ minimum: 0, maximum: 1, ...says(`${name}: must be a number from 0 to 1.`) }));

export const MessagesRequest = Type.Object(
  {
    model: modelName('A model this gateway serves, e.g. "claude-sonnet-4-5" (GET /v1/models).'),
    max_tokens: Type.Integer({
      minimum: 1,
      description: 'The most tokens the reply may have.',
      ...says('max_tokens: must be a positive integer.'),
      ...saysOn(
        'required',
        'max_tokens: Field required. Send the most tokens the reply may have, a positive integer.',
        'missing_max_tokens',
      ),
    }),
    ...prompt,
    temperature: unitInterval('temperature'),
    top_p: unitInterval('top_p'),
    top_k: Type.Optional(Type.Integer({ minimum: 0, ...says('top_k: must be a non-negative integer.') })),
    stop_sequences: Type.Optional(Type.Array(Type.String(), says('stop_sequences: must be an array of strings.'))),
    stream: Type.Optional(
      Type.Boolean({ description: 'Answer as server-sent events.', ...says('stream: must be true or false.', 'invalid_type') }),
    ),
    metadata: Type.Optional(
      Type.Object(
        {
          user_id: Type.Optional(
            Type.Union([Type.String(), Type.Null()], { description: 'The end user, for memory and usage (also x-perpetual-end-user).' }),
          ),
        },
        says('metadata: must be an object whose "user_id" is a string.', 'invalid_value', 'metadata'),
      ),
    ),
    ...tooling,
  },
  { title: 'MessagesRequest', description: 'Anthropic Messages; other parameters are ignored or passed on where the upstream takes them.' },
);

export const CountTokensRequest = Type.Object(
  {
    model: modelName('A model this gateway serves.'),
    ...prompt,
    ...tooling,
  },
  { title: 'CountTokensRequest', description: 'The prompt side of a Messages request, without max_tokens.' },
);
