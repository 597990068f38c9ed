// The three calls the operator makes to a vLLM replica about adapters: which are loaded (GET
// /v1/models: an adapter is an entry whose `parent` is set, vLLM's and llm-d-inference-sim's
// shape), load one and unload one (vLLM's dynamic LoRA API, on with VLLM_ALLOW_RUNTIME_LORA_UPDATING).
// Each call is bounded by a timeout; failures are values carrying the server's own message.

export type CallResult = { ok: true } | { ok: false; message: string };
export type ListResult = { ok: true; adapters: Map<string, string> } | { ok: false; message: string };

/** An error body is small; more than this is not one. */
const MAX_MESSAGE = 1000;

function describe(err: unknown): string {
  if (err instanceof Error) return err.name === 'TimeoutError' ? 'no answer before the timeout' : err.message;
  return String(err);
}

/** The message in vLLM's error shapes ({error: {message}}, {message}, {detail}), else the body as text. */
export function serverMessage(status: number, body: string): string {
  let message = body.trim();
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown }; message?: unknown; detail?: unknown };
    const found = parsed.error?.message ?? parsed.message ?? parsed.detail;
    if (typeof found === 'string') message = found;
  } catch {
    // Not JSON: the text as it came.
  }
  return (message || `HTTP ${String(status)}`).slice(0, MAX_MESSAGE);
}

/** The adapters a replica serves, by name, with the path each was loaded from (`root`). */
export async function listAdapters(base: string, timeoutMs: number): Promise<ListResult> {
  try {
    const res = await fetch(`${base}/v1/models`, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    const text = await res.text();
    if (!res.ok) return { ok: false, message: serverMessage(res.status, text) };
    const parsed = JSON.parse(text) as { data?: { id?: unknown; root?: unknown; parent?: unknown }[] };
    const adapters = new Map<string, string>();
    for (const m of parsed.data ?? []) {
      if (typeof m.id === 'string' && typeof m.parent === 'string' && m.parent !== '')
        adapters.set(m.id, typeof m.root === 'string' ? m.root : '');
    }
    return { ok: true, adapters };
  } catch (err) {
    return { ok: false, message: describe(err) };
  }
}

async function post(url: string, body: object, timeoutMs: number): Promise<CallResult> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
    const text = await res.text();
    return res.ok ? { ok: true } : { ok: false, message: serverMessage(res.status, text) };
  } catch (err) {
    return { ok: false, message: describe(err) };
  }
}

/** vLLM answers 400 "has already been loaded" to a second load: that is the state we want, so success. */
export async function loadAdapter(base: string, name: string, path: string, timeoutMs: number): Promise<CallResult> {
  const result = await post(`${base}/v1/load_lora_adapter`, { lora_name: name, lora_path: path }, timeoutMs);
  return !result.ok && /already been loaded/i.test(result.message) ? { ok: true } : result;
}

/** An adapter the replica no longer has is what unloading wants, so "not found" is success too. */
export async function unloadAdapter(base: string, name: string, timeoutMs: number): Promise<CallResult> {
  const result = await post(`${base}/v1/unload_lora_adapter`, { lora_name: name }, timeoutMs);
  return !result.ok && /not found|cannot be found|does not exist/i.test(result.message) ? { ok: true } : result;
}
