// Open-loop, fixed-rate load: request i leaves at start + i/rate whatever the earlier ones are
// doing, as independent users' requests do, and its latency is counted from that scheduled
// instant. A closed loop (or a generator that waits for a free connection and starts the clock
// then) sends less when the server slows down and so never sees its own queue: coordinated
// omission, which hides exactly the tail a fixed-rate test is for.
//
// Two generators with the same result shape:
//   vegeta   (built from its Go module by hack/build-binaries.sh): the load generator of record,
//            cheap per request, so it disturbs the core it shares with the stub least;
//   node     undici in this process: measures time to the first body byte (streaming), which
//            vegeta does not report, and stands in for vegeta where it was not built.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';

/** One request, sent again and again: the same URL and headers, the bodies in turn. */
export interface Shot {
  url: string;
  headers: Record<string, string>;
  /** One or more bodies (e.g. one per end user), used round-robin. */
  bodies: readonly string[];
  /** A 200 whose body lacks this is an error too (a gateway that answers 200 with an error inside). */
  expect: string;
}

export interface ShotResult {
  /** From the scheduled send time to the last body byte. */
  latencyMs: number;
  /** From the scheduled send time to the first body byte (node generator only). */
  firstByteMs: number | undefined;
  ok: boolean;
  /** Status and message of a failure, for the report. */
  error: string | undefined;
}

/** How long a request may take before it counts as an error: far beyond any tail worth reporting. */
const TIMEOUT_SECONDS = 10;

/** Runs `vegeta attack` at `rate`/s for `seconds` and decodes its results (vegeta's latency is to the last byte). */
export async function vegetaAttack(
  vegeta: string,
  shot: Shot,
  { rate, seconds }: { rate: number; seconds: number },
  dir: string,
): Promise<ShotResult[]> {
  const targets = join(dir, 'targets.json');
  const output = join(dir, 'results.gob');
  const header = Object.fromEntries(Object.entries(shot.headers).map(([k, v]) => [k, [v]]));
  // vegeta takes the targets in turn, one line each.
  const lines = shot.bodies.map((body) =>
    JSON.stringify({ method: 'POST', url: shot.url, header, body: Buffer.from(body).toString('base64') }),
  );
  writeFileSync(targets, `${lines.join('\n')}\n`);
  const args = ['attack', '-format=json', `-targets=${targets}`, `-rate=${String(rate)}/1s`, `-duration=${String(seconds)}s`];
  // HTTP/1.1 keep-alive like every client of these gateways; unbounded workers keep it open-loop.
  args.push('-http2=false', '-keepalive=true', `-timeout=${String(TIMEOUT_SECONDS)}s`, `-output=${output}`);
  await exec(vegeta, args);
  const results: ShotResult[] = [];
  const decoder = spawn(vegeta, ['encode', '--to', 'json', output], { stdio: ['ignore', 'pipe', 'inherit'] });
  for await (const line of createInterface({ input: decoder.stdout })) {
    if (line === '') continue;
    const r = JSON.parse(line) as { code: number; latency: number; error: string; body: string | null };
    const body = r.body ? Buffer.from(r.body, 'base64').toString('utf8') : '';
    const ok = r.code === 200 && r.error === '' && body.includes(shot.expect);
    results.push({
      latencyMs: r.latency / 1e6,
      firstByteMs: undefined,
      ok,
      error: ok ? undefined : `${String(r.code)} ${r.error || body.slice(0, 200)}`,
    });
  }
  return results;
}

function exec(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args[0] ?? ''} exited with ${String(code)}`));
    });
  });
}

/**
 * The same schedule from this process with undici. Requests are started by a timer that catches
 * up on every request that is due (a late timer sends a burst, as a late client fleet would), and
 * each latency counts from its scheduled instant, so a slow event loop here is charged, not hidden.
 */
export async function nodeAttack(shot: Shot, rate: number, seconds: number): Promise<ShotResult[]> {
  const url = new URL(shot.url);
  // Enough connections that the pool never queues a request behind a busy one below collapse.
  const pool = new Pool(url.origin, { connections: 1024, pipelining: 1, keepAliveTimeout: 60_000 });
  const total = rate * seconds;
  const results: ShotResult[] = [];
  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  try {
    for (let i = 0; i < total; ) {
      const now = performance.now();
      for (; i < total && started + (i * 1000) / rate <= now; i++)
        inFlight.push(
          send(pool, url, shot, { body: shot.bodies[i % shot.bodies.length] ?? '', scheduled: started + (i * 1000) / rate }).then(
            (r) => void results.push(r),
          ),
        );
      const next = started + (i * 1000) / rate - performance.now();
      if (i < total && next > 0) await sleep(next);
    }
    await Promise.all(inFlight);
  } finally {
    await pool.close();
  }
  return results;
}

async function send(pool: Pool, url: URL, shot: Shot, { body, scheduled }: { body: string; scheduled: number }): Promise<ShotResult> {
  try {
    const res = await pool.request({
      path: url.pathname + url.search,
      method: 'POST',
      headers: shot.headers,
      body,
      headersTimeout: TIMEOUT_SECONDS * 1000,
      bodyTimeout: TIMEOUT_SECONDS * 1000,
    });
    let firstByteMs: number | undefined;
    let text = '';
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      firstByteMs ??= performance.now() - scheduled;
      text += chunk.toString('utf8');
    }
    const latencyMs = performance.now() - scheduled;
    const ok = res.statusCode === 200 && text.includes(shot.expect);
    return {
      latencyMs,
      firstByteMs: firstByteMs ?? latencyMs,
      ok,
      error: ok ? undefined : `${String(res.statusCode)} ${text.slice(0, 200)}`,
    };
  } catch (err) {
    return { latencyMs: performance.now() - scheduled, firstByteMs: undefined, ok: false, error: String(err) };
  }
}
