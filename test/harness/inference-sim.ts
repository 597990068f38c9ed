// llm-d-inference-sim, the vLLM stand-in: an OpenAI-compatible server with vLLM's /metrics, on loopback.
// A made-up model name plus --force-dummy-tokenizer keeps it offline (it never asks a model hub).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binary, freePort, startProcess, waitFor } from './processes.ts';

export interface InferenceSimOptions {
  model?: string;
  /** `echo` answers with the last user message; `random` with canned sentences. */
  mode?: 'echo' | 'random';
  /** Seconds /health/ready answers 503, as a vLLM server loading weights. */
  startupSeconds?: number;
  /** Forced values for vllm:* gauges, e.g. {"running-requests": 5}. */
  fakeMetrics?: Record<string, unknown>;
  /** Simulate vLLM's prefix cache: prompt blocks reused across requests, counted in vllm:prefix_cache_hits, and prefill time spent only on the rest. */
  kvCache?: { blocks: number; blockSize?: 8 | 16 | 32 | 64 | 128 };
  /** More simulator flags (latencies, --max-num-seqs, ...). */
  args?: readonly string[];
  /** More environment, e.g. VLLM_SERVER_DEV_MODE=1 (with --enable-sleep-mode: /sleep and /wake_up). */
  env?: Readonly<Record<string, string>>;
}

export interface InferenceSim {
  url: string;
  model: string;
  stop(): Promise<void>;
}

export async function startInferenceSim(options: InferenceSimOptions = {}): Promise<InferenceSim> {
  const model = options.model ?? 'perpetual-test/sim-7b';
  const dir = mkdtempSync(join(tmpdir(), 'perpetual-sim-'));
  const port = await freePort();
  const service = startProcess({
    name: 'llm-d-inference-sim',
    command: binary('llm-d-inference-sim'),
    args: [
      `--model=${model}`,
      `--port=${String(port)}`,
      '--force-dummy-tokenizer',
      `--mode=${options.mode ?? 'echo'}`,
      ...(options.startupSeconds ? [`--startup-duration=${String(options.startupSeconds)}s`] : []),
      ...(options.fakeMetrics ? [`--fake-metrics=${JSON.stringify(options.fakeMetrics)}`] : []),
      // KV events would go to a ZMQ endpoint; an empty one publishes none.
      ...(options.kvCache
        ? [
            '--enable-kvcache',
            `--kv-cache-size=${String(options.kvCache.blocks)}`,
            `--block-size=${String(options.kvCache.blockSize ?? 16)}`,
            '--zmq-endpoint=',
          ]
        : []),
      ...(options.args ?? []),
    ],
    // The simulator's KV cache wants the pod's IP, as in a cluster.
    env: { ...(options.kvCache ? { POD_IP: '127.0.0.1' } : {}), ...options.env },
    logDir: dir,
  });
  const url = `http://127.0.0.1:${String(port)}`;
  // /health answers as soon as the server listens; /health/ready waits out the simulated weight load.
  await waitFor('llm-d-inference-sim', async () => (await fetch(`${url}/health`)).ok, { timeoutMs: 20_000, service });
  return {
    url,
    model,
    stop: async () => {
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
