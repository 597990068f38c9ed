// What long-term memory adds to a chat request's latency, with 10k memories per user (100k stored
// across 10 users by default).
//
//   node test/bench/memory-latency.ts
//   SIZES=10000,100000 USERS=10 REQUESTS=500 node test/bench/memory-latency.ts
//   QDRANT_URL=http://127.0.0.1:6333 node test/bench/memory-latency.ts     (a Qdrant already running on loopback)
//   QDRANT_TARGET=emulator node test/bench/memory-latency.ts               (the emulator even when the server binary is there)
//
// The vector store is the real Qdrant server started for the run from its binary beside the
// repository (../shared/qdrant/qdrant or QDRANT_BINARY) when there is one, else the emulator;
// the report names which. Recall is hybrid (dense and lexical prefetches fused by RRF, as
// QdrantMemoryStore.search sends it), with the deployment defaults of gateway/config.ts.
//
// Everything runs on loopback and is started and stopped here: a private PostgreSQL and Redis,
// the gateway as a real process (LOG_LEVEL=warn, memory on with the built-in embedder and the
// deployment defaults), the OpenAI upstream stub answering instantly and the Qdrant emulator (both
// in this process, as startStack runs them for the tests). One enterprise user with a stored OpenAI
// key is measured.
//
// The user's memories are loaded straight into the vector store before measuring: short
// synthetic exchanges (a user turn and the assistant's reply, from a seeded PRNG), embedded with
// the built-in embedder and stored with the store's own point ids and payloads (preparePoint), in
// the collection the gateway created at start-up. USERS users share the collection, round-robin by
// exchange: the measured user owns 1/USERS of the points, the rest belong to others, so the tenant
// filter has work to do. Sizes are loaded in increasing order (the 100k set contains the 10k one).
// With the emulator, points go in through its `seed` (no HTTP; dense and lexical vectors as
// preparePoint makes them); with a real Qdrant, through QdrantMemoryStore.upsert, into a
// collection of its own that is deleted at the end.
//
// For each size, after warm-up pairs that are not counted, REQUESTS pairs of the same chat request
// (a system prompt and one user question about things the user said before), sent sequentially:
//   memory on   the deployment default (no memory header): recall before the upstream call;
//   memory off  `x-perpetual-memory: off`: no recall.
// The two alternate request by request and the pair's order flips every time, so machine noise
// hits both alike. Added latency = percentile(on) - percentile(off), which is not a per-request
// difference. Also reported: the gateway's own x-perpetual-retrieval-ms (the recall: embedding the
// question and the vector search, round trip included) and x-perpetual-overhead-ms (everything
// before the upstream call) for both arms; and, to split retrieval into its parts, the built-in
// embedder timed on the same questions in this process, and the same search the store sends
// (the hybrid query: the scope filter in both prefetches and at the root, the store's candidate
// count for top-k, the dense threshold) sent directly from here, with the vector store's
// own processing time (the `time` field of Qdrant's answer).
//
// Both arms store the exchange afterwards (`off` turns recall off, not remembering), so the
// collection grows by about two points per request; every CLEANUP_EVERY pairs the points written
// during the run (created_at after the start) are deleted again, outside the timed requests, to
// keep the store at the stated size.
//
// With the emulator, the vector search is an exact linear scan in Node in this process (every
// point's payload checked against the filter, a dot product for each of the user's points), not
// Qdrant's HNSW with a tenant index: search figures at 100k are the emulator's, not Qdrant's.
// Timings go to stdout only; the test suite never asserts on them.
import { cpuSnapshot, type Cpu } from './support/cpu.ts';
import { pick, prng, type Rng } from './support/prng.ts';
import { percentile, round3 } from './support/stats.ts';
import { createHash, randomUUID } from 'node:crypto';
import { Pool } from 'undici';
import { BUILTIN_EMBEDDER_ID, createBuiltinEmbedder, type BuiltinEmbedder } from '../../gateway/memory/embedding/builtin-embedder.ts';
import { DEFAULT_MEMORY } from '../../gateway/config.ts';
import { queryLexicalVector } from '../../gateway/memory/embedding/lexical-vector.ts';
import { candidateCount, DENSE_MIN_SCORE } from '../../gateway/memory/memory-service.ts';
import { collectionName } from '../../gateway/memory/store/collection-name.ts';
import { LEXICAL_VECTOR } from '../../gateway/memory/store/ensure-collection.ts';
import { preparePoint, type NewMemory } from '../../gateway/memory/store/memory-payload.ts';
import { QdrantMemoryStore } from '../../gateway/memory/store/qdrant-memory-store.ts';
import { scopeFilter, tenantFilter } from '../../gateway/memory/store/tenant-filter.ts';
import { startPostgres, type Postgres } from '../harness/postgres.ts';
import { startQdrantServer, type QdrantServer } from '../harness/qdrant.ts';
import { startRedis, type Redis } from '../harness/redis.ts';
import type { QdrantEmulator, SeedPoint } from '../stubs/qdrant-emulator.ts';
import { startStack, USER_OPENAI_KEY, type Stack } from '../support/gateway-stack.ts';
import { intEnv } from './support/env.ts';

function sizesEnv(): number[] {
  const raw = process.env.SIZES;
  const sizes = raw ? raw.split(',').map((s) => Number(s.trim())) : [10_000 * intEnv('USERS', 10)];
  if (sizes.some((n) => !Number.isInteger(n) || n < 2) || sizes.some((n, i) => i > 0 && n <= (sizes[i - 1] ?? 0))) {
    throw new Error(`SIZES must be increasing integers of at least 2, comma-separated; got "${raw ?? ''}"`);
  }
  return sizes;
}

const SIZES = sizesEnv();
const USERS = intEnv('USERS', 10); // users sharing the collection; the measured user is one of them
const REQUESTS = intEnv('REQUESTS', 500); // per arm and size
const WARMUP = intEnv('WARMUP', 100); // pairs per size, not counted
const SEARCHES = intEnv('SEARCHES', 100); // direct searches per size
const CLEANUP_EVERY = intEnv('CLEANUP_EVERY', 10); // pairs
const SEED = intEnv('SEED', 1);
const GIVEN_QDRANT_URL = process.env.QDRANT_URL ? process.env.QDRANT_URL : undefined;
const FORCE_EMULATOR = process.env.QDRANT_TARGET === 'emulator';
/** Set to a directory to have the gateway write a V8 CPU profile there when it stops. */
const PROFILE_DIR = process.env.PROFILE_DIR;

const MODEL = 'gpt-4o-mini';
const SYSTEM = 'You are a helpful assistant. Answer briefly.';
const REPLY = 'Sure. Based on what you told me earlier, here is a short answer; let me know if you want more detail.';
/** The deployment defaults (gateway/config.ts). */
const MEMORY = {
  enabled: true,
  topK: DEFAULT_MEMORY.topK,
  tokenBudget: DEFAULT_MEMORY.tokenBudget,
  retrievalTimeoutMs: DEFAULT_MEMORY.retrievalTimeoutMs,
};
const BASE_COLLECTION = 'conversations';
const LOAD_BATCH = 2000;
/** Everything stored during the run has created_at at or after this; everything loaded, before. */
const RUN_STARTED_AT = Date.now();

// ---------------------------------------------------------------- synthetic memories

const SLOTS: Readonly<Record<string, readonly string[]>> = {
  name: ['Priya', 'Maria', 'Aiko', 'Tom', 'Ravi', 'Kenji', 'Fatima', 'Lukas', 'Sofia', 'Omar', 'Grace', 'Diego'],
  city: ['Lisbon', 'Berlin', 'Toronto', 'Osaka', 'Nairobi', 'Melbourne', 'Denver', 'Prague', 'Seoul', 'Dublin', 'Austin'],
  allergen: ['peanuts', 'shellfish', 'gluten', 'dairy', 'eggs', 'sesame', 'penicillin'],
  cuisine: ['Thai', 'Italian', 'Mexican', 'Japanese', 'Indian', 'Lebanese', 'Korean'],
  pet: ['Biscuit', 'Luna', 'Max', 'Pepper', 'Mochi', 'Rocky', 'Nala', 'Waffles'],
  kind: ['dog', 'cat', 'rabbit', 'parrot'],
  lang: ['Japanese', 'Portuguese', 'Korean', 'German', 'Italian', 'Spanish', 'Mandarin'],
  tech: ['TypeScript', 'Go', 'Python', 'Rust', 'Kotlin', 'React', 'Django', 'Kubernetes'],
  day: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'the 14th', 'next week'],
  month: ['March', 'May', 'July', 'September', 'October', 'December'],
  hobby: ['pottery', 'rock climbing', 'chess', 'sourdough baking', 'birdwatching', 'trail running', 'woodworking'],
  band: ['Radiohead', 'Daft Punk', 'Fleetwood Mac', 'Arctic Monkeys', 'Beyoncé', 'The National'],
  n: ['2', '3', '4', '5', '12', '20', '35'],
};

function fill(rng: Rng, template: string): string {
  return template.replace(/\{(\w+)\}/g, (_, slot: string) => pick(rng, SLOTS[slot] ?? [`{${slot}}`]));
}

/** A user turn and a reply about it: what the write path stores for one exchange. */
const EXCHANGES: readonly (readonly [string, string])[] = [
  [
    'My sister {name} just moved to {city} for a new job.',
    "That's exciting news for {name}! Moving to {city} is a big step; I hope she settles in quickly.",
  ],
  [
    "I'm allergic to {allergen}, please keep that in mind for recipes.",
    "Noted: I'll leave {allergen} out of any recipe I suggest and point out where it usually hides.",
  ],
  [
    'Can you suggest a {cuisine} dinner I can make in under 30 minutes?',
    'A quick {cuisine} option: a stir-fry of vegetables and rice with a simple sauce, about 25 minutes start to finish.',
  ],
  [
    "We're planning a trip to {city} in {month}, any tips?",
    'For {city} in {month}: book the popular museums ahead, pack layers, and try the local food markets.',
  ],
  [
    'My {kind} {pet} keeps waking me up at 5 am.',
    'Early waking is common; a later feeding time and some evening play often help {pet} sleep longer.',
  ],
  [
    'I started learning {lang} last week and the grammar is hard.',
    'Grammar takes time in {lang}; short daily practice and lots of example sentences work better than long sessions.',
  ],
  [
    'How do I fix a flaky test in my {tech} project?',
    'Flaky tests are usually timing: await every async call, fake the clock, and isolate shared state between tests.',
  ],
  [
    'My manager wants the quarterly report by {day}.',
    'To finish by {day}, outline the sections today and fill in the numbers first; the prose can come last.',
  ],
  [
    "I've been training for a half marathon, about {n} km a week so far.",
    'At {n} km a week, add roughly ten percent per week and keep one easy run for recovery.',
  ],
  [
    'Remind me that my dentist appointment is on {day}.',
    "I can't set reminders, but write it down: dentist on {day}. A calendar alert the day before helps.",
  ],
  [
    'I switched from {tech} to another stack at work and I miss it.',
    'Switching stacks is hard at first; much of what you learned with {tech} will still carry over.',
  ],
  [
    'My favourite band is {band}, I saw them live in {city}.',
    'Seeing {band} live in {city} sounds great! Do you have a favourite album of theirs?',
  ],
  [
    'Our team uses {tech} for the backend and Postgres for storage.',
    '{tech} with Postgres is a solid pairing; connection pooling and migrations are the usual pain points.',
  ],
  [
    'I need a gift idea for my partner {name}, who loves {hobby}.',
    'For someone into {hobby}, a class, a quality tool or a good book on it usually goes down well.',
  ],
  [
    "I'm trying to cut down on coffee, I drink about {n} cups a day.",
    'Going down from {n} cups gradually, one fewer every few days, avoids most of the headaches.',
  ],
  [
    'My brother {name} is getting married in {month}.',
    'Congratulations to {name}! A wedding in {month} gives you time to plan travel and a gift.',
  ],
  [
    'I took up {hobby} this year and I love it.',
    '{hobby} is a great choice; a local club is a good way to meet people and improve faster.',
  ],
  [
    'What is a good way to learn {tech} quickly?',
    'Build something small but real with {tech}, read the official guide alongside, and ask for code review.',
  ],
  [
    'I work from home on {day}s, the rest of the week I commute to {city}.',
    'A fixed home-office day helps; keep the commute days for meetings that need people in the room.',
  ],
  [
    'My doctor told me to avoid {allergen} completely.',
    'Then it is worth checking labels carefully; {allergen} shows up in many processed foods.',
  ],
];

const QUESTIONS: readonly string[] = [
  "What's the name of my sister again, and where did she move?",
  'Can you suggest a {cuisine} recipe that avoids my allergy?',
  'Which language am I learning at the moment?',
  'What would be a good gift for my partner?',
  'When is my dentist appointment?',
  'How many km a week was I running for the half marathon?',
  'What does our team use for the backend?',
  'Any more tips for my trip to {city} in {month}?',
  'My {kind} is waking me up early again, what did you suggest last time?',
  'What was the deadline for the quarterly report?',
  'How much coffee did I say I drink each day?',
  'When is my brother getting married?',
  'Which band did I see live, and where?',
  'What hobby did I take up this year?',
  'Remind me which stack I switched from at work.',
  'What should I cook tonight, keeping my allergy in mind?',
  'How do I deal with flaky tests in {tech} again?',
  'Which days do I work from home?',
];

/** Unique per exchange (point ids derive from it), in the gateway's `req_<32 hex>` form. */
function requestIdOf(exchange: number): string {
  return `req_${createHash('sha256')
    .update(`memory-latency:${String(SEED)}:${String(exchange)}`)
    .digest('hex')
    .slice(0, 32)}`;
}

/**
 * The `count` memories after the first `from` in one fixed sequence: exchange j (two points) belongs
 * to user j mod USERS; users[0] is the measured one. Each exchange is drawn from its own PRNG, so
 * any slice of the sequence can be made without the ones before it.
 */
function memories(users: readonly string[], from: number, count: number): NewMemory[] {
  const out: NewMemory[] = [];
  const historyStart = RUN_STARTED_AT - 400 * 86_400_000;
  for (let i = from; i < from + count; i++) {
    const exchange = Math.floor(i / 2);
    const rng = prng(SEED * 1_000_003 + exchange);
    const [userTemplate, replyTemplate] = pick(rng, EXCHANGES);
    const owner = exchange % users.length;
    const slotSeed = Math.floor(rng() * 2 ** 32);
    const text = fill(prng(slotSeed), i % 2 === 0 ? userTemplate : replyTemplate);
    // About a dozen exchanges per conversation; some requests carry no conversation id.
    const conversation = Math.floor(exchange / users.length / 12);
    out.push({
      userId: users[owner] ?? '',
      conversationId: conversation % 7 === 3 ? null : `conv-${String(owner)}-${String(conversation)}`,
      role: i % 2 === 0 ? 'user' : 'assistant',
      text,
      createdAt: historyStart + exchange * 20_000,
      requestId: requestIdOf(exchange),
      chunk: 0,
      vector: new Float32Array(0),
    });
  }
  return out;
}

function questionPool(): string[] {
  const rng = prng(SEED ^ 0x9e3779b9);
  return Array.from({ length: 400 }, () => fill(rng, pick(rng, QUESTIONS)));
}

// ---------------------------------------------------------------- the vector store

interface VectorStore {
  /** Says what the search figures are. */
  label: string;
  url: string;
  apiKey: string | undefined;
  collection: string;
  /** Stores these memories (vectors already set). */
  load(batch: readonly NewMemory[]): Promise<void>;
  stop(): Promise<void>;
}

interface QdrantAnswer {
  result: unknown;
  /** Seconds Qdrant spent on the request, by its own account. */
  time: number;
}

/** One request to Qdrant's REST API, straight (no client library). */
async function qdrant(store: Pick<VectorStore, 'url' | 'apiKey'>, method: string, path: string, body?: unknown): Promise<QdrantAnswer> {
  const init: RequestInit = {
    method,
    // Uncompressed, as the store asks (qdrant-memory-store.ts: a compressed answer stalls 40 ms on a kept-alive connection).
    headers: { 'content-type': 'application/json', 'accept-encoding': 'identity', ...(store.apiKey ? { 'api-key': store.apiKey } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
  // Every request sent here is safe to repeat. One retry covers a keep-alive connection that the
  // server closed while this process was busy (loading points blocks the emulator's event loop too).
  const res = await fetch(`${store.url}${path}`, init).catch(() => fetch(`${store.url}${path}`, init));
  const text = await res.text();
  if (!res.ok) throw new Error(`Qdrant ${method} ${path} answered ${String(res.status)}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as QdrantAnswer;
}

function emulatorStore(emulator: QdrantEmulator, apiKey: string, dimension: number): VectorStore {
  const expected = collectionName(BASE_COLLECTION, BUILTIN_EMBEDDER_ID, dimension);
  const collections = emulator.collections();
  if (collections.length !== 1 || collections[0] !== expected)
    throw new Error(`expected the gateway to have created ${expected}, found ${JSON.stringify(collections)}`);
  return {
    label: 'Qdrant emulator (test/stubs/qdrant-emulator.ts): an exact linear scan in Node, in the benchmark process; not Qdrant, no HNSW',
    url: emulator.url,
    apiKey,
    collection: expected,
    load: (batch) => {
      // The ids and payloads the store writes (preparePoint is its own code); seed skips HTTP and JSON.
      const points: SeedPoint[] = batch.map((memory) => {
        const { id, payload, sparse } = preparePoint(memory, dimension);
        return {
          id,
          vector: memory.vector,
          ...(sparse.indices.length > 0 ? { sparse: { [LEXICAL_VECTOR]: sparse } } : {}),
          payload: { ...payload },
        };
      });
      emulator.seed(expected, points);
      return Promise.resolve();
    },
    stop: () => Promise.resolve(),
  };
}

function loopbackUrl(raw: string): string {
  const url = new URL(raw);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname))
    throw new Error(`QDRANT_URL must be on loopback (127.0.0.1), got ${url.hostname}`);
  return raw.replace(/\/+$/, '');
}

async function realStore(target: RealTarget, base: string, dimension: number): Promise<VectorStore> {
  const { url, apiKey } = target;
  const store = new QdrantMemoryStore({
    url,
    ...(apiKey ? { apiKey } : {}),
    baseCollection: base,
    embedder: { id: BUILTIN_EMBEDDER_ID, dimension },
    timeoutMs: 60_000,
  });
  const about = (await (await fetch(`${url}/`, { headers: apiKey ? { 'api-key': apiKey } : {} })).json()) as { version?: string };
  return {
    label: `${target.started ? 'the real Qdrant server started for this run from its binary' : 'the Qdrant'} at ${url} (version ${about.version ?? 'unknown'}; a real Qdrant searches with HNSW and the tenant index), collection ${store.collection}, deleted at the end`,
    url,
    apiKey,
    collection: store.collection,
    load: async (batch) => {
      // Through the real store: its preparePoint, its batches of 128, wait=true. Four at a time.
      const quarter = Math.ceil(batch.length / 4);
      await Promise.all([0, 1, 2, 3].map((k) => store.upsert(batch.slice(k * quarter, (k + 1) * quarter))));
    },
    stop: async () => {
      await qdrant({ url, apiKey }, 'DELETE', `/collections/${store.collection}`);
    },
  };
}

/** Loads memories up to `size` points, embedding each text with the built-in embedder. */
async function growTo(
  store: VectorStore,
  context: { users: readonly string[]; embedder: BuiltinEmbedder; loaded: number },
  size: number,
): Promise<number> {
  const started = performance.now();
  while (context.loaded < size) {
    const batch = memories(context.users, context.loaded, Math.min(LOAD_BATCH, size - context.loaded));
    for (const memory of batch) memory.vector = context.embedder.embedOne(memory.text);
    await store.load(batch);
    context.loaded += batch.length;
    await new Promise((resolve) => setImmediate(resolve)); // let timers and sockets run between batches
  }
  return (performance.now() - started) / 1000;
}

/** Real Qdrant indexes in the background: wait until the collection is green (the emulator always is). */
async function untilIndexed(store: VectorStore): Promise<void> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const info = (await qdrant(store, 'GET', `/collections/${store.collection}`)).result as { status?: string };
    if (info.status === 'green') return;
    if (Date.now() > deadline) throw new Error(`collection still ${info.status ?? '?'} after 5 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function countPoints(store: VectorStore, userId?: string): Promise<number> {
  const filter = userId === undefined ? undefined : tenantFilter(userId, 'count');
  return (
    (await qdrant(store, 'POST', `/collections/${store.collection}/points/count`, { exact: true, ...(filter ? { filter } : {}) }))
      .result as { count: number }
  ).count;
}

/** Deletes what the gateway stored during the run (created_at from the start on); returns how many there were. */
async function dropRunWrites(store: VectorStore, userId: string): Promise<number> {
  const filter = { must: [...(tenantFilter(userId, 'delete').must as unknown[]), { key: 'created_at', range: { gte: RUN_STARTED_AT } }] };
  const path = `/collections/${store.collection}/points`;
  const written = ((await qdrant(store, 'POST', `${path}/count`, { exact: true, filter })).result as { count: number }).count;
  if (written > 0) await qdrant(store, 'POST', `${path}/delete?wait=true`, { filter });
  return written;
}

/** The gateway writes memories in batches every 200 ms: wait for the last ones, then drop them. */
async function settle(context: { store: VectorStore; userId: string }): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 500));
  await dropRunWrites(context.store, context.userId);
}

// ---------------------------------------------------------------- requests

interface Client {
  pool: Pool;
  apiKey: string;
}

interface Sample {
  totalMs: number;
  /** x-perpetual-memory: hit, empty, timeout, error, disabled. */
  memory: string;
  retrievalMs: number | undefined;
  overheadMs: number | undefined;
  memoryTokens: number;
}

function headerNumber(value: string | string[] | undefined): number | undefined {
  return typeof value === 'string' && value !== '' ? Number(value) : undefined;
}

async function chat(client: Client, question: string, memory: boolean): Promise<Sample> {
  const body = JSON.stringify({
    model: MODEL,
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: question },
    ],
    max_tokens: 64,
  });
  const headers: Record<string, string> = { authorization: `Bearer ${client.apiKey}`, 'content-type': 'application/json' };
  if (!memory) headers['x-perpetual-memory'] = 'off';
  const started = performance.now();
  const res = await client.pool.request({ path: '/v1/chat/completions', method: 'POST', headers, body });
  const text = await res.body.text();
  const totalMs = performance.now() - started;
  // A benchmark of error responses would be meaningless: stop at the first one.
  if (res.statusCode !== 200 || !text.includes('Based on what you told me'))
    throw new Error(`chat answered ${String(res.statusCode)}: ${text.slice(0, 500)}`);
  const h = res.headers;
  return {
    totalMs,
    memory: typeof h['x-perpetual-memory'] === 'string' ? h['x-perpetual-memory'] : 'absent',
    retrievalMs: headerNumber(h['x-perpetual-retrieval-ms']),
    overheadMs: headerNumber(h['x-perpetual-overhead-ms']),
    memoryTokens: headerNumber(h['x-perpetual-memory-tokens']) ?? 0,
  };
}

interface Arms {
  on: Sample[];
  off: Sample[];
  /** Most points the run had added to the user's memories when they were dropped. */
  mostWritten: number;
}

interface PairsContext {
  client: Client;
  store: VectorStore;
  userId: string;
  questions: readonly string[];
}

/** `n` pairs, on and off alternating, the order flipping every pair; run writes dropped every CLEANUP_EVERY pairs. */
async function pairs(context: PairsContext, n: number, offset: number): Promise<Arms> {
  const arms: Arms = { on: [], off: [], mostWritten: 0 };
  for (let i = 0; i < n; i++) {
    const question = context.questions[(offset + i) % context.questions.length] ?? '';
    for (const memory of i % 2 === 0 ? [true, false] : [false, true])
      (memory ? arms.on : arms.off).push(await chat(context.client, question, memory));
    if ((i + 1) % CLEANUP_EVERY === 0) arms.mostWritten = Math.max(arms.mostWritten, await dropRunWrites(context.store, context.userId));
  }
  arms.mostWritten = Math.max(arms.mostWritten, await dropRunWrites(context.store, context.userId));
  return arms;
}

interface Direct {
  /** Round trip of the store's search request sent from this process. */
  roundTripMs: number[];
  /** Qdrant's own processing time for it (the answer's `time`). */
  serverMs: number[];
  /** Qdrant's own time for the same search by a user who owns no points: the filter alone, no vectors compared. */
  filterOnlyMs: number[];
}

/** The search the store sends for a recall (same filter, limit and threshold), sent directly. */
async function directSearches(context: PairsContext, embedder: BuiltinEmbedder): Promise<Direct> {
  const out: Direct = { roundTripMs: [], serverMs: [], filterOnlyMs: [] };
  const path = `/collections/${context.store.collection}/points/query?timeout=5`;
  const nobody = randomUUID();
  for (let i = 0; i < SEARCHES; i++) {
    const vector = Array.from(embedder.embedOne(context.questions[i % context.questions.length] ?? ''));
    const lexical = queryLexicalVector(context.questions[i % context.questions.length] ?? '');
    const limit = candidateCount(MEMORY.topK);
    const body = (userId: string): unknown => {
      const filter = scopeFilter(userId, 'search');
      const dense = { query: vector, filter, limit, score_threshold: DENSE_MIN_SCORE };
      return {
        prefetch: [dense, { query: lexical, using: LEXICAL_VECTOR, filter, limit }],
        query: { fusion: 'rrf' },
        filter,
        limit,
        with_payload: true,
        with_vector: false,
      };
    };
    const started = performance.now();
    const answer = await qdrant(context.store, 'POST', path, body(context.userId));
    out.roundTripMs.push(performance.now() - started);
    out.serverMs.push(answer.time * 1000);
    out.filterOnlyMs.push((await qdrant(context.store, 'POST', path, body(nobody))).time * 1000);
  }
  return out;
}

/** µs per question for the built-in embedder in this process, each question embedded `passes` times. */
function embedTimes(embedder: BuiltinEmbedder, questions: readonly string[], passes: number): number[] {
  const times: number[] = [];
  let sink = 0;
  for (let pass = 0; pass < passes; pass++) {
    for (const q of questions) {
      const started = performance.now();
      sink += embedder.embedOne(q)[0] ?? 0;
      times.push((performance.now() - started) * 1000);
    }
  }
  if (Number.isNaN(sink)) console.log(sink);
  return times;
}

// ---------------------------------------------------------------- CPU accounting (Linux /proc)

/** Average cores busy with processes this run did not start, since `before`. */
function otherCores(before: Cpu, seconds: number): number {
  const now = cpuSnapshot();
  return Math.max(0, now.machine - before.machine - (now.ours - before.ours)) / seconds;
}

// ---------------------------------------------------------------- statistics and report

interface Spread {
  p50: number;
  p95: number;
}

function spread(values: readonly number[]): Spread {
  return { p50: round3(percentile(values, 50)), p95: round3(percentile(values, 95)) };
}

function defined(values: readonly (number | undefined)[]): number[] {
  return values.filter((v): v is number => v !== undefined);
}

interface SizeResult {
  points: number;
  userPoints: number;
  loadSeconds: number;
  requests: number;
  off: Spread;
  on: Spread;
  added: Spread;
  ratio: Spread;
  overheadOff: Spread;
  overheadOn: Spread;
  retrieval: Spread;
  recallResults: Record<string, number>;
  meanMemoryTokens: number;
  mostRunWrites: number;
  embedUs: Spread;
  searchRoundTrip: Spread;
  searchServer: Spread;
  searchFilterOnly: Spread;
  measureSeconds: number;
  otherCores: number;
}

function tally(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

function summarizeArms(
  arms: Arms,
): Pick<
  SizeResult,
  | 'off'
  | 'on'
  | 'added'
  | 'ratio'
  | 'overheadOff'
  | 'overheadOn'
  | 'retrieval'
  | 'recallResults'
  | 'meanMemoryTokens'
  | 'mostRunWrites'
  | 'requests'
> {
  const off = spread(arms.off.map((s) => s.totalMs));
  const on = spread(arms.on.map((s) => s.totalMs));
  const offHeaders = tally(arms.off.map((s) => s.memory));
  if (offHeaders.disabled !== arms.off.length)
    throw new Error(`memory-off requests answered x-perpetual-memory ${JSON.stringify(offHeaders)}`);
  return {
    requests: arms.on.length,
    off,
    on,
    added: { p50: round3(on.p50 - off.p50), p95: round3(on.p95 - off.p95) },
    ratio: { p50: round3(on.p50 / off.p50), p95: round3(on.p95 / off.p95) },
    overheadOff: spread(defined(arms.off.map((s) => s.overheadMs))),
    overheadOn: spread(defined(arms.on.map((s) => s.overheadMs))),
    retrieval: spread(defined(arms.on.map((s) => s.retrievalMs))),
    recallResults: tally(arms.on.map((s) => s.memory)),
    meanMemoryTokens: Math.round(arms.on.reduce((sum, s) => sum + s.memoryTokens, 0) / Math.max(1, arms.on.length)),
    mostRunWrites: arms.mostWritten,
  };
}

const ms = (v: number): string => v.toFixed(2);
const row = (cells: string[]): string =>
  `${(cells[0] ?? '').padEnd(40)}${cells
    .slice(1)
    .map((c) => c.padStart(15))
    .join('')}`;

function printSize(r: SizeResult): void {
  console.log(
    `\n${r.points.toLocaleString('en')} points in the collection, ${r.userPoints.toLocaleString('en')} of them the measured user's (${USERS === 1 ? 'nobody else has any' : `${String(USERS)} users share it`}); ` +
      `loaded in ${r.loadSeconds.toFixed(1)} s; ${String(r.requests)} requests per arm`,
  );
  console.log(row(['', 'memory off', 'memory on', 'added', 'on ÷ off']));
  console.log(row(['  chat latency p50 (ms)', ms(r.off.p50), ms(r.on.p50), ms(r.added.p50), `${r.ratio.p50.toFixed(2)}x`]));
  console.log(row(['  chat latency p95 (ms)', ms(r.off.p95), ms(r.on.p95), ms(r.added.p95), `${r.ratio.p95.toFixed(2)}x`]));
  console.log(
    row([
      '  x-perpetual-overhead-ms p50 / p95',
      `${ms(r.overheadOff.p50)} / ${ms(r.overheadOff.p95)}`,
      `${ms(r.overheadOn.p50)} / ${ms(r.overheadOn.p95)}`,
    ]),
  );
  console.log(row(['  x-perpetual-retrieval-ms p50 / p95', '', `${ms(r.retrieval.p50)} / ${ms(r.retrieval.p95)}`]));
  console.log(
    `  retrieval split: built-in embedder on the question ${r.embedUs.p50.toFixed(0)} µs p50 / ${r.embedUs.p95.toFixed(0)} µs p95 (this process); ` +
      `the store's search sent from here ${ms(r.searchRoundTrip.p50)} / ${ms(r.searchRoundTrip.p95)} ms round trip, of which the vector store's own time ${ms(r.searchServer.p50)} / ${ms(r.searchServer.p95)} ms (p50 / p95); ` +
      `the same search for a user with no points (the tenant filter over every point, no vectors compared) ${ms(r.searchFilterOnly.p50)} / ${ms(r.searchFilterOnly.p95)} ms`,
  );
  console.log(
    `  recall results (memory on): ${JSON.stringify(r.recallResults)}; ${String(r.meanMemoryTokens)} memory tokens injected on average; ` +
      `at most ${String(r.mostRunWrites)} points written by the run were present before being dropped`,
  );
  console.log(
    `  measured for ${r.measureSeconds.toFixed(1)} s; other processes on this machine used ${r.otherCores.toFixed(2)} cores on average meanwhile (0 = quiet)`,
  );
}

// ---------------------------------------------------------------- running it

interface Running {
  postgres?: Postgres;
  redis?: Redis;
  qdrant?: QdrantServer | undefined;
  stack?: Stack;
  store?: VectorStore;
  pool?: Pool;
}

interface Bench extends PairsContext {
  embedder: BuiltinEmbedder;
  load: { users: readonly string[]; embedder: BuiltinEmbedder; loaded: number };
}

async function measureSize(bench: Bench, size: number): Promise<SizeResult> {
  const loadSeconds = await growTo(bench.store, bench.load, size);
  await untilIndexed(bench.store);
  await settle(bench);
  const [points, userPoints] = await Promise.all([countPoints(bench.store), countPoints(bench.store, bench.userId)]);
  if (points !== size) throw new Error(`the collection holds ${String(points)} points after loading ${String(size)}: duplicate point ids?`);
  const first = await chat(bench.client, bench.questions[0] ?? '', true);
  if (first.memory !== 'hit')
    throw new Error(`the first recall at ${String(size)} points was "${first.memory}", not a hit: are the payloads right?`);
  await pairs(bench, WARMUP, 1000);
  await settle(bench);
  const before = cpuSnapshot();
  const started = performance.now();
  const arms = await pairs(bench, REQUESTS, 0);
  const measureSeconds = (performance.now() - started) / 1000;
  const others = otherCores(before, measureSeconds);
  const direct = await directSearches(bench, bench.embedder);
  return {
    points,
    userPoints,
    loadSeconds,
    ...summarizeArms(arms),
    embedUs: spread(embedTimes(bench.embedder, bench.questions, 20)),
    searchRoundTrip: spread(direct.roundTripMs),
    searchServer: spread(direct.serverMs),
    searchFilterOnly: spread(direct.filterOnlyMs),
    measureSeconds,
    otherCores: round3(others),
  };
}

interface RealTarget {
  url: string;
  apiKey: string | undefined;
  /** Started by this run (else given by QDRANT_URL). */
  started: boolean;
}

/** QDRANT_URL, else the server binary beside the repository (started here), else undefined: the emulator. */
async function realTarget(running: Running): Promise<RealTarget | undefined> {
  if (GIVEN_QDRANT_URL !== undefined)
    return {
      url: loopbackUrl(GIVEN_QDRANT_URL),
      apiKey: process.env.QDRANT_API_KEY ? process.env.QDRANT_API_KEY : undefined,
      started: false,
    };
  if (FORCE_EMULATOR) return undefined;
  const server = (running.qdrant = await startQdrantServer());
  return server ? { url: server.url, apiKey: server.apiKey, started: true } : undefined;
}

async function startGatewayStack(running: Running, postgres: Postgres, redis: Redis, real: RealTarget | undefined): Promise<Stack> {
  const limits = { requestsPerMinute: 100_000_000, requestsPerDay: 100_000_000 };
  const base = real === undefined ? BASE_COLLECTION : `perpetual-bench-${randomUUID().slice(0, 8)}`;
  return (running.stack = await startStack({
    postgresUrl: postgres.url,
    redisUrl: redis.url,
    memory: real === undefined,
    config: {
      mode: 'proxy',
      models: [{ name: MODEL, provider: 'openai', upstreamModel: MODEL }],
      tiers: { enterprise: limits },
      memory: MEMORY,
    },
    env: {
      // Per-request logging at info would measure pino and the pipe to this process, not memory.
      LOG_LEVEL: 'warn',
      ...(real === undefined
        ? {}
        : { QDRANT_URL: real.url, QDRANT_COLLECTION: base, ...(real.apiKey ? { QDRANT_API_KEY: real.apiKey } : {}) }),
      ...(PROFILE_DIR ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${PROFILE_DIR}` } : {}),
    },
  }));
}

async function startAll(running: Running): Promise<Bench> {
  const [postgres, redis] = await Promise.all([
    startPostgres().then((p) => (running.postgres = p)),
    startRedis().then((r) => (running.redis = r)),
  ]);
  const real = await realTarget(running);
  const stack = await startGatewayStack(running, postgres, redis, real);
  stack.openai.behaviour = { apiKey: USER_OPENAI_KEY, reply: REPLY };
  const embedder = createBuiltinEmbedder();
  const store = (running.store =
    stack.qdrant || real === undefined
      ? emulatorStore(stack.qdrant ?? missing('emulator'), stack.env.QDRANT_API_KEY ?? '', embedder.dimension)
      : await realStore(real, stack.env.QDRANT_COLLECTION ?? '', embedder.dimension));
  const user = await stack.newUser('enterprise');
  const added = await stack.addProviderKey(user.apiKey, 'openai', USER_OPENAI_KEY);
  if (!added.ok) throw new Error(`adding the provider key failed: ${String(added.status)} ${await added.text()}`);
  const pool = (running.pool = new Pool(stack.url, {
    connections: 1,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    keepAliveMaxTimeout: 600_000,
  }));
  const users = [user.userId, ...Array.from({ length: USERS - 1 }, () => randomUUID())];
  return {
    client: { pool, apiKey: user.apiKey },
    store,
    userId: user.userId,
    questions: questionPool(),
    embedder,
    load: { users, embedder, loaded: 0 },
  };
}

async function stopAll(running: Running): Promise<void> {
  await Promise.allSettled([running.pool?.close()]);
  await Promise.allSettled([running.store?.stop()]);
  await running.stack?.stop();
  await Promise.allSettled([running.postgres?.stop(), running.redis?.stop(), running.qdrant?.stop()]);
}

function missing(what: string): never {
  throw new Error(`expected the stack to run the ${what}`);
}

/** Rejects on Ctrl-C or SIGTERM, so an interrupted run still goes through the cleanup in main. */
function interruption(): Promise<never> {
  return new Promise((_resolve, reject) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      process.once(signal, () => {
        reject(new Error(`interrupted (${signal})`));
      });
  });
}

async function measureAll(bench: Bench): Promise<SizeResult[]> {
  console.log(`memory-latency: ${String(navigator.hardwareConcurrency)} CPUs; vector store: ${bench.store.label}`);
  console.log(
    `memory settings: top-k ${String(MEMORY.topK)}, token budget ${String(MEMORY.tokenBudget)}, retrieval timeout ${String(MEMORY.retrievalTimeoutMs)} ms, ` +
      `built-in embedder ${bench.embedder.id} (${String(bench.embedder.dimension)} dimensions); ${String(WARMUP)} warm-up pairs per size`,
  );
  const results: SizeResult[] = [];
  for (const size of SIZES) {
    const result = await measureSize(bench, size);
    printSize(result);
    results.push(result);
  }
  return results;
}

async function main(): Promise<void> {
  const running: Running = {};
  const interrupted = interruption();
  const started = performance.now();
  const starting = startAll(running);
  try {
    const bench = await Promise.race([starting, interrupted]);
    const results = await Promise.race([measureAll(bench), interrupted]);
    const warnings = running.stack?.gateways[0]?.logs().trim();
    if (warnings) console.log(`\ngateway logged (level >= warn):\n${warnings.slice(0, 2000)}`);
    const seconds = (performance.now() - started) / 1000;
    console.log(`\nfinished in ${seconds.toFixed(1)} s`);
    console.log(
      JSON.stringify({
        bench: 'memory-latency',
        vectorStore: bench.store.label,
        cpus: navigator.hardwareConcurrency,
        users: USERS,
        seed: SEED,
        memory: MEMORY,
        results,
        seconds: round3(seconds),
      }),
    );
  } finally {
    // An interrupted start is still starting things: let it finish, then stop all of it.
    await Promise.allSettled([starting]);
    await stopAll(running);
  }
}

await main();
