// The tier's maxOutputTokens is the most a request may generate, not only what it reserves: a
// request asking for more (max_tokens, max_completion_tokens, max_output_tokens) is sent upstream
// with the cap instead, and a chat or legacy completion naming none is given the cap. Otherwise a
// model could generate past the reservation (ratelimit/token-reservation.ts) and the one-
// reservation bound on token limits and money budgets would not hold. A tier without
// maxOutputTokens changes nothing. Anthropic's /messages always names max_tokens; an embedding
// generates nothing.
const FIELDS = ['max_completion_tokens', 'max_tokens', 'max_output_tokens'] as const;

/** The field a request without any limit gets, by endpoint (path under the API prefix). */
function fieldFor(path: string): (typeof FIELDS)[number] | undefined {
  if (path.endsWith('/chat/completions')) return 'max_completion_tokens';
  if (path.endsWith('/completions')) return 'max_tokens';
  if (path.endsWith('/responses')) return 'max_output_tokens';
  if (path.endsWith('/messages')) return 'max_tokens';
  return undefined;
}

/** Lowers every output limit of `body` above `cap` to it, in place, and adds one when there is none. Returns whether it changed anything. */
export function capOutputTokens(path: string, body: unknown, cap: number | undefined): boolean {
  if (cap === undefined || typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const fields = body as Record<string, unknown>;
  let changed = false;
  let named = false;
  for (const name of FIELDS) {
    const value = fields[name];
    if (typeof value !== 'number') continue;
    named = true;
    if (value > cap) {
      fields[name] = cap;
      changed = true;
    }
  }
  const field = named ? undefined : fieldFor(path);
  if (field) {
    fields[field] = cap;
    changed = true;
  }
  return changed;
}
