// A loopback server that answers /metrics and /prometheus with whatever text the test sets: a fake
// gateway exporting perpetual_queued_requests, or a "vLLM" that leaves a gauge out.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MetricsServer {
  url: string;
  /** Replaces the exposition text served from now on. */
  set(text: string): void;
  /** Requests answered so far. */
  hits(): number;
  stop(): Promise<void>;
}

export async function startMetricsServer(initial: string): Promise<MetricsServer> {
  let text = initial;
  let hits = 0;
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' && path !== '/prometheus') {
      res.writeHead(404).end();
      return;
    }
    hits++;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`,
    set: (next) => {
      text = next;
    },
    hits: () => hits,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
