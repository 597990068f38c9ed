// How well memory finds what a user said before: evidence recall per kind of question, and the
// prompt tokens it spends, for each way of ranking, side by side in one run.
//
//   node test/bench/memory-recall.ts                       report run (seed 11)
//   SEED=3 USERS=40 SESSIONS=40 node test/bench/memory-recall.ts
//
// Through the product's own code: every exchange goes through the write path's turnsToStore, the
// built-in embedder and QdrantMemoryStore.upsert (dense vector plus the lexical sparse vector);
// every question through queryFromMessages, the embedder and QdrantMemoryStore.search, then
// selectMemories with the token budget, exactly as MemoryService.recall does. Against the real
// Qdrant server when its binary is beside the repository (../shared/qdrant/qdrant or
// QDRANT_BINARY), else against the in-repo emulator; the run says which. All users share one
// collection, as tenants do in production, so Qdrant's IDF is computed over everyone's memories.
//
// The corpus, generated here from a seeded PRNG, is built to be hard in the ways real
// conversation is: each user has SESSIONS dated sessions of EXCHANGES exchanges; most exchanges
// are filler that keeps naming the same few people (friends and relatives who recur in dozens of
// turns: "Wow, Caroline!") and reuses the questions' common words (name, job, work, car, doctor,
// dog, moved, favourite); a few hold the facts. Questions are asked after the last session:
//   literal      the question shares the fact's distinctive words ("What car did I buy?")
//   paraphrased  it shares few or none ("What am I driving these days?")
//   multi-hop    the answer needs two turns ("Which city did my sister move to?" needs
//                "My sister's name is Ines" and "Ines just moved to Porto")
//   temporal     "Where did I travel in June 2025?": half the evidence names the month, half
//                only says "just got back from", and only the session's date tells when
//   no-answer    about something never said (a brother never mentioned, an instrument never
//                played): recall is undefined; what counts is how many tokens get injected anyway
// Reported per kind and ranking: evidence recall@5/@10/@20 (the share of the question's evidence
// turns among the top k), recall within the default token budget (the evidence that
// selectMemories actually injects), and the tokens injected per query. Rankings: cosine on the
// built-in embedder alone, lexical alone (BM25 weights with Qdrant's IDF, the sparse vector),
// and hybrid fused by RRF and by DBSF. Then, for hybrid RRF, the settings behind the defaults:
// top-k cap, token budget and candidate depth. Last, hybrid + facts (scripted extractor): the same
// collection after write-time fact extraction (gateway/memory/facts/) ran over every session, with
// the product's prompt builder, answer parser and fact payloads, and a scripted extractor in place
// of the model. The script knows which user turns state a fact (a perfect filter for small talk)
// and rewrites each as a dated third-person sentence ("In June 2025 the user got back from a week
// in Lisbon, the food was amazing!"): it adds dates, drops filler and the lead-in, and adds no
// words of its own, so it shows what the fact kind, its dates and the ranking do, and none of
// what a model's paraphrasing would add. A fact counts as evidence for the turn it came from.
//
// Nothing here was tuned on this seed, and no public benchmark was consulted for the templates.
// Timings (per-search latency) are informative only: see memory-latency.ts for latency.
import { performance } from 'node:perf_hooks';
import { createBuiltinEmbedder } from '../../gateway/memory/embedding/builtin-embedder.ts';
import { DEFAULT_MEMORY } from '../../gateway/config.ts';
import { extractionMessages, FENCE_CLOSE, FENCE_OPEN } from '../../gateway/memory/facts/extraction-prompt.ts';
import { parseExtraction } from '../../gateway/memory/facts/parse-extraction.ts';
import { candidateCount, DENSE_MIN_SCORE } from '../../gateway/memory/memory-service.ts';
import { queryFromMessages } from '../../gateway/memory/prompt/query-from-messages.ts';
import { selectMemories } from '../../gateway/memory/prompt/select-memories.ts';
import type { MemoryHit as StoreHit, NewMemory, SearchOptions } from '../../gateway/memory/store/memory-store.ts';
import { QdrantMemoryStore } from '../../gateway/memory/store/qdrant-memory-store.ts';
import { turnsToStore } from '../../gateway/memory/text/turns-to-store.ts';
import { startQdrantServer } from '../harness/qdrant.ts';
import { startQdrantEmulator } from '../stubs/qdrant-emulator.ts';
import { intEnv } from './support/env.ts';
import { pick, prng, type Rng } from './support/prng.ts';
import { percentile } from './support/stats.ts';

const SEED = intEnv('SEED', 11);
const USERS = intEnv('USERS', 30);
const SESSIONS = intEnv('SESSIONS', 30);
const EXCHANGES = intEnv('EXCHANGES', 8);
/** The deployment defaults (gateway/config.ts) and the dense threshold memory-wiring.ts sets. */
const DEFAULTS = { topK: DEFAULT_MEMORY.topK, tokenBudget: DEFAULT_MEMORY.tokenBudget, minScore: DENSE_MIN_SCORE };

// ------------------------------------------------------------------------------------- corpus

function shuffled<T>(r: Rng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function fill(template: string, slots: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => slots[name] ?? `{${name}}`);
}

const NAMES = [
  'Caroline',
  'Melanie',
  'Ines',
  'Priya',
  'Tom',
  'Ravi',
  'Kenji',
  'Omar',
  'Lukas',
  'Sofia',
  'Mei',
  'Nadia',
  'Grace',
  'Diego',
  'Felix',
  'Jonas',
  'Amara',
  'Hugo',
  'Zara',
  'Elena',
];
/** Relation, and the word a paraphrase uses for it. */
const RELATIONS: [string, string][] = [
  ['sister', 'sibling'],
  ['brother', 'sibling'],
  ['coworker', 'colleague'],
  ['neighbour', 'the person next door'],
  ['best friend', 'closest friend'],
  ['cousin', 'relative'],
  ['boss', 'manager'],
  ['roommate', 'flatmate'],
];
const CITIES = ['Porto', 'Lisbon', 'Osaka', 'Nairobi', 'Denver', 'Prague', 'Seoul', 'Dublin', 'Austin', 'Tallinn', 'Valparaíso', 'Hobart'];
const PLACES = [
  'Patagonia',
  'the Dolomites',
  'Crete',
  'Hokkaido',
  'the Scottish Highlands',
  'Zanzibar',
  'Yosemite',
  'the Faroe Islands',
  'Sicily',
  'Banff',
];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

interface FactType {
  key: string;
  slots: Record<string, readonly string[]>;
  statement: string;
  literal: string;
  paraphrase: string;
}

const FACTS: FactType[] = [
  {
    key: 'pet',
    slots: {
      breed: ['greyhound', 'beagle', 'dachshund', 'border collie', 'corgi'],
      pet: ['Biscuit', 'Luna', 'Pepper', 'Mochi', 'Waffles', 'Ziggy'],
    },
    statement: '{friend} helped us adopt a {breed} from the shelter, we named her {pet}.',
    literal: 'What did we name the {breed} we adopted?',
    paraphrase: "What's my dog called?",
  },
  {
    key: 'allergy',
    slots: { allergen: ['shellfish', 'penicillin', 'sesame', 'latex', 'walnuts', 'kiwi'] },
    statement: "The allergist confirmed it: I'm allergic to {allergen}.",
    literal: 'What am I allergic to?',
    paraphrase: 'Which things did the doctor tell me to avoid?',
  },
  {
    key: 'job',
    slots: {
      job: ['pharmacist', 'architect', 'paramedic', 'translator', 'electrician', 'sommelier'],
      company: ['Northwind', 'Globex', 'Initech', 'Umbrella Labs', 'Vandelay Industries'],
    },
    statement: 'I accepted the offer, starting next month as a {job} at {company}!',
    literal: 'Which job offer did I accept?',
    paraphrase: 'What do I do for a living now?',
  },
  {
    key: 'hobby',
    slots: {
      hobby: ['pottery', 'bouldering', 'birdwatching', 'salsa dancing', 'woodworking', 'fencing'],
      weekday: ['Tuesday', 'Thursday', 'Saturday'],
    },
    statement: '{friend} got me hooked on {hobby}, we go every {weekday} now.',
    literal: 'Who got me into {hobby}?',
    paraphrase: 'Which friend introduced me to my new pastime?',
  },
  {
    key: 'car',
    slots: { car: ['Subaru Outback', 'Mazda 3', 'Volvo XC40', 'Honda Civic', 'Kia Niro'], colour: ['red', 'grey', 'dark green', 'white'] },
    statement: 'I finally bought a {colour} {car} last week.',
    literal: 'What car did I buy?',
    paraphrase: 'What am I driving these days?',
  },
  {
    key: 'food',
    slots: { food: ['mushroom risotto', 'pho', 'paella', 'pork dumplings', 'shakshuka', 'moussaka'] },
    statement: 'My all-time favourite dish is {food}, I could eat it every day.',
    literal: 'What is my favourite dish?',
    paraphrase: 'What should you cook if you wanted to make me happy?',
  },
  {
    key: 'language',
    slots: { language: ['Japanese', 'Portuguese', 'Korean', 'Swahili', 'Finnish'] },
    statement: "I've been learning {language} on my lunch breaks for a year.",
    literal: 'Which language am I learning?',
    paraphrase: 'What am I studying during lunch?',
  },
  {
    key: 'fear',
    slots: { fear: ['heights', 'spiders', 'deep water', 'public speaking', 'snakes'] },
    statement: "I'm terrified of {fear}, always have been.",
    literal: 'What am I terrified of?',
    paraphrase: 'What is my biggest phobia?',
  },
  {
    key: 'instrument',
    slots: { instrument: ['cello', 'saxophone', 'drums', 'violin', 'trumpet'] },
    statement: 'I played the {instrument} in a band during university.',
    literal: 'Which instrument did I play in university?',
    paraphrase: 'What did I play in my college band?',
  },
  {
    key: 'school',
    slots: {
      school: ['McGill', 'ETH Zurich', 'Kyoto University', 'the University of Lagos', 'Trinity College'],
      year: ['2012', '2014', '2016', '2018'],
    },
    statement: 'I graduated from {school} in {year}.',
    literal: 'Where did I graduate from?',
    paraphrase: 'Which university did I attend?',
  },
  {
    key: 'condition',
    slots: { condition: ['asthma', 'migraines', 'type 1 diabetes', 'high blood pressure', 'eczema'] },
    statement: 'I take medication for {condition} every morning.',
    literal: 'What condition do I take medication for?',
    paraphrase: 'What health issue do I manage daily?',
  },
  {
    key: 'birthday',
    slots: { date: ['March 3', 'July 19', 'October 27', 'January 8', 'May 14'] },
    statement: "My birthday is on {date}, don't let me forget to plan something.",
    literal: 'When is my birthday?',
    paraphrase: 'What date should you remind me to celebrate?',
  },
  {
    key: 'team',
    slots: { team: ['Arsenal', 'the Lakers', 'Boca Juniors', 'the All Blacks', 'the Packers'] },
    statement: "I've supported {team} since I was a kid.",
    literal: 'Which team do I support?',
    paraphrase: 'Who do I cheer for in sports?',
  },
];

/** Small talk: the same people and the questions' common words, again and again. */
const FILLER_USER = [
  'Wow, {name} is hilarious. We laughed all evening.',
  '{name} and I grabbed coffee again, same place as always.',
  'My {rel} says hi, by the way. We talked for ages on the phone.',
  'Can you help me write a birthday message for {name}?',
  'I keep forgetting the name of that song {name} likes.',
  'Work was busy today, my job keeps me on my toes.',
  "What's a good name for a dog? Just curious.",
  'Any tips for a long drive this weekend? I need a new car playlist.',
  "I'm thinking about picking up a new hobby, maybe something outdoors.",
  'My doctor appointment got moved again, so annoying.',
  '{name} moved the team meeting to Friday.',
  'We talked about travelling somewhere warm next year.',
  "I'm so tired today, I barely slept.",
  "What's a good gift for my {rel}?",
  '{name} asked me which dish I would bring to the party.',
  'Can you explain how compound interest works?',
  'Wow, {name}! That is such great news.',
  'My favourite part of the week is Friday evening.',
  'I had lunch with {name}, we talked about work and music.',
  'Remind me to call my {rel} back tomorrow.',
  'Is it normal to feel nervous before speaking at a meeting?',
  '{name} said the weather in the city was awful.',
  'Which language has the hardest grammar, in your opinion?',
  'What should I cook tonight? Something quick please.',
];
const FILLER_ASSISTANT = [
  "That sounds lovely! Is there anything you'd like help with?",
  'Sure, here are a few ideas you could try this week.',
  'Happy to help. Could you tell me a bit more?',
  'Of course. A good name could be Max, Luna or Scout.',
  "That's frustrating. Rescheduling often helps, and a short walk can clear your head.",
  'Here is a quick recipe: pasta with garlic, lemon and spinach, ready in 15 minutes.',
  'Great question! In short, you earn interest on your interest, so savings grow faster over time.',
  'For a long drive, try a mix of podcasts and upbeat music, and stop every two hours.',
];
const ACKS = [
  "Thanks for telling me, I'll keep that in mind.",
  'Good to know! Anything I can help with today?',
  'Noted. How can I help?',
  'That is great to hear!',
];
const LEADS = ['', '', 'Quick update: ', 'Anyway, ', 'Oh, and ', 'Long day. '];

type Kind = 'literal' | 'paraphrased' | 'multi-hop' | 'temporal' | 'no-answer';
const KINDS: Kind[] = ['literal', 'paraphrased', 'multi-hop', 'temporal', 'no-answer'];

interface Exchange {
  requestId: string;
  session: number;
  at: number;
  user: string;
  assistant: string;
  /** The user turn states a fact (the rest is filler): what the scripted extractor recognises. */
  planted: boolean;
}

interface Question {
  user: string;
  kind: Kind;
  text: string;
  /** Request ids of the exchanges whose user turn holds the answer (empty for no-answer). */
  evidence: string[];
}

interface Corpus {
  exchanges: Map<string, Exchange[]>;
  questions: Question[];
}

interface Person {
  name: string;
  relation: string;
  synonym: string;
}

const DAY = 86_400_000;
const START = Date.UTC(2024, 8, 2);

/** Session dates: every 4 to 14 days from September 2024. */
function sessionDates(r: Rng): number[] {
  const dates: number[] = [];
  let at = START;
  for (let s = 0; s < SESSIONS; s++) {
    dates.push(at + Math.floor(r() * 10) * 3_600_000);
    at += (4 + Math.floor(r() * 11)) * DAY;
  }
  return dates;
}

function slotsFor(r: Rng, type: FactType, friend: Person): Record<string, string> {
  const slots: Record<string, string> = { friend: friend.name };
  for (const [slot, values] of Object.entries(type.slots)) slots[slot] = pick(r, values);
  return slots;
}

function generateUser(r: Rng, u: number): { exchanges: Exchange[]; questions: Question[] } {
  const user = `bench-${SEED}-u${u}`;
  const cast: Person[] = shuffled(r, RELATIONS)
    .slice(0, 5)
    .map(([relation, synonym], i) => ({ name: shuffled(r, NAMES)[i] ?? 'Sam', relation, synonym }));
  const dates = sessionDates(r);
  // Slots for facts: (session, exchange) pairs, never two in one exchange.
  const free = shuffled(
    r,
    Array.from({ length: SESSIONS * EXCHANGES }, (_, i) => i),
  );
  const planted = new Map<number, string>();
  const questions: Question[] = [];
  const requestId = (slot: number): string => `${user}-s${Math.floor(slot / EXCHANGES)}-e${slot % EXCHANGES}`;
  const plant = (text: string): string => {
    const slot = free.pop();
    if (slot === undefined) throw new Error('corpus too small for its facts');
    planted.set(slot, text);
    return requestId(slot);
  };
  // Single-hop facts: 7 of the 13 kinds; the rest are asked about anyway (no-answer).
  const types = shuffled(r, FACTS);
  for (const type of types.slice(0, 7)) {
    const friend = pick(r, cast);
    const slots = slotsFor(r, type, friend);
    const evidence = [plant(pick(r, LEADS) + fill(type.statement, slots))];
    questions.push({ user, kind: 'literal', text: fill(type.literal, slots), evidence });
    questions.push({ user, kind: 'paraphrased', text: fill(type.paraphrase, slots), evidence });
  }
  for (const type of types.slice(7, 10))
    questions.push({ user, kind: 'no-answer', text: fill(type.literal, slotsFor(r, type, pick(r, cast))), evidence: [] });
  const absent = RELATIONS.find(([relation]) => !cast.some((p) => p.relation === relation));
  if (absent) questions.push({ user, kind: 'no-answer', text: `What is my ${absent[0]}'s name?`, evidence: [] });
  // Multi-hop: who the relative is, then where they moved; and which pet, then what the vet said.
  for (const person of cast.slice(0, 2)) {
    const who = plant(`My ${person.relation}'s name is ${person.name}, we've been close forever.`);
    const city = pick(r, CITIES);
    const moved = plant(`${person.name} just moved to ${city} for a new job!`);
    questions.push({ user, kind: 'multi-hop', text: `Which city did my ${person.relation} move to?`, evidence: [who, moved] });
  }
  const breed = pick(r, ['whippet', 'pointer', 'poodle', 'spaniel']);
  const pet = pick(r, ['Juniper', 'Noodle', 'Clementine', 'Bramble']);
  const adopted = plant(`We brought home a ${breed} puppy and called him ${pet}.`);
  const vet = plant(`${pet} has been limping, the vet thinks it's a sprained paw.`);
  questions.push({ user, kind: 'multi-hop', text: `What did the vet say about my ${breed}?`, evidence: [adopted, vet] });
  // Temporal: a trip in one session; the question names its month and year.
  for (let t = 0; t < 2; t++) {
    const slot = free.find((s) => !planted.has(s) && Math.floor(s / EXCHANGES) >= 2);
    if (slot === undefined) break;
    free.splice(free.indexOf(slot), 1);
    const date = new Date(dates[Math.floor(slot / EXCHANGES)] ?? START);
    const month = MONTHS[date.getUTCMonth()] ?? 'June';
    const place = pick(r, PLACES);
    const explicit = t === 0;
    planted.set(
      slot,
      explicit
        ? `In ${month} we spent a week hiking in ${place}, unforgettable.`
        : `Just got back from a week in ${place}, the food was amazing!`,
    );
    questions.push({
      user,
      kind: 'temporal',
      text: `Where did I travel in ${month} ${date.getUTCFullYear()}?`,
      evidence: [requestId(slot)],
    });
  }
  const exchanges: Exchange[] = [];
  for (let slot = 0; slot < SESSIONS * EXCHANGES; slot++) {
    const person = pick(r, cast);
    const fact = planted.get(slot);
    const userText = fact ?? fill(pick(r, FILLER_USER), { name: person.name, rel: person.relation });
    const assistant = fact !== undefined ? pick(r, ACKS) : pick(r, FILLER_ASSISTANT);
    const session = Math.floor(slot / EXCHANGES);
    exchanges.push({
      requestId: requestId(slot),
      session,
      at: (dates[session] ?? START) + (slot % EXCHANGES) * 120_000,
      user: userText,
      assistant,
      planted: fact !== undefined,
    });
  }
  return { exchanges, questions };
}

function generate(seed: number): Corpus {
  const r = prng(seed);
  const exchanges = new Map<string, Exchange[]>();
  const questions: Question[] = [];
  for (let u = 0; u < USERS; u++) {
    const one = generateUser(r, u);
    exchanges.set(one.questions[0]?.user ?? `u${u}`, one.exchanges);
    questions.push(...one.questions);
  }
  return { exchanges, questions };
}

// ------------------------------------------------------------------------------ store and search

const embedder = createBuiltinEmbedder();

async function load(store: QdrantMemoryStore, corpus: Corpus): Promise<number> {
  let points = 0;
  for (const [user, exchanges] of corpus.exchanges) {
    const batch: NewMemory[] = [];
    for (const exchange of exchanges) {
      for (const record of turnsToStore([{ role: 'user', content: exchange.user }], exchange.assistant)) {
        batch.push({
          userId: user,
          conversationId: `s${exchange.session}`,
          role: record.role,
          text: record.text,
          createdAt: exchange.at,
          requestId: exchange.requestId,
          chunk: record.chunkIndex,
          vector: embedder.embedOne(record.text),
        });
      }
    }
    await store.upsert(batch);
    points += batch.length;
  }
  return points;
}

interface Ranking {
  name: string;
  options: Pick<SearchOptions, 'mode' | 'fusion' | 'lexicalWeight'>;
}

const RANKINGS: Ranking[] = [
  { name: 'cosine only', options: { mode: 'dense' } },
  { name: 'lexical only (BM25, Qdrant IDF)', options: { mode: 'lexical' } },
  { name: 'hybrid, RRF', options: { mode: 'hybrid', fusion: 'rrf' } },
  { name: 'hybrid, DBSF', options: { mode: 'hybrid', fusion: 'dbsf' } },
  { name: 'hybrid, RRF, lexical weight 2', options: { mode: 'hybrid', fusion: 'rrf', lexicalWeight: 2 } },
  { name: 'hybrid, RRF, lexical weight 3', options: { mode: 'hybrid', fusion: 'rrf', lexicalWeight: 3 } },
];

interface Answer {
  hits: StoreHit[];
  ms: number;
}

async function ask(store: QdrantMemoryStore, question: Question, options: Ranking['options'], limit: number): Promise<Answer> {
  const text = queryFromMessages([{ role: 'user', content: question.text }]);
  const started = performance.now();
  const vector = embedder.embedOne(text);
  const threshold = options.mode === 'lexical' ? {} : { scoreThreshold: DEFAULTS.minScore };
  const hits = await store.search(question.user, vector, { limit, text, ...options, ...threshold });
  return { hits, ms: performance.now() - started };
}

/** The share of the question's evidence among these hits' user turns. */
function evidenceRecall(question: Question, hits: readonly { payload: { request_id: string; role: string } }[]): number {
  const found = new Set(hits.filter((h) => h.payload.role === 'user').map((h) => h.payload.request_id));
  return question.evidence.filter((e) => found.has(e)).length / question.evidence.length;
}

interface Measure {
  at5: number[];
  at10: number[];
  at20: number[];
  inBudget: number[];
  tokens: number[];
  injected: number[];
  ms: number[];
}

const emptyMeasure = (): Measure => ({ at5: [], at10: [], at20: [], inBudget: [], tokens: [], injected: [], ms: [] });

function selectFor(
  hits: readonly StoreHit[],
  settings: { topK: number; tokenBudget: number; factsFirst?: boolean },
): { hits: StoreHit[]; tokens: number } {
  const selection = selectMemories(
    hits.map((hit) => ({
      hit,
      score: hit.score,
      text: hit.payload.text,
      createdAt: hit.payload.created_at,
      role: hit.payload.role,
      contentHash: hit.payload.content_hash,
      // As MemoryService.recall passes it: facts go first at equal scores (off to measure what that does).
      ...(hit.payload.kind === 'fact' && settings.factsFirst !== false ? { kind: 'fact' as const } : {}),
    })),
    settings,
  );
  return { hits: selection.memories.map((m) => m.hit), tokens: selection.tokens };
}

function record(
  measure: Measure,
  question: Question,
  answer: Answer,
  settings: { topK: number; tokenBudget: number; factsFirst?: boolean },
): void {
  const selected = selectFor(answer.hits, settings);
  measure.tokens.push(selected.tokens);
  measure.injected.push(selected.hits.length);
  measure.ms.push(answer.ms);
  if (question.evidence.length === 0) return;
  measure.at5.push(evidenceRecall(question, answer.hits.slice(0, 5)));
  measure.at10.push(evidenceRecall(question, answer.hits.slice(0, 10)));
  measure.at20.push(evidenceRecall(question, answer.hits.slice(0, 20)));
  measure.inBudget.push(evidenceRecall(question, selected.hits));
}

const mean = (xs: readonly number[]): number => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
const pct = (xs: readonly number[]): string => (xs.length === 0 ? '–' : `${(100 * mean(xs)).toFixed(1)} %`);
const avg = (xs: readonly number[]): string => (xs.length === 0 ? '–' : mean(xs).toFixed(0));

function table(title: string, header: string[], rows: string[][]): void {
  console.log(`\n${title}\n`);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`| ${header.map(() => '---').join(' | ')} |`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}

async function target(): Promise<{ url: string; apiKey: string | undefined; label: string; stop(): Promise<void> }> {
  const server = await startQdrantServer();
  if (server)
    return {
      url: server.url,
      apiKey: server.apiKey,
      label: 'the real Qdrant server (../shared/qdrant/qdrant, started for this run)',
      stop: () => server.stop(),
    };
  const emulator = await startQdrantEmulator();
  return {
    url: emulator.url,
    apiKey: undefined,
    label: 'the in-repo Qdrant emulator (no Qdrant server binary beside the repository)',
    stop: () => emulator.close(),
  };
}

type Results = Map<string, Map<Kind | 'all', Measure>>;

async function compareRankings(store: QdrantMemoryStore, corpus: Corpus, limit: number): Promise<Results> {
  const results: Results = new Map();
  for (const ranking of RANKINGS) {
    const byKind = new Map<Kind | 'all', Measure>([['all', emptyMeasure()], ...KINDS.map((k): [Kind, Measure] => [k, emptyMeasure()])]);
    for (const question of corpus.questions) {
      const answer = await ask(store, question, ranking.options, limit);
      for (const key of ['all', question.kind] as const) record(byKind.get(key) ?? emptyMeasure(), question, answer, DEFAULTS);
    }
    results.set(ranking.name, byKind);
  }
  return results;
}

function printRankings(results: Results, count: (kind: Kind) => number): void {
  for (const kind of ['all', ...KINDS] as const) {
    const rows = RANKINGS.map((ranking) => {
      const m = results.get(ranking.name)?.get(kind) ?? emptyMeasure();
      return kind === 'no-answer'
        ? [ranking.name, avg(m.tokens), m.injected.length === 0 ? '–' : mean(m.injected).toFixed(1)]
        : [ranking.name, pct(m.at5), pct(m.at10), pct(m.at20), pct(m.inBudget), avg(m.tokens)];
    });
    if (kind === 'no-answer')
      table(`no-answer (${count(kind)} questions)`, ['ranking', 'tokens injected / query', 'memories injected / query'], rows);
    else
      table(
        kind === 'all' ? 'All questions with an answer' : `${kind} (${count(kind)} questions)`,
        ['ranking', 'evidence recall@5', '@10', '@20', `within ${DEFAULTS.tokenBudget} tokens`, 'tokens / query'],
        rows,
      );
  }
}

const HYBRID: Ranking['options'] = { mode: 'hybrid', fusion: 'rrf' };

/** Recall within the budget by candidate depth; returns the answers at the product's depth, for the settings table. */
async function depthTable(store: QdrantMemoryStore, corpus: Corpus, limit: number): Promise<Answer[]> {
  const rows: string[][] = [];
  let atLimit: Answer[] = [];
  for (const depth of [...new Set([20, 50, limit, 100])].sort((a, b) => a - b)) {
    const answers: Answer[] = [];
    for (const question of corpus.questions) answers.push(await ask(store, question, HYBRID, depth));
    if (depth === limit) atLimit = answers;
    const m = emptyMeasure();
    corpus.questions.forEach((q, i) => {
      const a = answers[i];
      if (a && q.evidence.length > 0) record(m, q, a, DEFAULTS);
    });
    rows.push([String(depth), pct(m.inBudget), avg(m.tokens), `${percentile(m.ms, 50).toFixed(1)} / ${percentile(m.ms, 95).toFixed(1)}`]);
  }
  table(
    `Hybrid RRF: candidates fetched (top-k ${DEFAULTS.topK}, budget ${DEFAULTS.tokenBudget})`,
    ['candidates', 'recall within budget', 'tokens / query', 'search ms p50 / p95 (embed + query, client side)'],
    rows,
  );
  return atLimit;
}

function settingsTable(corpus: Corpus, answers: readonly Answer[], limit: number): void {
  const rows: string[][] = [];
  for (const tokenBudget of [500, 1000, 2000]) {
    for (const topK of [5, 10, 20, 30, 40, 50]) {
      const m = emptyMeasure();
      const none = emptyMeasure();
      corpus.questions.forEach((q, i) => {
        const a = answers[i];
        if (a) record(q.evidence.length > 0 ? m : none, q, a, { topK, tokenBudget });
      });
      rows.push([String(tokenBudget), String(topK), pct(m.inBudget), avg(m.tokens), avg(none.tokens)]);
    }
  }
  table(
    `Hybrid RRF, ${limit} candidates, dense threshold ${DEFAULTS.minScore}: token budget and top-k cap`,
    ['token budget', 'top-k', 'recall within budget', 'tokens / query (answerable)', 'tokens / query (no-answer)'],
    rows,
  );
}

async function thresholdTable(store: QdrantMemoryStore, corpus: Corpus, limit: number): Promise<void> {
  const rows: string[][] = [];
  for (const minScore of [0.3, 0.15, 0.1, 0.05, 0.02, -1]) {
    const m = emptyMeasure();
    const none = emptyMeasure();
    for (const question of corpus.questions) {
      const text = queryFromMessages([{ role: 'user', content: question.text }]);
      const hits = await store.search(question.user, embedder.embedOne(text), { limit, text, ...HYBRID, scoreThreshold: minScore });
      record(question.evidence.length > 0 ? m : none, question, { hits, ms: 0 }, DEFAULTS);
    }
    rows.push([minScore === -1 ? 'none' : String(minScore), pct(m.at5), pct(m.inBudget), avg(m.tokens), avg(none.tokens)]);
  }
  table(
    `Hybrid RRF: the dense channel's cosine threshold (top-k ${DEFAULTS.topK}, budget ${DEFAULTS.tokenBudget}, ${limit} candidates)`,
    ['threshold', 'recall@5', 'recall within budget', 'tokens / query (answerable)', 'tokens / query (no-answer)'],
    rows,
  );
}

// -------------------------------------------------------------------- facts (scripted extractor)

/** First person to third, as an extractor writes a standalone fact. */
function thirdPerson(text: string): string {
  return text
    .replace(/^(Quick update: |Anyway, |Oh, and |Long day\. )/, '')
    .replace(/\bI'm\b/g, 'the user is')
    .replace(/\bI've\b/g, 'the user has')
    .replace(/\bI\b/g, 'the user')
    .replace(/\b[Mm]y\b/g, "the user's")
    .replace(/\b[Ww]e've\b/g, 'the user has')
    .replace(/\b[Ww]e\b/g, 'the user');
}

/**
 * The scripted extractor: reads the exchanges from the prompt the product built, answers with
 * the product's JSON shape. Facts only for user turns that state one (`planted`), dated by month
 * and year of their exchange.
 */
function scriptedExtractor(prompt: string, planted: ReadonlySet<string>): string {
  const data = JSON.parse(prompt.slice(prompt.indexOf(FENCE_OPEN) + FENCE_OPEN.length, prompt.indexOf(FENCE_CLOSE))) as {
    exchanges: { label: string; date: string; user: string }[];
  };
  const facts = data.exchanges
    .filter((e) => planted.has(e.user))
    .map((e) => {
      const date = new Date(`${e.date}T00:00:00Z`);
      const when = `In ${MONTHS[date.getUTCMonth()] ?? ''} ${String(date.getUTCFullYear())}`;
      return { text: `${when} ${thirdPerson(e.user)}`.slice(0, 280), speaker: 'user', subject: null, exchange: e.label, supersedes: [] };
    });
  return JSON.stringify({ facts });
}

/** Runs extraction over every session (one batch per session, as per conversation) and stores the facts beside the turns. */
async function loadFacts(store: QdrantMemoryStore, corpus: Corpus): Promise<number> {
  let stored = 0;
  for (const [user, exchanges] of corpus.exchanges) {
    const planted = new Set(exchanges.filter((e) => e.planted).map((e) => e.user));
    const batch: NewMemory[] = [];
    for (let session = 0; session < SESSIONS; session++) {
      const inSession = exchanges.filter((e) => e.session === session);
      const messages = extractionMessages(inSession, []);
      const prompt = messages[1]?.content;
      const answer = scriptedExtractor(typeof prompt === 'string' ? prompt : '', planted);
      const parsed = parseExtraction(answer, { exchanges: inSession.length, known: 0 });
      if (!parsed.ok) throw new Error(`the scripted extractor's answer did not parse: ${parsed.reason}`);
      parsed.facts.forEach((fact, index) => {
        const source = inSession[fact.exchanges[0] ?? 0];
        if (!source) return;
        batch.push({
          userId: user,
          conversationId: `s${session}`,
          role: fact.speaker,
          text: fact.text,
          createdAt: source.at,
          requestId: source.requestId,
          chunk: 0,
          vector: embedder.embedOne(fact.text),
          fact: { batchId: `${user}-s${session}`, index, subject: fact.subject, sourceIds: [] },
        });
      });
    }
    if (batch.length > 0) await store.upsert(batch);
    stored += batch.length;
  }
  return stored;
}

async function factsTable(
  store: QdrantMemoryStore,
  corpus: Corpus,
  limit: number,
  baseline: { before: Results; count: (kind: Kind) => number },
): Promise<Results> {
  const { before, count } = baseline;
  const started = performance.now();
  const facts = await loadFacts(store, corpus);
  console.log(`\nFacts: ${facts} stored by the scripted extractor in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const name = 'hybrid + facts (scripted extractor)';
  const byKind = new Map<Kind | 'all', Measure>([['all', emptyMeasure()], ...KINDS.map((k): [Kind, Measure] => [k, emptyMeasure()])]);
  const noTieBreak = new Map<Kind | 'all', Measure>([['all', emptyMeasure()], ...KINDS.map((k): [Kind, Measure] => [k, emptyMeasure()])]);
  let factsInjected = 0;
  let injected = 0;
  for (const question of corpus.questions) {
    const answer = await ask(store, question, HYBRID, limit);
    for (const key of ['all', question.kind] as const) {
      record(byKind.get(key) ?? emptyMeasure(), question, answer, DEFAULTS);
      record(noTieBreak.get(key) ?? emptyMeasure(), question, answer, { ...DEFAULTS, factsFirst: false });
    }
    const selected = selectFor(answer.hits, DEFAULTS).hits;
    injected += selected.length;
    factsInjected += selected.filter((h) => h.payload.kind === 'fact').length;
  }
  const rows: string[][] = [];
  for (const kind of ['all', ...KINDS.filter((k) => k !== 'no-answer')] as const) {
    const was = before.get('hybrid, RRF')?.get(kind) ?? emptyMeasure();
    const now = byKind.get(kind) ?? emptyMeasure();
    const plain = noTieBreak.get(kind) ?? emptyMeasure();
    const label = kind === 'all' ? 'all with an answer' : `${kind} (${count(kind)})`;
    rows.push([label, 'hybrid, RRF', pct(was.at5), pct(was.at10), pct(was.at20), pct(was.inBudget), avg(was.tokens)]);
    rows.push([label, name, pct(now.at5), pct(now.at10), pct(now.at20), pct(now.inBudget), avg(now.tokens)]);
    rows.push([label, `${name}, no facts-first tie-break`, '', '', '', pct(plain.inBudget), avg(plain.tokens)]);
  }
  const none = byKind.get('no-answer') ?? emptyMeasure();
  const noneBefore = before.get('hybrid, RRF')?.get('no-answer') ?? emptyMeasure();
  rows.push([`no-answer (${count('no-answer')})`, 'hybrid, RRF', '', '', '', '', avg(noneBefore.tokens)]);
  rows.push([`no-answer (${count('no-answer')})`, name, '', '', '', '', avg(none.tokens)]);
  table(
    `Hybrid RRF with and without write-time facts (top-k ${DEFAULTS.topK}, budget ${DEFAULTS.tokenBudget}, ${limit} candidates); facts were ${((100 * factsInjected) / Math.max(1, injected)).toFixed(1)} % of the memories injected`,
    ['questions', 'ranking', 'evidence recall@5', '@10', '@20', `within ${DEFAULTS.tokenBudget} tokens`, 'tokens / query'],
    rows,
  );
  return new Map([[name, byKind]]);
}

async function main(): Promise<void> {
  const corpus = generate(SEED);
  const qdrant = await target();
  const store = new QdrantMemoryStore({
    url: qdrant.url,
    ...(qdrant.apiKey ? { apiKey: qdrant.apiKey } : {}),
    baseCollection: `bench_recall_${SEED}_${process.pid}`,
    embedder: { id: embedder.id, dimension: embedder.dimension },
    timeoutMs: 30_000,
  });
  try {
    await store.ensureCollection();
    const loadStarted = performance.now();
    const points = await load(store, corpus);
    const count = (kind: Kind): number => corpus.questions.filter((q) => q.kind === kind).length;
    const limit = candidateCount(DEFAULTS.topK);
    console.log(
      `Memory recall benchmark: seed ${SEED}, ${USERS} users x ${SESSIONS} sessions x ${EXCHANGES} exchanges = ${points} memories in one collection, loaded in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s through QdrantMemoryStore.upsert`,
    );
    console.log(`Vector store: ${qdrant.label}`);
    console.log(
      `Questions: ${KINDS.map((k) => `${count(k)} ${k}`).join(', ')}. Defaults: top-k ${DEFAULTS.topK}, token budget ${DEFAULTS.tokenBudget}, ${limit} candidates, dense threshold ${DEFAULTS.minScore}.`,
    );
    const results = await compareRankings(store, corpus, limit);
    printRankings(results, count);
    settingsTable(corpus, await depthTable(store, corpus, limit), limit);
    await thresholdTable(store, corpus, limit);
    for (const [name, kinds] of await factsTable(store, corpus, limit, { before: results, count })) results.set(name, kinds);
    const summary = Object.fromEntries(
      [...results].map(([name, kinds]) => [
        name,
        Object.fromEntries(
          [...kinds].map(([kind, m]) => [
            kind,
            { at5: mean(m.at5), at10: mean(m.at10), at20: mean(m.at20), inBudget: mean(m.inBudget), tokens: mean(m.tokens) },
          ]),
        ),
      ]),
    );
    console.log(
      `\nJSON ${JSON.stringify({ seed: SEED, users: USERS, sessions: SESSIONS, exchanges: EXCHANGES, points, target: qdrant.label, defaults: { ...DEFAULTS, candidates: limit }, summary })}`,
    );
  } finally {
    await fetch(`${qdrant.url}/collections/${store.collection}`, {
      method: 'DELETE',
      headers: qdrant.apiKey ? { 'api-key': qdrant.apiKey } : {},
    }).catch(() => undefined);
    await qdrant.stop();
  }
}

await main();
