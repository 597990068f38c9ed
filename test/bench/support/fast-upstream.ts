// The upstream for gateway benchmarks that measure the gateway, not the upstream: an
// OpenAI-shaped /chat/completions that answers at once with fixed bytes, JSON or SSE (with the
// usage chunk), built once at start. It does not validate or record anything (the protocol stubs
// in test/stubs do, and cost more per request than a fast gateway: they would be the bottleneck).
//
//   node test/bench/support/fast-upstream.ts     prints its base URL (ending in /v1) and serves
//                                                until stdin closes or SIGTERM
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const FAST_REPLY = 'Hello! The capital of France is Paris. Anything else I can help you with today?';

const USAGE = { prompt_tokens: 24, completion_tokens: 18, total_tokens: 42 };

function completionJson(model: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      id: 'chatcmpl-bench',
      object: 'chat.completion',
      created: 1_700_000_000,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: FAST_REPLY }, finish_reason: 'stop', logprobs: null }],
      usage: USAGE,
    }),
  );
}

/** Three content deltas, the finish chunk, the usage chunk and [DONE]: what OpenAI sends with include_usage. */
function completionStream(model: string): Buffer {
  const chunk = (choices: unknown[], usage: unknown = null): string =>
    `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000, model, choices, usage })}\n\n`;
  const words = FAST_REPLY.split(/(?<= )/);
  const third = Math.ceil(words.length / 3);
  const parts = [words.slice(0, third), words.slice(third, 2 * third), words.slice(2 * third)].map((w) => w.join(''));
  return Buffer.from(
    [
      chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
      ...parts.map((content) => chunk([{ index: 0, delta: { content }, finish_reason: null }])),
      chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
      chunk([], USAGE),
      'data: [DONE]\n\n',
    ].join(''),
  );
}

export interface FastUpstream {
  /** Base URL in the OpenAI SDK's convention, ending in /v1. */
  url: string;
  close(): Promise<void>;
}

/** Serves on a free loopback port. The model name in replies is fixed: gateways do not check it. */
export async function startFastUpstream(model = 'gpt-4o-mini'): Promise<FastUpstream> {
  const json = completionJson(model);
  const sse = completionStream(model);
  const server = http.createServer({ keepAliveTimeout: 120_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found","type":"invalid_request_error"}}');
        return;
      }
      // A byte search, not JSON.parse: the stub's own CPU should stay small next to the gateway's.
      const streaming = Buffer.concat(chunks).includes('"stream":true');
      const body = streaming ? sse : json;
      // As OpenAI sends them: JSON with a length, an event stream chunked.
      res.writeHead(
        200,
        streaming
          ? { 'content-type': 'text/event-stream; charset=utf-8', 'x-request-id': 'req_bench' }
          : { 'content-type': 'application/json', 'content-length': body.length, 'x-request-id': 'req_bench' },
      );
      res.end(body);
    });
  });
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}/v1`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

if (import.meta.main) {
  const upstream = await startFastUpstream();
  console.log(upstream.url);
  await new Promise<void>((resolve) => {
    process.stdin.on('close', resolve).resume();
    process.once('SIGTERM', resolve);
  });
  await upstream.close();
}
