// A protocol-faithful stand-in for Anthropic's Messages API on loopback: POST /v1/messages as JSON
// and as SSE with Anthropic's exact event sequence and `event:` lines, POST /v1/messages/count_tokens,
// and Anthropic's error JSON. It checks the auth and version headers and validates bodies the way
// the real API does (a missing max_tokens, a "system" role inside messages, a tool_result without
// its tool_use, unknown fields, a thinking block whose signature does not match its text, a forced
// tool while thinking is on are all 400s), so translation bugs surface. Like the real API it ends
// the reply at the first of the request's stop_sequences (stop_reason "stop_sequence"). The official `@anthropic-ai/sdk` runs against it in
// gateway/providers/stubs-contract.test.ts.
import type http from 'node:http';
import { isRecord, splitReply, startUpstreamStub, writeEventStream, writeJson } from './upstream-stub-server.ts';
import type { Json, ScriptedFailures, StubExchange, UpstreamStub } from './upstream-stub-server.ts';

export type { RecordedRequest } from './upstream-stub-server.ts';

export interface AnthropicUpstreamBehaviour extends ScriptedFailures {
  /** Fixed reply text. Default: "echo: " + the last user turn's text. */
  reply?: string;
  /** Also answer with this tool call (stop_reason "tool_use"). */
  toolUse?: { name: string; input: Record<string, unknown> };
  /** Text deltas a streamed reply is split into. Default: one per word. */
  deltas?: number;
  /** Pause before each streamed event. */
  delayMs?: number;
  /** Leave usage out of replies and events: what the gateway must survive by estimating. */
  omitUsage?: boolean;
  /** Prompt-cache tokens to report besides input_tokens. */
  cacheReadTokens?: number;
  cacheCreationTokens?: number;
  /** Streams: send an `error` event (overloaded_error) after this many text deltas. */
  errorAfterDeltas?: number;
  /** Streams: destroy the connection after this many events. */
  cutAfterEvents?: number;
  /** The only key accepted; others get 401. Default: any non-empty key. */
  apiKey?: string;
  /** Reply with a thinking block of this text first (signed by the stub), streamed as thinking_delta + signature_delta. */
  thinking?: string;
  /** Also reply with a redacted_thinking block holding this data, after the thinking block. */
  redactedThinking?: string;
}

export interface AnthropicUpstream extends UpstreamStub<AnthropicUpstreamBehaviour> {
  /** Base URL in the SDK's convention (no /v1). */
  url: string;
}

const VERSIONS = ['2023-01-01', '2023-06-01', '2026-10-21'];
const TOP_LEVEL = new Set([
  'model',
  'max_tokens',
  'messages',
  'system',
  'stop_sequences',
  'temperature',
  'top_p',
  'top_k',
  'stream',
  'tools',
  'tool_choice',
  'metadata',
  'thinking',
  'service_tier',
  'container',
  'mcp_servers',
]);
/** count_tokens takes the prompt side only: generation settings are extra inputs there. */
const COUNT_TOKENS_TOP_LEVEL = new Set(['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking', 'mcp_servers']);
const DOCUMENT_SOURCES = new Set(['base64', 'url', 'text', 'content', 'file']);

/** The stub's signature for a thinking text: opaque to clients, checked when the block comes back. */
export function stubSignature(thinking: string): string {
  return Buffer.from(`stub-signature:${thinking}`).toString('base64');
}
const BLOCK_TYPES = new Set(['text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking', 'search_result']);
const ERROR_TYPES: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

class AnthropicError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
  get type(): string {
    return ERROR_TYPES[this.status] ?? 'api_error';
  }
}

const invalid = (message: string): AnthropicError => new AnthropicError(400, message);

const REQUEST_ID = { 'request-id': 'req_stub' };

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  writeJson(res, status, body, { ...REQUEST_ID, ...headers });
}

function sendError(res: http.ServerResponse, err: AnthropicError, headers: Record<string, string> = {}): void {
  sendJson(res, err.status, { type: 'error', error: { type: err.type, message: err.message }, request_id: 'req_stub' }, headers);
}

function blocksOf(content: unknown): Json[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? content.filter(isRecord) : [];
}

function idsOf(blocks: Json[], type: string, key: string): string[] {
  return blocks.filter((b) => b.type === type).map((b) => String(b[key]));
}

function validateBlock(block: Json, where: string): void {
  if (typeof block.type !== 'string' || !BLOCK_TYPES.has(block.type))
    throw invalid(`${where}.type: Input tag '${String(block.type)}' found using 'type' does not match any of the expected tags`);
  if (block.type === 'text' && (typeof block.text !== 'string' || block.text === ''))
    throw invalid(`${where}: text content blocks must be non-empty`);
  if (block.type === 'tool_use' && (typeof block.id !== 'string' || typeof block.name !== 'string' || !isRecord(block.input))) {
    throw invalid(`${where}: tool_use blocks need a string id and name and an object input`);
  }
  if (block.type === 'tool_result' && typeof block.tool_use_id !== 'string') throw invalid(`${where}.tool_use_id: Field required`);
  if (block.type === 'image' && !isRecord(block.source)) throw invalid(`${where}.source: Field required`);
  validateDocumentOrThinking(block, where);
}

function validateDocumentOrThinking(block: Json, where: string): void {
  if (block.type === 'document' && !(isRecord(block.source) && DOCUMENT_SOURCES.has(String(block.source.type)))) {
    throw invalid(
      `${where}.source: Input tag '${String(isRecord(block.source) ? block.source.type : undefined)}' found using 'type' does not match any of the expected tags: 'base64', 'content', 'text', 'url', 'file'`,
    );
  }
  if (block.type === 'thinking' && (typeof block.thinking !== 'string' || typeof block.signature !== 'string'))
    throw invalid(`${where}.signature: Field required`);
  // The real API checks the signature cryptographically: altered thinking is refused.
  if (block.type === 'thinking' && block.signature !== stubSignature(String(block.thinking)))
    throw invalid(`${where}: Invalid \`signature\` in \`thinking\` block`);
  if (block.type === 'redacted_thinking' && typeof block.data !== 'string') throw invalid(`${where}.data: Field required`);
}

function validateRole(m: Json, i: number): void {
  if (m.role === 'system') {
    throw invalid(
      'messages: Unexpected role "system". The Messages API accepts a top-level `system` parameter, not "system" as an input message role.',
    );
  }
  if (m.role !== 'user' && m.role !== 'assistant') throw invalid(`messages.${i}.role: Input should be 'user' or 'assistant'`);
  if (typeof m.content !== 'string' && !Array.isArray(m.content)) throw invalid(`messages.${i}.content: Field required`);
  if (Array.isArray(m.content) && m.content.length === 0 && i === 0)
    throw invalid(`messages.${i}: all messages must have non-empty content except for the optional final assistant message`);
}

/** tool_use ids in an assistant turn must be answered, all of them, in the very next user turn. */
function validateToolPairing(messages: Json[]): void {
  messages.forEach((m, i) => {
    const results = idsOf(blocksOf(m.content), 'tool_result', 'tool_use_id');
    const previous = i > 0 ? idsOf(blocksOf(messages[i - 1]?.content), 'tool_use', 'id') : [];
    const orphan = results.find((id) => !previous.includes(id));
    if (m.role === 'user' && orphan !== undefined) {
      throw invalid(
        `messages.${i}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${orphan}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
      );
    }
    const uses = m.role === 'assistant' ? idsOf(blocksOf(m.content), 'tool_use', 'id') : [];
    const next = idsOf(blocksOf(messages[i + 1]?.content), 'tool_result', 'tool_use_id');
    const unanswered = i + 1 < messages.length ? uses.find((id) => !next.includes(id)) : undefined;
    if (unanswered !== undefined) {
      throw invalid(
        `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${unanswered}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
      );
    }
  });
}

function validateMessages(value: unknown): Json[] {
  if (!Array.isArray(value)) throw invalid('messages: Field required');
  if (value.length === 0) throw invalid('messages: at least one message is required');
  const messages = value.map((m: unknown, i) => {
    if (!isRecord(m)) throw invalid(`messages.${i}: Input should be a valid dictionary`);
    validateRole(m, i);
    blocksOf(m.content).forEach((b, j) => {
      validateBlock(b, `messages.${i}.content.${j}`);
    });
    return m;
  });
  validateToolPairing(messages);
  return messages;
}

function validateSampling(body: Json, version: string): void {
  for (const key of ['temperature', 'top_p', 'top_k']) {
    if (body[key] === undefined) continue;
    if (version === '2026-10-21') throw invalid(`${key}: this parameter is not supported in API version 2026-10-21`);
    if (key !== 'top_k' && (typeof body[key] !== 'number' || body[key] < 0 || body[key] > 1))
      throw invalid(`${key}: Input should be less than or equal to 1`);
  }
  const stops = body.stop_sequences;
  if (stops !== undefined && !(Array.isArray(stops) && stops.every((s) => typeof s === 'string')))
    throw invalid('stop_sequences: Input should be a valid list of strings');
}

function validateTools(body: Json): void {
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) throw invalid('tools: Input should be a valid list');
    body.tools.forEach((tool: unknown, i) => {
      if (!isRecord(tool) || typeof tool.name !== 'string' || !/^[a-zA-Z0-9_-]{1,128}$/.test(tool.name))
        throw invalid(`tools.${i}.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`);
      if (!isRecord(tool.input_schema) || tool.input_schema.type !== 'object')
        throw invalid(`tools.${i}.input_schema.type: Input should be 'object'`);
    });
  }
  const choice = body.tool_choice;
  if (choice === undefined) return;
  if (!isRecord(choice) || !['auto', 'any', 'tool', 'none'].includes(String(choice.type)))
    throw invalid("tool_choice.type: Input tag does not match any of the expected tags: 'auto', 'any', 'tool', 'none'");
  if (choice.type === 'tool' && typeof choice.name !== 'string') throw invalid('tool_choice.tool.name: Field required');
}

/** Anthropic refuses a forced tool while thinking is on, and a budget that does not fit under max_tokens. */
function validateThinking(body: Json): void {
  const thinking = body.thinking;
  if (!isRecord(thinking) || thinking.type !== 'enabled') return;
  const budget = thinking.budget_tokens;
  if (!Number.isInteger(budget) || (budget as number) < 1024)
    throw invalid('thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');
  if (body.max_tokens !== undefined && (budget as number) >= (body.max_tokens as number))
    throw invalid('`max_tokens` must be greater than `thinking.budget_tokens`');
  const choice = body.tool_choice;
  if (isRecord(choice) && (choice.type === 'any' || choice.type === 'tool'))
    throw invalid('Thinking may not be enabled when tool_choice forces tool use.');
}

function validateRequest(body: Json, version: string, countTokens = false): Json[] {
  const allowed = countTokens ? COUNT_TOKENS_TOP_LEVEL : TOP_LEVEL;
  const extra = Object.keys(body).find((key) => !allowed.has(key));
  if (extra !== undefined) throw invalid(`${extra}: Extra inputs are not permitted`);
  if (typeof body.model !== 'string') throw invalid('model: Field required');
  if (!countTokens && body.max_tokens === undefined) throw invalid('max_tokens: Field required');
  if (!countTokens && (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1))
    throw invalid('max_tokens: Input should be a valid integer greater than or equal to 1');
  validateThinking(body);
  const system = body.system;
  if (
    system !== undefined &&
    typeof system !== 'string' &&
    !(Array.isArray(system) && system.every((b) => isRecord(b) && b.type === 'text'))
  ) {
    throw invalid('system: Input should be a valid string or a list of text blocks');
  }
  validateSampling(body, version);
  validateTools(body);
  return validateMessages(body.messages);
}

function checkHeaders(req: http.IncomingMessage, behaviour: AnthropicUpstreamBehaviour): string {
  // The SDKs from API version 2026-10-21 on send Authorization: Bearer; older clients send x-api-key.
  const headerKey = req.headers['x-api-key'];
  const key = typeof headerKey === 'string' ? headerKey : req.headers.authorization?.replace(/^Bearer\s+/i, '');
  if (!key) throw new AnthropicError(401, 'x-api-key header is required');
  if (behaviour.apiKey !== undefined && key !== behaviour.apiKey) throw new AnthropicError(401, 'invalid x-api-key');
  const version = req.headers['anthropic-version'];
  if (typeof version !== 'string') throw invalid('anthropic-version: header is required');
  if (!VERSIONS.includes(version)) throw invalid(`anthropic-version: invalid version ${version}`);
  return version;
}

function replyText(messages: Json[], behaviour: AnthropicUpstreamBehaviour): string {
  if (behaviour.reply !== undefined) return behaviour.reply;
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const text = blocksOf(lastUser?.content)
    .map((b) => (b.type === 'text' ? String(b.text) : ''))
    .join('');
  return `echo: ${text}`;
}

function inputTokens(body: Json, messages: Json[]): number {
  const text = [JSON.stringify(body.system ?? ''), ...messages.map((m) => JSON.stringify(m.content))].join(' ');
  return text.split(/\s+/).filter(Boolean).length + 3 * messages.length;
}

interface Exchange {
  id: string;
  model: string;
  input: number;
  text: string;
  /** The stop sequence that ended the reply, if one did. */
  stopSequence: string | null;
  behaviour: AnthropicUpstreamBehaviour;
}

/** The reply cut at the first of the request's stop sequences it contains, as the real API does. */
function applyStopSequences(text: string, stops: unknown): { text: string; stopSequence: string | null } {
  const sequences = Array.isArray(stops) ? stops.filter((s): s is string => typeof s === 'string' && s !== '') : [];
  let cut: { at: number; sequence: string } | undefined;
  for (const sequence of sequences) {
    const at = text.indexOf(sequence);
    if (at !== -1 && (cut === undefined || at < cut.at)) cut = { at, sequence };
  }
  return cut ? { text: text.slice(0, cut.at), stopSequence: cut.sequence } : { text, stopSequence: null };
}

function stopReason(ex: Exchange): string {
  if (ex.behaviour.toolUse) return 'tool_use';
  return ex.stopSequence === null ? 'end_turn' : 'stop_sequence';
}

function thinkingBlocks(behaviour: AnthropicUpstreamBehaviour): Json[] {
  const blocks: Json[] =
    behaviour.thinking === undefined
      ? []
      : [{ type: 'thinking', thinking: behaviour.thinking, signature: stubSignature(behaviour.thinking) }];
  if (behaviour.redactedThinking !== undefined) blocks.push({ type: 'redacted_thinking', data: behaviour.redactedThinking });
  return blocks;
}

function usage(ex: Exchange, output: number): Json {
  return {
    input_tokens: ex.input,
    output_tokens: output,
    cache_creation_input_tokens: ex.behaviour.cacheCreationTokens ?? 0,
    cache_read_input_tokens: ex.behaviour.cacheReadTokens ?? 0,
    service_tier: 'standard',
  };
}

function message(ex: Exchange): Json {
  const tool = ex.behaviour.toolUse;
  const content: Json[] = [...thinkingBlocks(ex.behaviour), ...(ex.text === '' ? [] : [{ type: 'text', text: ex.text }])];
  if (tool) content.push({ type: 'tool_use', id: 'toolu_stub_1', name: tool.name, input: tool.input });
  return {
    id: ex.id,
    type: 'message',
    role: 'assistant',
    model: ex.model,
    content,
    stop_reason: stopReason(ex),
    stop_sequence: ex.stopSequence,
    ...(ex.behaviour.omitUsage ? {} : { usage: usage(ex, splitReply(ex.text, undefined).length) }),
  };
}

type StreamEvent = [name: string, data: Json];

/** A thinking block as Anthropic streams it: empty start, thinking_delta(s), then signature_delta just before the stop. */
function thinkingBlockEvents(block: Json, index: number): StreamEvent[] {
  if (block.type === 'redacted_thinking') {
    return [
      ['content_block_start', { type: 'content_block_start', index, content_block: block }],
      ['content_block_stop', { type: 'content_block_stop', index }],
    ];
  }
  return [
    ['content_block_start', { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } }],
    ...splitReply(String(block.thinking), 2).map(
      (thinking): StreamEvent => [
        'content_block_delta',
        { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking } },
      ],
    ),
    ['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: block.signature } }],
    ['content_block_stop', { type: 'content_block_stop', index }],
  ];
}

function textBlockEvents(ex: Exchange, pieces: string[], index: number): StreamEvent[] {
  const events: StreamEvent[] = [
    ['content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }],
    ['ping', { type: 'ping' }],
  ];
  pieces.forEach((text, i) => {
    if (ex.behaviour.errorAfterDeltas === i)
      events.push(['error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }]);
    events.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text } }]);
  });
  events.push(['content_block_stop', { type: 'content_block_stop', index }]);
  return events;
}

function toolBlockEvents(tool: NonNullable<AnthropicUpstreamBehaviour['toolUse']>, index: number): StreamEvent[] {
  const json = JSON.stringify(tool.input);
  const half = Math.ceil(json.length / 2);
  return [
    [
      'content_block_start',
      { type: 'content_block_start', index, content_block: { type: 'tool_use', id: 'toolu_stub_1', name: tool.name, input: {} } },
    ],
    ['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } }],
    ['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: json.slice(0, half) } }],
    ['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: json.slice(half) } }],
    ['content_block_stop', { type: 'content_block_stop', index }],
  ];
}

/** Anthropic's event sequence for one message, with the `event:` name of each. */
function streamEvents(ex: Exchange): StreamEvent[] {
  const { omitUsage, toolUse } = ex.behaviour;
  const pieces = splitReply(ex.text, ex.behaviour.deltas);
  const start = { ...message(ex), content: [], stop_reason: null, stop_sequence: null, ...(omitUsage ? {} : { usage: usage(ex, 1) }) };
  if (omitUsage) delete start.usage;
  const stop = {
    type: 'message_delta',
    delta: { stop_reason: stopReason(ex), stop_sequence: ex.stopSequence },
    ...(omitUsage ? {} : { usage: { output_tokens: pieces.length } }),
  };
  const thinking = thinkingBlocks(ex.behaviour);
  return [
    ['message_start', { type: 'message_start', message: start }],
    ...thinking.flatMap((block, i) => thinkingBlockEvents(block, i)),
    ...textBlockEvents(ex, pieces, thinking.length),
    ...(toolUse ? toolBlockEvents(toolUse, thinking.length + 1) : []),
    ['message_delta', stop],
    ['message_stop', { type: 'message_stop' }],
  ];
}

/** The events as SSE frames, with their `event:` names; nothing follows an `error` event, as on Anthropic's streams. */
function writeStream(exchange: StubExchange<AnthropicUpstreamBehaviour>, events: StreamEvent[]): Promise<void> {
  const { cutAfterEvents, delayMs } = exchange.behaviour;
  const errorAt = events.findIndex(([name]) => name === 'error');
  const sent = errorAt === -1 ? events : events.slice(0, errorAt + 1);
  const frames = sent.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  return writeEventStream(exchange, frames, { headers: REQUEST_ID, cutAfter: cutAfterEvents, delayMs, trailer: '' });
}

export async function startAnthropicUpstream(initial: AnthropicUpstreamBehaviour = {}): Promise<AnthropicUpstream> {
  let sequence = 0;

  async function handle(exchange: StubExchange<AnthropicUpstreamBehaviour>): Promise<void> {
    const { req, res, body, behaviour } = exchange;
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || (path !== '/v1/messages' && path !== '/v1/messages/count_tokens'))
      throw new AnthropicError(404, `Not found: ${req.method ?? ''} ${req.url ?? ''}`);
    const version = checkHeaders(req, behaviour);
    if (!isRecord(body)) throw invalid('The request body is not valid JSON.');
    if (path === '/v1/messages/count_tokens') {
      sendJson(res, 200, { input_tokens: inputTokens(body, validateRequest(body, version, true)) });
      return;
    }
    const messages = validateRequest(body, version);
    sequence++;
    const reply = applyStopSequences(replyText(messages, behaviour), body.stop_sequences);
    const ex: Exchange = {
      id: `msg_stub${sequence}`,
      model: body.model as string,
      input: inputTokens(body, messages),
      text: reply.text,
      stopSequence: reply.stopSequence,
      behaviour,
    };
    if (body.stream === true) {
      await writeStream(exchange, streamEvents(ex));
      return;
    }
    if (behaviour.delayMs) await exchange.pause(behaviour.delayMs);
    sendJson(res, 200, message(ex));
  }

  return startUpstreamStub({
    initial,
    basePath: '',
    handle,
    sendFailure: (res, failure) => {
      sendError(res, new AnthropicError(failure.status, failure.message), failure.headers);
    },
    sendThrown: (res, err) => {
      sendError(res, err instanceof AnthropicError ? err : new AnthropicError(500, 'The stub failed.'));
    },
  });
}
