// protocols/anthropic/: the Anthropic Messages protocol, both ways round the gateway's internal
// OpenAI chat format. This file holds its wire types; upstream/ translates a chat request for an
// Anthropic upstream and its reply (message or events) back to chat; ingress/ takes a Messages
// request from a client to chat and the chat reply back to a message, events and errors.
//
// Anthropic Messages API wire types (POST /v1/messages, anthropic-version 2023-06-01), as far as
// the translation reads or writes them. Response types stay loose: new block and event types
// appear over time and must be ignored, not rejected.

export interface AnthropicCacheControl {
  type: 'ephemeral';
  [key: string]: unknown;
}

export interface AnthropicTextBlock {
  type: 'text';
  text: string;
  cache_control?: AnthropicCacheControl;
}

export interface AnthropicImageBlock {
  type: 'image';
  source: { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string };
}

export interface AnthropicToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: Record<string, unknown>;
}

export interface AnthropicToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content: string | AnthropicTextBlock[];
}

export interface AnthropicDocumentBlock {
  type: 'document';
  source: Record<string, unknown>;
  [key: string]: unknown;
}

export interface AnthropicThinkingBlock {
  type: 'thinking';
  thinking: string;
  signature: string;
}

export interface AnthropicRedactedThinkingBlock {
  type: 'redacted_thinking';
  data: string;
}

export type AnthropicRequestBlock =
  | AnthropicTextBlock
  | AnthropicImageBlock
  | AnthropicDocumentBlock
  | AnthropicToolUseBlock
  | AnthropicToolResultBlock
  | AnthropicThinkingBlock
  | AnthropicRedactedThinkingBlock;

export interface AnthropicMessageParam {
  role: 'user' | 'assistant';
  content: AnthropicRequestBlock[];
}

export interface AnthropicTool {
  name: string;
  description?: string;
  input_schema: Record<string, unknown>;
}

export type AnthropicToolChoice =
  | { type: 'auto' | 'any' | 'none'; disable_parallel_tool_use?: boolean }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean };

export interface AnthropicRequest {
  model: string;
  max_tokens: number;
  messages: AnthropicMessageParam[];
  system?: string | AnthropicTextBlock[];
  stop_sequences?: string[];
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stream?: boolean;
  tools?: AnthropicTool[];
  tool_choice?: AnthropicToolChoice;
  metadata?: { user_id?: string };
  thinking?: unknown;
  service_tier?: 'auto' | 'standard_only';
}

/** POST /v1/messages/count_tokens: the message request without its generation settings. */
export type AnthropicCountTokensRequest = Pick<AnthropicRequest, 'model' | 'messages' | 'system' | 'tools' | 'tool_choice' | 'thinking'>;

export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  [key: string]: unknown;
}

/** A response content block; text, tool_use, thinking and redacted_thinking are read, others are skipped. */
export interface AnthropicResponseBlock {
  type: string;
  text?: unknown;
  id?: unknown;
  name?: unknown;
  input?: unknown;
  [key: string]: unknown;
}

export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: AnthropicResponseBlock[];
  stop_reason: string | null;
  stop_sequence?: string | null;
  usage?: AnthropicUsage;
  [key: string]: unknown;
}

/** A streaming event's JSON payload, keyed by its `type`. */
export interface AnthropicStreamEvent {
  type: string;
  message?: Partial<AnthropicMessage>;
  index?: number;
  content_block?: AnthropicResponseBlock;
  delta?: {
    type?: string;
    text?: unknown;
    partial_json?: unknown;
    thinking?: unknown;
    signature?: unknown;
    stop_reason?: string | null;
    stop_sequence?: string | null;
    [key: string]: unknown;
  };
  usage?: AnthropicUsage;
  error?: { type?: string; message?: string };
  [key: string]: unknown;
}
