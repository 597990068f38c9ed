// protocols/openai/: the OpenAI protocol, which is also the gateway's internal format: its wire
// types (this file) and the reading of an OpenAI-compatible stream chunk by chunk (stream.ts).
// Other protocols translate to and from these types (protocols/anthropic/).
//
// OpenAI Chat Completions and Embeddings wire types, which every route and provider adapter speaks
// inside the gateway (other client dialects are translated to them). Fields we read are typed strictly; every object keeps an index signature so fields we
// do not know (new OpenAI parameters, vendor extensions such as vLLM's) pass through untouched.

export interface TextContentPart {
  type: 'text';
  text: string;
  [key: string]: unknown;
}

export interface ImageContentPart {
  type: 'image_url';
  image_url: { url: string; detail?: 'auto' | 'low' | 'high'; [key: string]: unknown };
  [key: string]: unknown;
}

export interface InputAudioContentPart {
  type: 'input_audio';
  input_audio: { data: string; format: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface FileContentPart {
  type: 'file';
  file: { file_data?: string; file_id?: string; filename?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface RefusalContentPart {
  type: 'refusal';
  refusal: string;
  [key: string]: unknown;
}

/**
 * Not OpenAI's: an Anthropic `document` block (PDF or plain text, base64, URL or inline) carried
 * whole from the /v1/messages ingress to an Anthropic upstream. Other upstreams refuse it.
 */
export interface DocumentContentPart {
  type: 'document';
  source: Record<string, unknown>;
  [key: string]: unknown;
}

export type UserContentPart = TextContentPart | ImageContentPart | InputAudioContentPart | FileContentPart | DocumentContentPart;

/**
 * A block of the model's reasoning as Anthropic returns it, kept whole (signature included) so it
 * can go back to Anthropic unchanged in a later turn, which tool use with thinking requires.
 * Carried on assistant messages as `thinking_blocks`, the name LiteLLM uses for the same thing.
 */
export type ThinkingBlock = { type: 'thinking'; thinking: string; signature: string } | { type: 'redacted_thinking'; data: string };

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface SystemMessage {
  role: 'system' | 'developer';
  content: string | TextContentPart[];
  name?: string;
  [key: string]: unknown;
}

export interface UserMessage {
  role: 'user';
  content: string | UserContentPart[];
  name?: string;
  [key: string]: unknown;
}

export interface AssistantMessage {
  role: 'assistant';
  content?: string | (TextContentPart | RefusalContentPart)[] | null;
  tool_calls?: ToolCall[] | null;
  refusal?: string | null;
  name?: string;
  /** The reasoning text, as vLLM and DeepSeek return it and read it back. */
  reasoning_content?: string | null;
  /** Anthropic's reasoning blocks with their signatures (see ThinkingBlock). */
  thinking_blocks?: ThinkingBlock[];
  [key: string]: unknown;
}

export interface ToolMessage {
  role: 'tool';
  content: string | TextContentPart[];
  tool_call_id: string;
  [key: string]: unknown;
}

export type ChatMessage = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

export interface FunctionTool {
  type: 'function';
  function: {
    name: string;
    description?: string;
    /** JSON Schema of the arguments. */
    parameters?: Record<string, unknown>;
    strict?: boolean | null;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export type ToolChoice =
  | 'none'
  | 'auto'
  | 'required'
  | { type: 'function'; function: { name: string; [key: string]: unknown }; [key: string]: unknown };

export interface ResponseFormat {
  type: 'text' | 'json_object' | 'json_schema';
  [key: string]: unknown;
}

export interface StreamOptions {
  include_usage?: boolean | null;
  [key: string]: unknown;
}

export interface ChatCompletionRequest {
  /** The model name the client asked for (the gateway's name, not the upstream's). */
  model: string;
  messages: ChatMessage[];
  stream?: boolean | null;
  stream_options?: StreamOptions | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  stop?: string | string[] | null;
  user?: string;
  n?: number | null;
  response_format?: ResponseFormat;
  tools?: FunctionTool[];
  tool_choice?: ToolChoice;
  parallel_tool_calls?: boolean;
  [key: string]: unknown;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number; [key: string]: unknown } | null;
  completion_tokens_details?: { reasoning_tokens?: number; [key: string]: unknown } | null;
  [key: string]: unknown;
}

export interface ResponseMessage {
  role: 'assistant';
  content: string | null;
  tool_calls?: ToolCall[];
  refusal?: string | null;
  /** The model's reasoning text: vLLM's and DeepSeek's field, also filled from Anthropic's thinking. */
  reasoning_content?: string | null;
  /** Anthropic's reasoning blocks with their signatures, to send back in the next turn. */
  thinking_blocks?: ThinkingBlock[];
  [key: string]: unknown;
}

export interface ChatCompletionChoice {
  index: number;
  message: ResponseMessage;
  finish_reason: FinishReason | null;
  logprobs?: unknown;
  [key: string]: unknown;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: ChatCompletionChoice[];
  usage?: Usage;
  system_fingerprint?: string | null;
  [key: string]: unknown;
}

export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface ChunkDelta {
  role?: 'assistant';
  content?: string | null;
  tool_calls?: ToolCallDelta[];
  refusal?: string | null;
  /** Reasoning text, appended to the current thinking block (vLLM's and DeepSeek's field). */
  reasoning_content?: string | null;
  /** Anthropic: the signature that closes the current thinking block. */
  reasoning_signature?: string;
  /** Anthropic: one whole redacted_thinking block's opaque data. */
  redacted_thinking?: string;
  [key: string]: unknown;
}

export interface ChunkChoice {
  index: number;
  delta: ChunkDelta;
  finish_reason: FinishReason | null;
  logprobs?: unknown;
  [key: string]: unknown;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: ChunkChoice[];
  /** Null on every chunk but the last when usage was asked for; absent when it was not. */
  usage?: Usage | null;
  system_fingerprint?: string | null;
  [key: string]: unknown;
}

export interface EmbeddingsRequest {
  model: string;
  input: string | string[] | number[] | number[][];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
  [key: string]: unknown;
}

export interface Embedding {
  object: 'embedding';
  index: number;
  /** Floats, or a base64 string of little-endian float32 when encoding_format is "base64". */
  embedding: number[] | string;
  [key: string]: unknown;
}

export interface EmbeddingsResponse {
  object: 'list';
  data: Embedding[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number; [key: string]: unknown };
  [key: string]: unknown;
}

/** The legacy Completions API (/v1/completions): raw text in, raw text out, as FIM and autocomplete tools use it. */
export interface CompletionRequest {
  model: string;
  /** Text, texts, token ids, or lists of token ids. */
  prompt: string | string[] | number[] | number[][];
  stream?: boolean | null;
  stream_options?: StreamOptions | null;
  [key: string]: unknown;
}

export interface CompletionChoice {
  index: number;
  text: string;
  finish_reason: 'stop' | 'length' | 'content_filter' | null;
  logprobs?: unknown;
  [key: string]: unknown;
}

/** A completion, and also each chunk of a streamed one (the same object, with partial text). */
export interface Completion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: CompletionChoice[];
  usage?: Usage | null;
  system_fingerprint?: string | null;
  [key: string]: unknown;
}
