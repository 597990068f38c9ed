// What Express costs the gateway per request, measured before anyone switches frameworks: the
// same minimal proxy (parse the JSON body, POST it upstream with undici, parse the answer, send
// it back as JSON) on Express 5 with express.json, as the gateway mounts it, and on bare
// node:http, each in a process of its own on core 0, under the same open-loop fixed-rate load.
//
//   node test/bench/http-framework.ts
//   RATES=500,1000,2000 SECONDS=5 ROUNDS=3 node test/bench/http-framework.ts
//
// The difference in CPU per request between the two is the most a faster server under the
// same routes could save; the gateway's own CPU per request (test/bench/gateway-peers.ts) says
// what share of it that is. Timings go to stdout only; the test suite never asserts on them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import { Pool } from 'undici';
import { REPO_ROOT, stopProcess } from '../harness/processes.ts';
import { startFastUpstream } from './support/fast-upstream.ts';
import { intEnv } from './support/env.ts';
import { nodeAttack, vegetaAttack, type Shot, type ShotResult } from './support/open-loop.ts';
import { processCpuSeconds } from './support/process-usage.ts';
import { percentile } from './support/stats.ts';

const RATES = (process.env.RATES ?? '500,1000,2000').split(',').map(Number);
const SECONDS = intEnv('SECONDS', 5);
const ROUNDS = intEnv('ROUNDS', 2);
const VEGETA = join(REPO_ROOT, '.bin/vegeta');
const CHILD = 'HTTP_FRAMEWORK_CHILD';
const BODY = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'What is the capital of France?' }] });

type Kind = 'express' | 'node-http';

/** The proxy both servers run: the gateway's minimum per request, without any of its features. */
function forwarder(upstreamUrl: string): (body: unknown) => Promise<unknown> {
  const url = new URL(`${upstreamUrl}/chat/completions`);
  const pool = new Pool(url.origin, { connections: 128, keepAliveTimeout: 60_000 });
  return async (body) => {
    const res = await pool.request({
      path: url.pathname,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return await res.body.json();
  };
}

async function serve(kind: Kind, upstreamUrl: string): Promise<void> {
  const forward = forwarder(upstreamUrl);
  let server: http.Server;
  if (kind === 'express') {
    const app = express();
    app.disable('x-powered-by');
    app.set('etag', false);
    app.post('/v1/chat/completions', express.json({ limit: '1mb' }), (req, res, next) => {
      forward(req.body).then((answer) => res.json(answer), next);
    });
    server = http.createServer(app);
  } else {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        forward(JSON.parse(Buffer.concat(chunks).toString('utf8')))
          .then((answer) => {
            const text = JSON.stringify(answer);
            res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
            res.end(text);
          })
          .catch(() => res.writeHead(502).end());
      });
    });
  }
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  console.log(`http://127.0.0.1:${String((server.address() as AddressInfo).port)}`);
  await new Promise<void>((resolve) => process.stdin.on('close', resolve).resume());
  server.close();
}

function pin(pid: number, core: number): void {
  if (navigator.hardwareConcurrency >= 2) spawnSync('taskset', ['-a', '-c', '-p', String(core), String(pid)]);
}

async function startServer(kind: Kind, upstreamUrl: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [import.meta.filename], {
    env: { ...process.env, [CHILD]: kind, UPSTREAM: upstreamUrl },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve) => {
    child.stdout.once('data', (chunk: Buffer) => {
      resolve(chunk.toString().trim());
    });
  });
  pin(child.pid ?? 0, 0);
  return { child, url };
}

async function load(shot: Shot, rate: number, dir: string): Promise<ShotResult[]> {
  return existsSync(VEGETA) ? vegetaAttack(VEGETA, shot, { rate, seconds: SECONDS }, dir) : nodeAttack(shot, rate, SECONDS);
}

interface Tally {
  seconds: number;
  requests: number;
  latencies: number[];
  errors: number;
}

type Servers = Map<Kind, { child: ChildProcess; url: string }>;

function shotFor(servers: Servers, kind: Kind): Shot {
  return {
    url: `${servers.get(kind)?.url ?? ''}/v1/chat/completions`,
    headers: { 'content-type': 'application/json' },
    bodies: [BODY],
    expect: 'Paris',
  };
}

/** One server at one rate, added to its tally. */
async function measureOne(run: { servers: Servers; tallies: Map<string, Tally>; dir: string }, kind: Kind, rate: number): Promise<void> {
  const { servers, tallies, dir } = run;
  await sleep(500);
  const pid = servers.get(kind)?.child.pid ?? 0;
  const before = processCpuSeconds(pid);
  const results = await load(shotFor(servers, kind), rate, dir);
  const key = `${kind} ${String(rate)}`;
  const tally = tallies.get(key) ?? { seconds: 0, requests: 0, latencies: [], errors: 0 };
  tally.seconds += processCpuSeconds(pid) - before;
  tally.requests += results.length;
  tally.latencies.push(...results.filter((r) => r.ok).map((r) => r.latencyMs));
  tally.errors += results.filter((r) => !r.ok).length;
  tallies.set(key, tally);
}

function report(tallies: Map<string, Tally>): void {
  console.log('server      rate   cpu ms/request   p50 ms   p99 ms   errors');
  const per = (kind: Kind, rate: number): number => {
    const t = tallies.get(`${kind} ${String(rate)}`);
    return t ? (t.seconds * 1000) / t.requests : Number.NaN;
  };
  for (const rate of RATES) {
    for (const kind of KINDS) {
      const t = tallies.get(`${kind} ${String(rate)}`);
      console.log(
        `${kind.padEnd(10)} ${String(rate).padStart(5)}   ${per(kind, rate).toFixed(3).padStart(14)}   ${percentile(t?.latencies ?? [], 50)
          .toFixed(2)
          .padStart(6)}   ${percentile(t?.latencies ?? [], 99)
          .toFixed(2)
          .padStart(6)}   ${String(t?.errors ?? 0).padStart(6)}`,
      );
    }
    console.log(
      `  express costs ${(per('express', rate) - per('node-http', rate)).toFixed(3)} ms more CPU per request at ${String(rate)}/s`,
    );
  }
}

const KINDS: readonly Kind[] = ['express', 'node-http'];

async function main(): Promise<void> {
  pin(process.pid, 1);
  const dir = mkdtempSync(join(tmpdir(), 'perpetual-framework-'));
  const upstream = await startFastUpstream();
  const servers: Servers = new Map();
  try {
    for (const kind of KINDS) servers.set(kind, await startServer(kind, upstream.url));
    for (const kind of KINDS) await load(shotFor(servers, kind), 200, dir); // warm-up
    const tallies = new Map<string, Tally>();
    const run = { servers, tallies, dir };
    // Every rate, rising, in every round; which server goes first alternates by round.
    const schedule = Array.from({ length: ROUNDS }, (_, round) =>
      RATES.flatMap((rate) => (round % 2 === 0 ? KINDS : [...KINDS].reverse()).map((kind) => ({ kind, rate }))),
    ).flat();
    for (const { kind, rate } of schedule) await measureOne(run, kind, rate);
    report(tallies);
  } finally {
    await Promise.allSettled([...servers.values()].map((s) => stopProcess(s.child)));
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const child = process.env[CHILD];
if (child === 'express' || child === 'node-http') await serve(child, process.env.UPSTREAM ?? '');
else await main();
