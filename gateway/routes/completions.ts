// POST /v1/completions: the legacy Completions API (prompt in, text out) that FIM and autocomplete
// tools still call, passed through to OpenAI-compatible upstreams (OpenAI, vLLM ModelServers, ...).
// It takes the chat path (chat/serve-chat.ts serveUpstream: routing with fallback, provider keys,
// in-flight and replica leases, accounting) but not memory: the prompt is raw text, often code
// around a cursor, and anything added to it would change what the model completes. server.ts
// lists what runs before: authentication, the body check (checkCompletionRequest), the rate limit.
import type { Request, Response } from 'express';
import { resolveModel } from '../chat/resolve-model.ts';
import { takeExtensions } from '../chat/validate-request.ts';
import { serveUpstream, type ChatDeps, type UpstreamCalls } from '../chat/serve-chat.ts';
import { GatewayError } from '../errors.ts';
import { bodyCheck } from '../protocols/body-check.ts';
import { CompletionRequest as CompletionRequestSchema } from '../protocols/openai/request-schemas.ts';
import { providerLabel, type CompletionResult, type ProviderTarget } from '../providers/provider-client.ts';
import type { Completion, CompletionRequest } from '../protocols/openai/types.ts';
import type { PromptParts } from '../routing/prefix-blocks.ts';
import { openAIDialect } from './chat-completions.ts';
import { callerOf, httpResponder } from './http-responder.ts';

/** The request's shape, against its schema (protocols/openai/request-schemas.ts). */
export const validateCompletionRequest = bodyCheck<CompletionRequest>(CompletionRequestSchema, {
  path: 'brackets',
  model: (problem) => `"model" ${problem.reason}`,
});

export function completionsUnsupported(target: Pick<ProviderTarget, 'kind' | 'providerName'>): GatewayError {
  return new GatewayError(
    `Provider "${providerLabel(target)}" has no legacy completions API. Send this model's requests to /v1/chat/completions, ` +
      'or use a model from an OpenAI-compatible provider or a ModelServer for /v1/completions.',
    { status: 400, type: 'invalid_request_error', code: 'completions_not_supported', param: 'model' },
  );
}

/**
 * Refuses at once a model whose provider has no legacy completions, before its provider key is
 * asked for: adding a key would not help. Unknown models are left to the shared path's 404.
 */
function checkLegacyCapable(deps: Pick<ChatDeps, 'config' | 'providerFor'>, model: string): void {
  let resolved;
  try {
    resolved = resolveModel(deps.config, model);
  } catch {
    return;
  }
  if (!deps.providerFor(resolved.kind).completions)
    throw completionsUnsupported({ kind: resolved.kind, ...(resolved.provider ? { providerName: resolved.provider } : {}) });
}

/** The legacy calls; a fallback model's provider may still lack them, hence the check here too. */
function legacyCalls(body: CompletionRequest, signal: AbortSignal): UpstreamCalls<CompletionResult, Completion> {
  return {
    json: (client, target) =>
      client.completions ? client.completions(body, target, signal) : Promise.reject(completionsUnsupported(target)),
    stream: (client, target) =>
      client.completionsStream ? client.completionsStream(body, target, signal) : Promise.reject(completionsUnsupported(target)),
    resultText: (result) => result.response.choices[0]?.text,
    chunkText: (chunk) => chunk.choices[0]?.text ?? '',
  };
}

const legacyDialect = openAIDialect<CompletionResult, Completion>();

/**
 * What prefix routing reads of a completion's prompt: its text, each prompt of a list in turn (a
 * shared leading file or instruction is hashed the same as in a single prompt). Token ids are left
 * unread: the gateway hashes text, and ids would never match a text prompt's blocks anyway.
 */
export function routingPrompt(prompt: CompletionRequest['prompt']): PromptParts | undefined {
  const texts = typeof prompt === 'string' ? [prompt] : prompt.filter((item): item is string => typeof item === 'string');
  return texts.length === 0 ? undefined : { messages: texts.map((content) => ({ role: 'prompt', content })) };
}

/** The body check server.ts lists before the rate limit: the request's shape, and a model that has legacy completions. */
export function checkCompletionRequest(deps: Pick<ChatDeps, 'config' | 'providerFor'>) {
  return (raw: unknown): CompletionRequest => {
    const body = validateCompletionRequest(raw);
    checkLegacyCapable(deps, body.model);
    return body;
  };
}

export function completionsRoute(deps: ChatDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const body = req.body as CompletionRequest;
    // The conversation id still pins a ModelServer replica (its prefix cache) and tags usage rows.
    const ext = { ...takeExtensions(body, (name) => req.get(name)), memory: { enabled: false, topK: undefined, conversationOnly: false } };
    const request = {
      model: body.model,
      stream: body.stream === true,
      ext,
      endpoint: 'completions' as const,
      // A shared prompt prefix (a code file's header, a few-shot preamble) sticks to the replica whose
      // vLLM caches it, as chat prompts do.
      prompt: routingPrompt(body.prompt),
      calls: (signal: AbortSignal) => legacyCalls(body, signal),
    };
    await serveUpstream(deps, callerOf(res), request, httpResponder(res, legacyDialect));
  };
}
