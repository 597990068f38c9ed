// A protocol-faithful stand-in for the OpenAI API on loopback: Chat Completions and the legacy
// Completions (JSON and SSE, honouring stream_options.include_usage exactly as OpenAI does), the
// Responses API (openai-responses.ts),
// Embeddings (deterministic vectors, float or base64) and the models (list and retrieve), with
// OpenAI's error JSON. It validates requests
// the way the real API does, so translation bugs surface as 400s, and its knobs script the
// failures the gateway must survive: retryable errors, hangs, cut streams, missing usage, bad keys.
// The official `openai` SDK runs against it in gateway/providers/stubs-contract.test.ts.
import { createHash } from 'node:crypto';
import type http from 'node:http';
import { responsesEvents, responsesJson, validateResponses, ResponsesProblem, type ResponsesBehaviour } from './openai-responses.ts';
import { isRecord, splitReply, startUpstreamStub, writeEventStream, writeJson } from './upstream-stub-server.ts';
import type { Json, ScriptedFailures, StubExchange, UpstreamStub } from './upstream-stub-server.ts';

export type { RecordedRequest } from './upstream-stub-server.ts';

export interface OpenAIUpstreamBehaviour extends ScriptedFailures, ResponsesBehaviour {
  /** Fixed reply text. Default: "echo: " + the last user message's text. */
  reply?: string;
  /** Answer with this tool call instead of text (finish_reason "tool_calls"). */
  toolCall?: { name: string; arguments: string };
  /** Content deltas a streamed reply is split into. Default: one per word. */
  deltas?: number;
  /** Pause before each streamed chunk. */
  delayMs?: number;
  /** Send no usage at all, neither in JSON replies nor in streams (some compatible servers don't). */
  omitUsage?: boolean;
  /** Streams: destroy the connection after this many chunks. */
  cutAfterChunks?: number;
  /** The only key accepted; others get 401. Default: any key, or none. */
  apiKey?: string;
  /** Models served (and listed); others get 404 model_not_found. Default: every model, "gpt-stub" listed. */
  models?: string[];
  /**
   * Chat Completions only: a reply (and a pause before it) chosen per request, e.g. for a
   * background call the gateway makes beside the chats (memory's fact extractor). Undefined, or
   * fields left out, fall back to the knobs above.
   */
  script?: (request: { model: string; messages: Json[] }) => { reply?: string; delayMs?: number } | undefined;
}

export interface OpenAIUpstream extends UpstreamStub<OpenAIUpstreamBehaviour> {
  /** Base URL in the SDK's convention, ending in /v1. */
  url: string;
}

const ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'];

class OpenAIError extends Error {
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
  constructor(status: number, message: string, fields: { type?: string; param?: string; code?: string } = {}) {
    super(message);
    this.status = status;
    this.type = fields.type ?? 'invalid_request_error';
    this.param = fields.param ?? null;
    this.code = fields.code ?? null;
  }
}

const REQUEST_ID = { 'x-request-id': 'req_stub' };

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  writeJson(res, status, body, { ...REQUEST_ID, ...headers });
}

function sendError(res: http.ServerResponse, err: OpenAIError, headers: Record<string, string> = {}): void {
  sendJson(res, err.status, { error: { message: err.message, type: err.type, param: err.param, code: err.code } }, headers);
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : '')).join('');
}

/** A deterministic token count: words across all message text. */
function promptTokens(messages: Json[]): number {
  const words = messages
    .map((m) => contentText(m.content))
    .join(' ')
    .split(/\s+/)
    .filter(Boolean).length;
  return words + 3 * messages.length;
}

function validateMessage(m: unknown, i: number, sawToolCalls: boolean): boolean {
  if (!isRecord(m) || typeof m.role !== 'string')
    throw new OpenAIError(400, `Missing required parameter: 'messages[${i}].role'.`, {
      param: `messages[${i}].role`,
      code: 'missing_required_parameter',
    });
  if (!ROLES.includes(m.role)) {
    throw new OpenAIError(
      400,
      `Invalid value: '${m.role}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`,
      { param: `messages[${i}].role`, code: 'invalid_value' },
    );
  }
  if (m.role === 'tool' && !sawToolCalls) {
    throw new OpenAIError(
      400,
      "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
      { param: `messages.[${i}].role` },
    );
  }
  if (m.role === 'tool' && typeof m.tool_call_id !== 'string')
    throw new OpenAIError(400, `Missing required parameter: 'messages[${i}].tool_call_id'.`, {
      param: `messages[${i}].tool_call_id`,
      code: 'missing_required_parameter',
    });
  if (m.role === 'assistant') return Array.isArray(m.tool_calls) && m.tool_calls.length > 0;
  return sawToolCalls && m.role === 'tool';
}

/** What chat and legacy completions check alike, after their own fields. */
function checkStreamingAndModel(body: Json, model: string, behaviour: OpenAIUpstreamBehaviour): void {
  if (body.stream_options !== undefined && body.stream_options !== null && body.stream !== true) {
    throw new OpenAIError(400, "The 'stream_options' parameter is only allowed when 'stream' is enabled.", {
      param: 'stream_options',
      code: 'invalid_value',
    });
  }
  if (behaviour.models && !behaviour.models.includes(model)) {
    throw new OpenAIError(404, `The model \`${model}\` does not exist or you do not have access to it.`, { code: 'model_not_found' });
  }
}

function validateChat(body: Json, behaviour: OpenAIUpstreamBehaviour): Json[] {
  if (typeof body.model !== 'string' || body.model === '') throw new OpenAIError(400, 'you must provide a model parameter');
  if (!Array.isArray(body.messages))
    throw new OpenAIError(400, "Missing required parameter: 'messages'.", { param: 'messages', code: 'missing_required_parameter' });
  if (body.messages.length === 0)
    throw new OpenAIError(
      400,
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      { param: 'messages', code: 'empty_array' },
    );
  let sawToolCalls = false;
  body.messages.forEach((m: unknown, i) => (sawToolCalls = validateMessage(m, i, sawToolCalls)));
  checkStreamingAndModel(body, body.model, behaviour);
  return body.messages as Json[];
}

function replyText(messages: Json[], behaviour: OpenAIUpstreamBehaviour): string {
  if (behaviour.reply !== undefined) return behaviour.reply;
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  return `echo: ${contentText(lastUser?.content)}`;
}

function usageFor(prompt: number, completion: number): Json {
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

interface Exchange {
  id: string;
  created: number;
  model: string;
  messages: Json[];
}

function completion(ex: Exchange, behaviour: OpenAIUpstreamBehaviour): Json {
  const call = behaviour.toolCall;
  const text = replyText(ex.messages, behaviour);
  const message = call
    ? {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_stub_1', type: 'function', function: call }],
        refusal: null,
        annotations: [],
      }
    : { role: 'assistant', content: text, refusal: null, annotations: [] };
  const completionTokens = call ? splitReply(call.arguments, undefined).length : splitReply(text, undefined).length;
  return {
    id: ex.id,
    object: 'chat.completion',
    created: ex.created,
    model: ex.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: call ? 'tool_calls' : 'stop' }],
    ...(behaviour.omitUsage ? {} : { usage: usageFor(promptTokens(ex.messages), completionTokens) }),
    service_tier: 'default',
    system_fingerprint: 'fp_stub',
  };
}

function streamDeltas(ex: Exchange, behaviour: OpenAIUpstreamBehaviour): { deltas: Json[]; finish: string } {
  const call = behaviour.toolCall;
  if (call) {
    const head = {
      role: 'assistant',
      content: null,
      tool_calls: [{ index: 0, id: 'call_stub_1', type: 'function', function: { name: call.name, arguments: '' } }],
      refusal: null,
    };
    const args = splitReply(call.arguments, behaviour.deltas).map((piece) => ({
      tool_calls: [{ index: 0, function: { arguments: piece } }],
    }));
    return { deltas: [head, ...args], finish: 'tool_calls' };
  }
  const pieces = splitReply(replyText(ex.messages, behaviour), behaviour.deltas).map((content) => ({ content }));
  return { deltas: [{ role: 'assistant', content: '', refusal: null }, ...pieces], finish: 'stop' };
}

/** The chunks OpenAI sends for one completion, in order, as `data:` payloads. */
function streamChunks(ex: Exchange, behaviour: OpenAIUpstreamBehaviour, includeUsage: boolean): Json[] {
  const { deltas, finish } = streamDeltas(ex, behaviour);
  const base = {
    id: ex.id,
    object: 'chat.completion.chunk',
    created: ex.created,
    model: ex.model,
    service_tier: 'default',
    system_fingerprint: 'fp_stub',
  };
  const withUsage = includeUsage && !behaviour.omitUsage;
  const chunk = (delta: Json, finishReason: string | null): Json => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(withUsage ? { usage: null } : {}),
  });
  const chunks = [...deltas.map((d) => chunk(d, null)), chunk({}, finish)];
  if (withUsage) chunks.push({ ...base, choices: [], usage: usageFor(promptTokens(ex.messages), deltas.length - 1) });
  return chunks;
}

function writeStream(exchange: StubExchange<OpenAIUpstreamBehaviour>, chunks: Json[]): Promise<void> {
  const { cutAfterChunks, delayMs } = exchange.behaviour;
  const frames = chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`);
  return writeEventStream(exchange, frames, { headers: REQUEST_ID, cutAfter: cutAfterChunks, delayMs, trailer: 'data: [DONE]\n\n' });
}

/** The legacy API's prompts, one choice each: a string, strings, token ids, or lists of token ids. */
function legacyPrompts(body: Json): (string | number[])[] {
  const { prompt } = body;
  if (typeof prompt === 'string') return [prompt];
  const isTokens = (value: unknown): value is number[] =>
    Array.isArray(value) && value.length > 0 && value.every((t) => Number.isInteger(t));
  if (isTokens(prompt)) return [prompt];
  if (Array.isArray(prompt) && prompt.length > 0 && (prompt.every((p) => typeof p === 'string') || prompt.every(isTokens))) return prompt;
  if (prompt === undefined)
    throw new OpenAIError(400, "Missing required parameter: 'prompt'.", { param: 'prompt', code: 'missing_required_parameter' });
  throw new OpenAIError(
    400,
    "Invalid type for 'prompt': expected one of a string, an array of strings, an array of integers, or an array of arrays of integers.",
    { param: 'prompt', code: 'invalid_type' },
  );
}

function validateLegacy(body: Json, behaviour: OpenAIUpstreamBehaviour): (string | number[])[] {
  if (typeof body.model !== 'string' || body.model === '') throw new OpenAIError(400, 'you must provide a model parameter');
  const prompts = legacyPrompts(body);
  checkStreamingAndModel(body, body.model, behaviour);
  return prompts;
}

function legacyText(prompt: string | number[], behaviour: OpenAIUpstreamBehaviour): string {
  return behaviour.reply ?? `echo: ${typeof prompt === 'string' ? prompt : prompt.join(' ')}`;
}

/** A deterministic token count: words of text prompts, ids of token prompts. */
function legacyPromptTokens(prompts: (string | number[])[]): number {
  return prompts.reduce((sum, p) => sum + (typeof p === 'string' ? p.split(/\s+/).filter(Boolean).length : p.length), 0);
}

interface LegacyExchange {
  id: string;
  created: number;
  model: string;
  prompts: (string | number[])[];
}

function legacyCompletion(ex: LegacyExchange, behaviour: OpenAIUpstreamBehaviour): Json {
  const texts = ex.prompts.map((p) => legacyText(p, behaviour));
  const completionTokens = texts.reduce((sum, text) => sum + splitReply(text, undefined).length, 0);
  return {
    id: ex.id,
    object: 'text_completion',
    created: ex.created,
    model: ex.model,
    choices: texts.map((text, index) => ({ text, index, logprobs: null, finish_reason: 'stop' })),
    ...(behaviour.omitUsage ? {} : { usage: usageFor(legacyPromptTokens(ex.prompts), completionTokens) }),
    system_fingerprint: 'fp_stub',
  };
}

/** The legacy chunks: each choice's text in pieces, then its finish, then usage when asked for. */
function legacyChunks(ex: LegacyExchange, behaviour: OpenAIUpstreamBehaviour, includeUsage: boolean): Json[] {
  const base = { id: ex.id, object: 'text_completion', created: ex.created, model: ex.model, system_fingerprint: 'fp_stub' };
  const withUsage = includeUsage && !behaviour.omitUsage;
  const chunk = (index: number, text: string, finishReason: string | null): Json => ({
    ...base,
    choices: [{ text, index, logprobs: null, finish_reason: finishReason }],
    ...(withUsage ? { usage: null } : {}),
  });
  const pieces = ex.prompts.map((p) => splitReply(legacyText(p, behaviour), behaviour.deltas));
  const chunks = pieces.flatMap((texts, index) => [...texts.map((text) => chunk(index, text, null)), chunk(index, '', 'stop')]);
  if (withUsage)
    chunks.push({
      ...base,
      choices: [],
      usage: usageFor(
        legacyPromptTokens(ex.prompts),
        pieces.reduce((sum, texts) => sum + texts.length, 0),
      ),
    });
  return chunks;
}

/** A unit vector derived from the input alone, so equal inputs embed equally. */
function vectorFor(input: unknown, dimensions: number): number[] {
  const values: number[] = [];
  for (let block = 0; values.length < dimensions; block++) {
    const digest = createHash('sha256')
      .update(`${JSON.stringify(input)}#${block}`)
      .digest();
    for (let i = 0; i + 1 < digest.length && values.length < dimensions; i += 2) values.push(digest.readUInt16LE(i) / 32768 - 1);
  }
  const norm = Math.hypot(...values) || 1;
  return values.map((v) => v / norm);
}

function base64Floats(values: number[]): string {
  return Buffer.from(new Float32Array(values).buffer).toString('base64');
}

function embeddings(body: Json): Json {
  if (typeof body.model !== 'string') throw new OpenAIError(400, 'you must provide a model parameter');
  if (body.input === undefined || body.input === '' || (Array.isArray(body.input) && body.input.length === 0)) {
    throw new OpenAIError(400, "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.");
  }
  const inputs: unknown[] =
    typeof body.input === 'string' || (Array.isArray(body.input) && typeof body.input[0] === 'number')
      ? [body.input]
      : (body.input as unknown[]);
  const dimensions = typeof body.dimensions === 'number' ? body.dimensions : 8;
  const tokens = inputs.reduce<number>(
    (sum, input) => sum + (typeof input === 'string' ? input.split(/\s+/).filter(Boolean).length : (input as unknown[]).length),
    0,
  );
  return {
    object: 'list',
    data: inputs.map((input, index) => {
      const vector = vectorFor(input, dimensions);
      return { object: 'embedding', index, embedding: body.encoding_format === 'base64' ? base64Floats(vector) : vector };
    }),
    model: body.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

function checkAuth(req: http.IncomingMessage, behaviour: OpenAIUpstreamBehaviour): void {
  if (behaviour.apiKey === undefined) return;
  const header = req.headers.authorization;
  if (!header) {
    throw new OpenAIError(
      401,
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
    );
  }
  const presented = header.replace(/^Bearer\s+/i, '');
  // Real OpenAI echoes a masked key here; echoing all of it proves the gateway never passes it on.
  if (presented !== behaviour.apiKey) {
    throw new OpenAIError(
      401,
      `Incorrect API key provided: ${presented}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      { code: 'invalid_api_key' },
    );
  }
}

export async function startOpenAIUpstream(initial: OpenAIUpstreamBehaviour = {}): Promise<OpenAIUpstream> {
  let sequence = 0;

  async function chat(exchange: StubExchange<OpenAIUpstreamBehaviour>, body: Json): Promise<void> {
    const messages = validateChat(body, exchange.behaviour);
    const scripted = exchange.behaviour.script?.({ model: body.model as string, messages });
    const behaviour = { ...exchange.behaviour, ...scripted };
    sequence++;
    const ex: Exchange = { id: `chatcmpl-stub${sequence}`, created: Math.floor(Date.now() / 1000), model: body.model as string, messages };
    if (body.stream !== true) {
      if (behaviour.delayMs) await exchange.pause(behaviour.delayMs);
      sendJson(exchange.res, 200, completion(ex, behaviour));
      return;
    }
    const includeUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true;
    await writeStream(exchange, streamChunks(ex, behaviour, includeUsage));
  }

  async function legacy(exchange: StubExchange<OpenAIUpstreamBehaviour>, body: Json): Promise<void> {
    const { behaviour } = exchange;
    const prompts = validateLegacy(body, behaviour);
    sequence++;
    const ex: LegacyExchange = { id: `cmpl-stub${sequence}`, created: Math.floor(Date.now() / 1000), model: body.model as string, prompts };
    if (body.stream !== true) {
      if (behaviour.delayMs) await exchange.pause(behaviour.delayMs);
      sendJson(exchange.res, 200, legacyCompletion(ex, behaviour));
      return;
    }
    const includeUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true;
    await writeStream(exchange, legacyChunks(ex, behaviour, includeUsage));
  }

  async function responses(exchange: StubExchange<OpenAIUpstreamBehaviour>, body: Json): Promise<void> {
    const { behaviour } = exchange;
    let input: Json[];
    try {
      input = validateResponses(body, behaviour.models);
    } catch (err) {
      if (!(err instanceof ResponsesProblem)) throw err;
      throw new OpenAIError(err.status, err.message, {
        ...(err.param ? { param: err.param } : {}),
        ...(err.code ? { code: err.code } : {}),
      });
    }
    sequence++;
    const ex = { id: `resp_stub${sequence}`, createdAt: Math.floor(Date.now() / 1000), body, input };
    if (body.stream !== true) {
      if (behaviour.delayMs) await exchange.pause(behaviour.delayMs);
      sendJson(exchange.res, 200, responsesJson(ex, behaviour));
      return;
    }
    // Responses streams name each event and end without a [DONE] sentinel.
    const frames = responsesEvents(ex, behaviour).map((event) => `event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`);
    await writeEventStream(exchange, frames, {
      headers: REQUEST_ID,
      cutAfter: behaviour.cutAfterChunks,
      delayMs: behaviour.delayMs,
      trailer: '',
    });
  }

  function models(res: http.ServerResponse, path: string, behaviour: OpenAIUpstreamBehaviour): void {
    const model = (id: string): Json => ({ id, object: 'model', created: 1700000000, owned_by: 'stub' });
    const listed = behaviour.models ?? ['gpt-stub'];
    if (path === '/v1/models') {
      sendJson(res, 200, { object: 'list', data: listed.map(model) });
      return;
    }
    const id = decodeURIComponent(path.slice('/v1/models/'.length));
    if (!listed.includes(id)) throw new OpenAIError(404, `The model '${id}' does not exist`, { param: 'model', code: 'model_not_found' });
    sendJson(res, 200, model(id));
  }

  async function handle(exchange: StubExchange<OpenAIUpstreamBehaviour>): Promise<void> {
    const { req, res, body, behaviour } = exchange;
    checkAuth(req, behaviour);
    const path = (req.url ?? '').split('?')[0] ?? '';
    const key = `${req.method ?? ''} ${path}`;
    if (req.method === 'GET' && (path === '/v1/models' || path.startsWith('/v1/models/'))) {
      models(res, path, behaviour);
      return;
    }
    const handlers: Record<string, (exchange: StubExchange<OpenAIUpstreamBehaviour>, body: Json) => Promise<void>> = {
      'POST /v1/chat/completions': chat,
      'POST /v1/completions': legacy,
      'POST /v1/responses': responses,
      'POST /v1/embeddings': (ex, json) => {
        sendJson(ex.res, 200, embeddings(json));
        return Promise.resolve();
      },
    };
    const handler = handlers[key];
    if (!handler) throw new OpenAIError(404, `Invalid URL (${key})`);
    if (!isRecord(body))
      throw new OpenAIError(
        400,
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)",
      );
    await handler(exchange, body);
  }

  return startUpstreamStub({
    initial,
    basePath: '/v1',
    handle,
    sendFailure: (res, failure) => {
      const type = failure.status === 429 ? 'rate_limit_error' : 'server_error';
      sendError(res, new OpenAIError(failure.status, failure.message, { type }), failure.headers);
    },
    sendThrown: (res, err) => {
      sendError(res, err instanceof OpenAIError ? err : new OpenAIError(500, 'The stub failed.', { type: 'server_error' }));
    },
  });
}
