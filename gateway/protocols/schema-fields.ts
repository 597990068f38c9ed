// Fields several request schemas share, with the words their 400s use (see body-check.ts for the
// annotations). The model name's pattern and bound are the gateway's own (chat/model-name.ts).
import Type, { type TSchema } from 'typebox';
import { MODEL_NAME_MAX_LENGTH, MODEL_NAME_PATTERN } from '../chat/model-name.ts';
import type { ErrorText } from './body-check.ts';

/** The annotation of a field's 400: `{ 'x-error': ... }`, or for one keyword only `{ 'x-error-<keyword>': ... }`. */
export function says(message: string, code = 'invalid_value', param?: string): { 'x-error': ErrorText } {
  return { 'x-error': { message, code, ...(param === undefined ? {} : { param }) } };
}

export function saysOn(keyword: string, message: string, code = 'invalid_value'): Record<string, ErrorText> {
  return { [`x-error-${keyword}`]: { message, code } };
}

export function modelName(description: string): TSchema {
  return Type.String({
    description,
    minLength: 1,
    maxLength: MODEL_NAME_MAX_LENGTH,
    pattern: MODEL_NAME_PATTERN,
    'x-model-name': true,
  });
}

/** OpenAI's optional parameters take null as absent. */
export function orNull(schema: TSchema, options: Record<string, unknown> = {}): TSchema {
  return Type.Optional(Type.Union([schema, Type.Null()], options));
}

/** Perpetual's own request fields, in either dialect: the conversation and the memory options (chat/validate-request.ts takeExtensions). */
export const perpetualExtensions = {
  conversation_id: Type.Optional(
    Type.Union([Type.String({ minLength: 1, maxLength: 256 }), Type.Null()], {
      description:
        'Perpetual: the conversation this request belongs to (also the x-conversation-id header). Tags usage rows and memories, pins a ModelServer replica.',
      ...says('The conversation id must be 1 to 256 characters.', 'invalid_value', 'conversation_id'),
    }),
  ),
  memory: Type.Optional(
    Type.Union(
      [
        Type.Boolean(),
        Type.String({ description: 'on/off, true/false or 1/0' }),
        Type.Null(),
        Type.Object({
          enabled: Type.Optional(Type.Union([Type.Boolean(), Type.String(), Type.Null()])),
          top_k: Type.Optional(
            Type.Union([Type.Integer({ minimum: 0, maximum: 50 }), Type.String(), Type.Null()], {
              description: 'How many memories to recall (0 to 50).',
              ...says('Memory top_k must be an integer from 0 to 50.', 'invalid_value', 'memory.top_k'),
            }),
          ),
          scope: Type.Optional(
            Type.Enum(['user', 'conversation'], {
              description: "Recall the end user's memories, or only this conversation's.",
              ...says('Memory scope must be "user" or "conversation".', 'invalid_value', 'memory.scope'),
            }),
          ),
        }),
      ],
      {
        description:
          'Perpetual: long-term memory for this request (also the x-perpetual-memory, x-perpetual-memory-top-k and x-perpetual-memory-scope headers).',
        ...says('"memory" must be true, false or an object {enabled, top_k, scope}.', 'invalid_value', 'memory'),
      },
    ),
  ),
};

/** The end user in OpenAI's dialect; end-user rules (chat/end-user.ts) check control characters and blanks. */
export function endUserField(description: string): TSchema {
  return orNull(Type.String({ maxLength: 256 }), {
    description,
    ...says('The end user ({param}) must be a string of at most 256 characters.', 'invalid_end_user'),
  });
}
