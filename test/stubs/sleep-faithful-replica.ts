// A vLLM replica in sleep mode as vLLM behaves: llm-d-inference-sim behind a loopback proxy.
// The simulator (started with --enable-sleep-mode and VLLM_SERVER_DEV_MODE=1) keeps the flag that
// /sleep, /wake_up and /is_sleeping read and write, but goes on answering chats while "asleep", and
// wakes at once. vLLM's documentation has the endpoints that need the weights answer 503 while
// asleep (released versions have been reported to fail them in other ways, vllm#15483), and
// answers /wake_up only once the weights are back on the GPU. This proxy does both: a 503 for
// /v1/chat/completions, /v1/completions and /v1/embeddings while the simulator says it sleeps, and
// `wakeMs` of delay before a /wake_up reaches it. Everything else is forwarded unchanged.
import { setTimeout as sleep } from 'node:timers/promises';
import { forward, listenLoopback, readBody } from './replica-proxy.ts';

export interface SleepFaithfulReplica {
  url: string;
  /** Inference requests answered 503 because the replica slept. */
  refusedAsleep: number;
  /** POST /wake_up calls. */
  wakeUps: number;
  /** Inference requests forwarded (the replica was awake). */
  served: number;
  close(): Promise<void>;
}

const NEEDS_WEIGHTS = ['/v1/chat/completions', '/v1/completions', '/v1/embeddings'];

async function isSleeping(upstream: string): Promise<boolean> {
  const body = (await (await fetch(`${upstream}/is_sleeping`)).json()) as { is_sleeping?: boolean };
  return body.is_sleeping === true;
}

export async function startSleepFaithfulReplica(upstream: string, options: { wakeMs: number }): Promise<SleepFaithfulReplica> {
  const stats = { refusedAsleep: 0, wakeUps: 0, served: 0 };
  const { url, close } = await listenLoopback(async (req, res) => {
    const body = await readBody(req);
    const path = req.url ?? '/';
    if (req.method === 'POST' && NEEDS_WEIGHTS.includes(path)) {
      if (await isSleeping(upstream)) {
        stats.refusedAsleep++;
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'The model is sleeping', type: 'ServiceUnavailableError', code: 503 } }));
        return;
      }
      stats.served++;
    }
    if (req.method === 'POST' && path.startsWith('/wake_up')) {
      stats.wakeUps++;
      await sleep(options.wakeMs);
    }
    await forward(upstream, req, body, res);
  });
  return {
    url,
    get refusedAsleep() {
      return stats.refusedAsleep;
    },
    get wakeUps() {
      return stats.wakeUps;
    },
    get served() {
      return stats.served;
    },
    close,
  };
}
