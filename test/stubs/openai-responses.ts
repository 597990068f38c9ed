// OpenAI's Responses API for the OpenAI stub (openai-upstream.ts): POST /v1/responses, JSON and
// SSE, with the item and event shapes the official SDK's stream accumulator checks. It is stateless
// the way a gateway must use it: `previous_response_id` is unknown here (the gateway keeps the
// chain itself and sends the whole context), and a reasoning item given back must carry the
// encrypted content this stub issued, as OpenAI requires of stateless (store: false) callers.
import { createHash } from 'node:crypto';
import { isRecord, splitReply } from './upstream-stub-server.ts';
import type { Json } from './upstream-stub-server.ts';

export interface ResponsesBehaviour {
  reply?: string;
  toolCall?: { name: string; arguments: string };
  deltas?: number;
  omitUsage?: boolean;
  /** Think first: a reasoning item with this summary precedes the answer. */
  reasoning?: string;
}

/** What the stub's validation throws; the stub turns it into OpenAI's error JSON. */
export class ResponsesProblem extends Error {
  readonly status: number;
  readonly param: string | undefined;
  readonly code: string | undefined;
  constructor(status: number, message: string, param?: string, code?: string) {
    super(message);
    this.status = status;
    this.param = param;
    this.code = code;
  }
}

function problem(message: string, param?: string, code?: string): ResponsesProblem {
  return new ResponsesProblem(400, message, param, code);
}

const ITEM_TYPES = new Set(['message', 'function_call', 'function_call_output', 'reasoning']);

/** The encrypted content this stub issues for a reasoning summary: a keyed digest, checked on the way back. */
export function stubEncryptedReasoning(summary: string): string {
  return `enc_${createHash('sha256').update(`stub-reasoning:${summary}`).digest('base64url')}`;
}

function text(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : '')).join('');
}

/** Input as items: a string is one user message. */
function inputItems(input: unknown): Json[] {
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }];
  if (!Array.isArray(input))
    throw problem("Invalid type for 'input': expected a string or an array of input items.", 'input', 'invalid_type');
  return input.map((item: unknown, i) => {
    if (!isRecord(item)) throw problem(`Invalid type for 'input[${i}]': expected an object.`, `input[${i}]`, 'invalid_type');
    const type = item.type ?? 'message';
    if (typeof type !== 'string' || !ITEM_TYPES.has(type))
      throw problem(`Invalid value: ${JSON.stringify(type)}.`, `input[${i}].type`, 'invalid_value');
    if (type === 'reasoning') {
      const summary = Array.isArray(item.summary) ? item.summary.map((s: unknown) => (isRecord(s) ? String(s.text) : '')).join('') : '';
      if (item.encrypted_content !== stubEncryptedReasoning(summary)) {
        throw problem(
          `Item with id '${String(item.id)}' not found. Items are not persisted when \`store\` is set to false. Try again with \`store\` set to true, or remove this item from your input.`,
          'input',
          'invalid_value',
        );
      }
    }
    if (type === 'message' && typeof item.role !== 'string')
      throw problem(`Missing required parameter: 'input[${i}].role'.`, `input[${i}].role`, 'missing_required_parameter');
    return { ...item, type };
  });
}

/** Checks a request as OpenAI does, as far as the gateway uses the API; returns its input items. */
export function validateResponses(body: Json, models: string[] | undefined): Json[] {
  if (typeof body.model !== 'string' || body.model === '')
    throw problem("Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  if (models && !models.includes(body.model)) {
    throw new ResponsesProblem(
      404,
      `The model \`${body.model}\` does not exist or you do not have access to it.`,
      undefined,
      'model_not_found',
    );
  }
  if (body.previous_response_id !== undefined && body.previous_response_id !== null) {
    throw problem(
      `Previous response with id ${JSON.stringify(body.previous_response_id)} not found.`,
      'previous_response_id',
      'previous_response_not_found',
    );
  }
  return inputItems(body.input);
}

function usage(input: Json[], instructions: unknown, outputWords: number, reasoningWords: number): Json {
  const inputTokens =
    input.reduce(
      (sum, item) =>
        sum +
        text(item.content ?? item.output ?? item.arguments)
          .split(/\s+/)
          .filter(Boolean).length +
        3,
      0,
    ) + text(instructions).split(/\s+/).filter(Boolean).length;
  return {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: outputWords + reasoningWords,
    output_tokens_details: { reasoning_tokens: reasoningWords },
    total_tokens: inputTokens + outputWords + reasoningWords,
  };
}

export interface ResponsesExchange {
  id: string;
  createdAt: number;
  body: Json;
  input: Json[];
}

function replyText(ex: ResponsesExchange, behaviour: ResponsesBehaviour): string {
  if (behaviour.reply !== undefined) return behaviour.reply;
  const lastUser = [...ex.input].reverse().find((item) => item.type === 'message' && item.role === 'user');
  return `echo: ${text(lastUser?.content)}`;
}

interface Planned {
  reasoning: Json | undefined;
  answer: Json;
  answerText: string;
}

function plan(ex: ResponsesExchange, behaviour: ResponsesBehaviour): Planned {
  const include = Array.isArray(ex.body.include) ? ex.body.include : [];
  const reasoning =
    behaviour.reasoning === undefined
      ? undefined
      : {
          id: `rs_${ex.id}`,
          type: 'reasoning',
          summary: [{ type: 'summary_text', text: behaviour.reasoning }],
          ...(include.includes('reasoning.encrypted_content') ? { encrypted_content: stubEncryptedReasoning(behaviour.reasoning) } : {}),
        };
  const call = behaviour.toolCall;
  if (call) {
    return {
      reasoning,
      answerText: call.arguments,
      answer: {
        id: `fc_${ex.id}`,
        type: 'function_call',
        status: 'completed',
        call_id: 'call_stub_1',
        name: call.name,
        arguments: call.arguments,
      },
    };
  }
  const answerText = replyText(ex, behaviour);
  const message = {
    id: `msg_${ex.id}`,
    type: 'message',
    role: 'assistant',
    status: 'completed',
    content: [{ type: 'output_text', text: answerText, annotations: [], logprobs: [] }],
  };
  return { reasoning, answerText, answer: message };
}

/** The request's settings, echoed in every response object as OpenAI does. */
function echoedSettings(body: Json): Json {
  const reasoning = isRecord(body.reasoning) ? body.reasoning : {};
  return {
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: body.model,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    reasoning: { effort: reasoning.effort ?? null, summary: reasoning.summary ?? null },
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: isRecord(body.text) ? body.text : { format: { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_p: body.top_p ?? 1,
    truncation: 'disabled',
    user: body.user ?? null,
    metadata: body.metadata ?? {},
  };
}

function responseObject(ex: ResponsesExchange, behaviour: ResponsesBehaviour, status: string, output: Json[]): Json {
  const planned = plan(ex, behaviour);
  const done = status === 'completed';
  return {
    id: ex.id,
    object: 'response',
    created_at: ex.createdAt,
    status,
    completed_at: done ? ex.createdAt : null,
    error: null,
    incomplete_details: null,
    output,
    previous_response_id: null,
    ...echoedSettings(ex.body),
    usage:
      done && !behaviour.omitUsage
        ? usage(
            ex.input,
            ex.body.instructions,
            splitReply(planned.answerText, undefined).length,
            behaviour.reasoning === undefined ? 0 : splitReply(behaviour.reasoning, undefined).length,
          )
        : null,
  };
}

/** The finished response for a non-streamed request. */
export function responsesJson(ex: ResponsesExchange, behaviour: ResponsesBehaviour): Json {
  const { reasoning, answer } = plan(ex, behaviour);
  return responseObject(ex, behaviour, 'completed', reasoning ? [reasoning, answer] : [answer]);
}

/** The events of a streamed response, in OpenAI's order, numbered. */
export function responsesEvents(ex: ResponsesExchange, behaviour: ResponsesBehaviour): Json[] {
  const { reasoning, answer, answerText } = plan(ex, behaviour);
  const events: Json[] = [];
  const emit = (type: string, fields: Json): void => {
    events.push({ type, sequence_number: events.length, ...fields });
  };
  emit('response.created', { response: responseObject(ex, behaviour, 'in_progress', []) });
  emit('response.in_progress', { response: responseObject(ex, behaviour, 'in_progress', []) });
  const output: Json[] = [];
  if (reasoning) {
    emit('response.output_item.added', { output_index: 0, item: { ...reasoning, summary: [] } });
    emit('response.output_item.done', { output_index: 0, item: reasoning });
    output.push(reasoning);
  }
  const index = output.length;
  const pieces = splitReply(answerText, behaviour.deltas);
  if (answer.type === 'function_call') {
    emit('response.output_item.added', { output_index: index, item: { ...answer, status: 'in_progress', arguments: '' } });
    for (const delta of pieces) emit('response.function_call_arguments.delta', { item_id: answer.id, output_index: index, delta });
    emit('response.function_call_arguments.done', { item_id: answer.id, output_index: index, arguments: answerText });
  } else {
    const part = { type: 'output_text', text: '', annotations: [], logprobs: [] };
    emit('response.output_item.added', { output_index: index, item: { ...answer, status: 'in_progress', content: [] } });
    emit('response.content_part.added', { item_id: answer.id, output_index: index, content_index: 0, part });
    for (const delta of pieces)
      emit('response.output_text.delta', { item_id: answer.id, output_index: index, content_index: 0, delta, logprobs: [] });
    emit('response.output_text.done', { item_id: answer.id, output_index: index, content_index: 0, text: answerText, logprobs: [] });
    emit('response.content_part.done', { item_id: answer.id, output_index: index, content_index: 0, part: { ...part, text: answerText } });
  }
  emit('response.output_item.done', { output_index: index, item: answer });
  output.push(answer);
  emit('response.completed', { response: responseObject(ex, behaviour, 'completed', output) });
  return events;
}
