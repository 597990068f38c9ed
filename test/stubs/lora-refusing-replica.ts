// A vLLM replica that refuses some LoRA adapters: llm-d-inference-sim behind a loopback proxy.
// The simulator accepts every /v1/load_lora_adapter (it only records the name), so it cannot show
// how the operator and the gateway handle a refused adapter; vLLM refuses one whose files it cannot
// find. This proxy answers a load whose lora_path contains `refusePath` the way vLLM does (404,
// NotFoundError, "Loading lora <name> failed: No adapter found for <path>") and forwards everything
// else unchanged. It records the `model` of every completion request, so tests can see what the
// replica was asked for.
import { forward, listenLoopback, readBody } from './replica-proxy.ts';

export interface RefusingReplica {
  url: string;
  /** The `model` of each chat or text completion request, in order. */
  models: string[];
  /** `METHOD path` of every request it received, in order. */
  calls: string[];
  close(): Promise<void>;
}

/** The message vLLM's serving_models.py gives for an adapter path it cannot load. */
export function vllmNoAdapterMessage(name: string, path: string): string {
  return `Loading lora ${name} failed: No adapter found for ${path}`;
}

/** `models` may be shared by several replicas, to see the order of requests across them. */
export async function startRefusingReplica(upstream: string, refusePath: string, models: string[] = []): Promise<RefusingReplica> {
  const calls: string[] = [];
  const { url, close } = await listenLoopback(async (req, res) => {
    const body = await readBody(req);
    const path = req.url ?? '/';
    calls.push(`${req.method ?? ''} ${path}`);
    const json = (): Record<string, unknown> => {
      try {
        return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      } catch {
        return {};
      }
    };
    if (req.method === 'POST' && path === '/v1/load_lora_adapter') {
      const { lora_name: name, lora_path: loraPath } = json();
      if (typeof loraPath === 'string' && loraPath.includes(refusePath)) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: { message: vllmNoAdapterMessage(String(name), loraPath), type: 'NotFoundError', param: null, code: 404 },
          }),
        );
        return;
      }
    }
    if (req.method === 'POST' && path.endsWith('/completions')) {
      const { model } = json();
      if (typeof model === 'string') models.push(model);
    }
    await forward(upstream, req, body, res);
  });
  return { url, models, calls, close };
}
