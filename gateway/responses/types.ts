// OpenAI Responses API wire types, as far as this gateway speaks them: function tools, text and
// image input, text output, function calls and their outputs, reasoning items. Items are kept in the full shape
// the API returns (ids, status), which is also how they are stored and listed by input_items.

export type Json = Record<string, unknown>;

export interface InputText {
  type: 'input_text';
  text: string;
}

export interface InputImage {
  type: 'input_image';
  image_url: string;
  detail: 'auto' | 'low' | 'high';
}

export interface OutputText {
  type: 'output_text';
  text: string;
  annotations: unknown[];
}

export interface OutputRefusal {
  type: 'refusal';
  refusal: string;
}

export type MessageContent = InputText | InputImage | OutputText | OutputRefusal;

export interface MessageItem {
  id: string;
  type: 'message';
  role: 'user' | 'system' | 'developer' | 'assistant';
  status: 'in_progress' | 'completed' | 'incomplete';
  content: MessageContent[];
}

export interface FunctionCallItem {
  id: string;
  type: 'function_call';
  call_id: string;
  name: string;
  arguments: string;
  status: 'in_progress' | 'completed' | 'incomplete';
}

export interface FunctionCallOutputItem {
  id: string;
  type: 'function_call_output';
  call_id: string;
  /** A string, or text parts (images in tool outputs are not supported). */
  output: string | InputText[];
  status: 'completed';
}

/**
 * A reasoning model's thinking, as OpenAI returns it. Only an upstream that speaks the Responses
 * API produces or reads one, and only with its `encrypted_content` (stateless use): the chat path
 * leaves reasoning items out of what it sends.
 */
export interface ReasoningItem {
  id: string;
  type: 'reasoning';
  summary: { type: 'summary_text'; text: string }[];
  encrypted_content?: string | null;
  [field: string]: unknown;
}

/** An item of a response's context: what input_items lists, and what a continuation starts from. */
export type ContextItem = MessageItem | FunctionCallItem | FunctionCallOutputItem | ReasoningItem;

/** What the model produced. */
export type OutputItem = (MessageItem & { role: 'assistant' }) | FunctionCallItem | ReasoningItem;

export interface FunctionToolParam {
  type: 'function';
  name: string;
  description?: string | null;
  parameters?: Json | null;
  strict?: boolean | null;
}

export type ToolChoiceParam = 'none' | 'auto' | 'required' | { type: 'function'; name: string };

export type TextFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Json; description?: string; strict?: boolean | null };

export interface ReasoningParam {
  effort?: string | null;
  summary?: string | null;
}

/** A checked POST /v1/responses body (validate.ts). */
export interface ResponsesRequest {
  model: string;
  input: string | Json[];
  instructions?: string | null;
  tools?: FunctionToolParam[];
  tool_choice?: ToolChoiceParam;
  parallel_tool_calls?: boolean;
  text?: { format?: TextFormat };
  reasoning?: ReasoningParam;
  store?: boolean;
  previous_response_id?: string;
  stream?: boolean;
  max_output_tokens?: number;
  temperature?: number;
  top_p?: number;
  user?: string;
  safety_identifier?: string;
  metadata?: Record<string, string>;
  [field: string]: unknown;
}

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed';

export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponseStatus;
  completed_at: number | null;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  instructions: string | null;
  max_output_tokens: number | null;
  model: string;
  output: OutputItem[];
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  reasoning: { effort: string | null; summary: string | null };
  store: boolean;
  temperature: number | null;
  text: { format: TextFormat };
  tool_choice: ToolChoiceParam;
  tools: FunctionToolParam[];
  top_p: number | null;
  truncation: 'disabled';
  usage: ResponseUsage | null;
  user: string | null;
  safety_identifier: string | null;
  metadata: Record<string, string>;
}

/** One server-sent event of a streamed response; `type` is also the SSE event name. */
export interface ResponseStreamEvent {
  type: string;
  sequence_number: number;
  [field: string]: unknown;
}
