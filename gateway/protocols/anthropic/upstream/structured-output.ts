// OpenAI's response_format (json_schema, json_object) on Anthropic, which has no such parameter on
// every model: the schema becomes the input_schema of one extra tool the model is made to call,
// and the call's input comes back as the assistant's `content` with finish_reason "stop" — what
// `client.chat.completions.parse()`, LangChain's with_structured_output, instructor and the AI
// SDK's generateObject read. (Anthropic's native `output_config.format` exists only on newer
// models; a forced tool works on all of them.) Pure.
import { badRequest } from '../../../errors.ts';
import type { AnthropicTool, AnthropicToolChoice } from '../types.ts';
import type { ChatCompletionRequest, ResponseFormat, ToolChoice } from '../../openai/types.ts';
import { isObject } from '../../../json-object.ts';

/** The extra tool's name. A client tool of the same name is refused while response_format is set. */
export const STRUCTURED_OUTPUT_TOOL = 'structured_output';

/** True when the request asks for JSON, so the reply's structured_output call is its content. */
export function usesStructuredOutput(req: Pick<ChatCompletionRequest, 'response_format'>): boolean {
  const type = req.response_format?.type;
  return type === 'json_schema' || type === 'json_object';
}

function schemaTool(format: ResponseFormat): AnthropicTool {
  const spec = format.json_schema;
  if (!isObject(spec) || !isObject(spec.schema)) {
    throw badRequest(
      'response_format.json_schema.schema must be a JSON Schema object.',
      'invalid_value',
      'response_format.json_schema.schema',
    );
  }
  // Tool input is always a JSON object on Anthropic, as the root of OpenAI's strict schemas is.
  if (spec.schema.type !== 'object') {
    throw badRequest(
      'response_format.json_schema.schema must have "type": "object" at its root for provider "anthropic". Wrap other values in an object property.',
      'unsupported_parameter',
      'response_format.json_schema.schema',
    );
  }
  const name = typeof spec.name === 'string' ? ` "${spec.name}"` : '';
  const described = typeof spec.description === 'string' ? ` ${spec.description}` : '';
  return {
    name: STRUCTURED_OUTPUT_TOOL,
    description: `Give your final answer${name} by calling this tool; its input is the answer.${described}`,
    input_schema: spec.schema,
  };
}

function jsonObjectTool(): AnthropicTool {
  return {
    name: STRUCTURED_OUTPUT_TOOL,
    description: 'Give your final answer as a JSON object by calling this tool; its input is the answer.',
    input_schema: { type: 'object', additionalProperties: true },
  };
}

export function structuredOutputTool(format: ResponseFormat): AnthropicTool {
  return format.type === 'json_schema' ? schemaTool(format) : jsonObjectTool();
}

/**
 * The tool_choice that makes the model answer through the structured_output tool. With the
 * client's own tools it may call those instead ("any"), as OpenAI models may call tools before
 * answering in the schema. Anthropic refuses a forced tool while extended thinking is on, so then
 * the choice stays "auto" and the tool's description asks for the call.
 */
export function structuredToolChoice(
  clientChoice: ToolChoice | undefined,
  hasClientTools: boolean,
  thinking: boolean,
): AnthropicToolChoice {
  if (thinking) return { type: 'auto' };
  if (hasClientTools && typeof clientChoice === 'object') return { type: 'tool', name: clientChoice.function.name };
  if (hasClientTools && clientChoice !== 'none') return { type: 'any' };
  return { type: 'tool', name: STRUCTURED_OUTPUT_TOOL };
}
