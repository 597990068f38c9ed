// What the vLLM-fidelity proxies in front of llm-d-inference-sim share (lora-refusing-replica.ts,
// sleep-faithful-replica.ts): read a request's body, pass a request on to the simulator unchanged,
// and listen on a loopback port until closed.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Sends the request on to `upstream` as it came (but hop-by-hop headers) and its answer back. */
export async function forward(upstream: string, req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<void> {
  const headers = Object.fromEntries(
    Object.entries(req.headers).filter(
      (e): e is [string, string] => typeof e[1] === 'string' && !['host', 'content-length', 'connection'].includes(e[0]),
    ),
  );
  const answer = await fetch(`${upstream}${req.url ?? '/'}`, {
    method: req.method ?? 'GET',
    headers,
    ...(body.length > 0 ? { body } : {}),
  });
  const out = Buffer.from(await answer.arrayBuffer());
  res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
  res.end(out);
}

/** Serves `handler` on a loopback port; a handler that throws answers 502 with the error. */
export async function listenLoopback(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      res.writeHead(502);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
