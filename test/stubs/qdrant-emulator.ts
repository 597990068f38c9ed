// An in-memory stand-in for Qdrant's REST API on loopback, for the endpoints and filters the
// memory store uses (through @qdrant/js-client-rest): collection exists/get/create/delete, payload
// indexes, upsert (list and batch form), query (nearest, prefetch and fusion), scroll, count and
// delete (by ids or by filter), plus `/`, `/healthz`, `/livez` and `/readyz`. No Qdrant server can be installed on the
// test machines (DESIGN.md "Test tiers"); test/gateway/qdrant-contract.test.ts runs the same
// assertions against this emulator and, when QDRANT_URL is set, against a real Qdrant.
//
// Faithful where the store depends on it: Qdrant's envelopes (`{"result", "status": "ok", "time"}`
// and `{"status": {"error"}, "time"}`), its status codes (404 missing collection, 409 existing
// one, 400 malformed body or wrong vector size, 401 bad API key as plain text) and error texts,
// point ids (unsigned integers or UUIDs in any of Qdrant's accepted spellings, answered in the
// canonical hyphenated form), Cosine (vectors normalised on insert, score = dot product), scroll
// order (integer ids first, then UUIDs, ascending; `offset` inclusive; `next_page_offset` the
// first id not returned), and filters: must / should / must_not / min_should, nested filters,
// `match` value / any / except, `range`, `is_null`, `is_empty`, `values_count`, `has_id`.
//
// Sparse vectors, as Qdrant has them: named in `sparse_vectors` at creation, written beside the
// unnamed dense vector as `{"": [...], "<name>": {indices, values}}` (indices unique, answered 422
// otherwise), searched with `using`; a point matches when it shares an index with the query, and
// scores sum(query value * stored value), each term multiplied by its IDF when the vector has
// `modifier: "idf"`: ln(1 + (N - n + 0.5) / (n + 0.5)), N the points having a non-empty vector of
// that name, n those having the index. (One known difference: Qdrant keeps counting a deleted
// point in N until its optimiser vacuums the segment; the emulator counts live points only.)
// The Query API: `prefetch` (one or a list, each with its own query, `using`, filter, limit
// (default 10) and score_threshold; the root filter applies inside every prefetch too, as in
// Qdrant), then either fusion of the prefetches' rankings or a vector query re-scoring their
// union. Fusion is Qdrant's: `{"fusion": "rrf"}` or `{"rrf": {"k", "weights"}}` scores each list
// position p as 1 / ((p + 1) / weight + k - 1), k = 2 by default, summed over lists;
// `{"fusion": "dbsf"}` maps each list's scores by mean +/- 3 sample standard deviations onto
// [0, 1] (a lone score is 0.5) and sums them. Root score_threshold, limit and offset apply to the
// fused list.
//
// Not implemented (answered with a 400 that says so): named dense vectors, multi-vectors, Euclid
// and Manhattan distances, nested prefetches, recommend / discover / order_by / formula queries,
// nested and geo conditions, full-text match, shard keys. Not emulated at all: HNSW (search is an exact
// linear scan, which is what Qdrant does below its full-scan threshold), persistence, snapshots,
// clustering, strict mode. Payload indexes are recorded and reported but never required.
//
// Search is a linear scan over one Float32Array per collection; 100k points of 384 dimensions
// answer in tens of milliseconds. Knobs: `delayMs` (a slow Qdrant), `down` ('reset' drops every
// connection, 'unavailable' answers 503), and `requests` to count what the client sent.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Payload = Record<string, unknown>;
export type PointId = number | string;

export interface EmulatorRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  status: number;
  /** The JSON body as sent (undefined when there was none or it was not JSON): lets tests check what the client asked. */
  body: unknown;
  /** The request's Accept-Encoding header, if any. */
  acceptEncoding: string | undefined;
}

export interface EmulatorKnobs {
  /** Wait this long before answering each request. */
  delayMs: number;
  /** 'reset': destroy every connection (the client sees a socket error); 'unavailable': answer 503. */
  down: false | 'reset' | 'unavailable';
}

export interface SparseSeed {
  indices: readonly number[];
  values: readonly number[];
}

export interface SeedPoint {
  id: PointId;
  vector: Float32Array | readonly number[];
  /** Sparse vectors by name. */
  sparse?: Record<string, SparseSeed>;
  payload?: Payload;
}

export interface QdrantEmulator {
  url: string;
  /** Mutable between requests. */
  knobs: EmulatorKnobs;
  /** Every answered request, in order. */
  readonly requests: readonly EmulatorRequest[];
  /** Collection names. */
  collections(): string[];
  /** Live points in a collection (0 when it does not exist). */
  pointCount(collection: string): number;
  /** Creates a collection directly (no HTTP), for tests that prepare state; `sparse` names sparse vectors and their modifier. */
  createCollection(name: string, size: number, distance?: Distance, sparse?: Record<string, { modifier?: 'idf' | 'none' }>): void;
  /** Inserts points directly (no HTTP, no JSON): how a benchmark loads 100k vectors quickly. */
  seed(collection: string, points: readonly SeedPoint[]): void;
  /** Drops every collection and forgets the request log. */
  reset(): void;
  close(): Promise<void>;
}

export interface QdrantEmulatorOptions {
  /** When set, every request except `/`, `/healthz`, `/livez*` and `/readyz*` needs it (header `api-key` or `Authorization: Bearer`). */
  apiKey?: string;
  /** Reported by `GET /`. */
  version?: string;
  /** Where to listen: loopback unless a test host's address is given (the node profile's bridge). */
  host?: string;
}

type Distance = 'Cosine' | 'Dot';
type Predicate = (key: string, payload: Payload) => boolean;

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const formatError = (what: string): HttpError => new HttpError(400, `Format error in JSON body: ${what}`);
const wrongInput = (what: string): HttpError => new HttpError(400, `Wrong input: ${what}`);
const notImplemented = (what: string): HttpError => new HttpError(400, `Qdrant emulator: ${what} is not implemented`);
const missingCollection = (name: string): HttpError => new HttpError(404, `Not found: Collection \`${name}\` doesn't exist!`);

// ---------------------------------------------------------------------------------------------
// Small JSON helpers

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Qdrant accepts one condition or a list wherever it takes a list (MaybeOneOrMany). */
function oneOrMany(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function optionalUint(value: unknown, what: string, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw formatError(`invalid value for \`${what}\`: expected an unsigned integer`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Point ids: unsigned integers, or UUIDs (hyphenated, simple, braced or urn form), answered in
// canonical form. Map keys are "#<n>" for integers and the canonical UUID for UUIDs.

const UUID_BODY = /^[0-9a-f]{32}$/;

function canonicalUuid(text: string): string | undefined {
  let t = text.toLowerCase();
  if (t.startsWith('urn:uuid:')) t = t.slice(9);
  if (t.startsWith('{') && t.endsWith('}')) t = t.slice(1, -1);
  const hyphenated = t.length === 36 && [8, 13, 18, 23].every((i) => t[i] === '-');
  const hex = hyphenated ? t.replace(/-/g, '') : t;
  if (!UUID_BODY.test(hex) || (!hyphenated && t.length !== 32)) return undefined;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function parsePointId(value: unknown): PointId {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  const uuid = typeof value === 'string' ? canonicalUuid(value) : undefined;
  if (uuid === undefined) throw formatError(`value ${typeof value === 'string' ? value : JSON.stringify(value)} is not a valid point ID`);
  return uuid;
}

function keyOf(id: PointId): string {
  return typeof id === 'number' ? `#${id}` : id;
}

function idOfKey(key: string): PointId {
  return key.startsWith('#') ? Number(key.slice(1)) : key;
}

/** Qdrant's order: integer ids before UUIDs; integers numerically, UUIDs as 128-bit numbers (= hex text). */
function compareKeys(a: string, b: string): number {
  const an = a.startsWith('#');
  const bn = b.startsWith('#');
  if (an !== bn) return an ? -1 : 1;
  if (an) return Number(a.slice(1)) - Number(b.slice(1));
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Filters, compiled once per request into a predicate over (point key, payload).

/** Values at a dotted path, arrays flattened (Qdrant matches a condition against any element). */
function valuesAt(payload: Payload, key: string): unknown[] {
  let current: unknown[] = [payload];
  for (const part of key.split('.')) {
    const next: unknown[] = [];
    for (const item of current) {
      if (isObject(item) && part in item) next.push(item[part]);
    }
    current = next.flatMap((v) => (Array.isArray(v) ? (v as unknown[]) : [v]));
  }
  return current;
}

function rawAt(payload: Payload, key: string): unknown {
  let current: unknown = payload;
  for (const part of key.split('.')) {
    if (!isObject(current) || !(part in current)) return undefined;
    current = current[part];
  }
  return current;
}

function isMatchable(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function compileMatch(key: string, match: unknown): Predicate {
  if (!isObject(match)) throw formatError('`match` must be an object');
  if ('value' in match) {
    const wanted = match.value;
    if (!isMatchable(wanted)) throw formatError('`match.value` must be a string, number or boolean');
    return (_id, payload) => valuesAt(payload, key).some((v) => v === wanted);
  }
  if ('any' in match || 'except' in match) {
    const list = match.any ?? match.except;
    if (!Array.isArray(list) || !list.every((v) => typeof v === 'string' || typeof v === 'number'))
      throw formatError('`match.any` / `match.except` must be a list of strings or of integers');
    const set = new Set<unknown>(list);
    if ('any' in match) return (_id, payload) => valuesAt(payload, key).some((v) => set.has(v));
    // Qdrant: true when some value is outside the list (a missing field is not "except" anything).
    return (_id, payload) => valuesAt(payload, key).some((v) => !set.has(v));
  }
  throw notImplemented(`match ${Object.keys(match).join(', ')}`);
}

function compileRange(key: string, range: unknown): Predicate {
  if (!isObject(range)) throw formatError('`range` must be an object');
  const bound = (name: string): number | undefined => {
    const v = range[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number') throw formatError(`\`range.${name}\` must be a number`);
    return v;
  };
  const [gt, gte, lt, lte] = [bound('gt'), bound('gte'), bound('lt'), bound('lte')];
  const within = (v: number): boolean =>
    (gt === undefined || v > gt) && (gte === undefined || v >= gte) && (lt === undefined || v < lt) && (lte === undefined || v <= lte);
  return (_id, payload) => valuesAt(payload, key).some((v) => typeof v === 'number' && within(v));
}

function isEmptyAt(payload: Payload, key: string): boolean {
  return valuesAt(payload, key).every((v) => v === null);
}

function compileFieldCondition(condition: Record<string, unknown>): Predicate {
  const key = condition.key;
  if (typeof key !== 'string' || key.length === 0) throw formatError('`key` must be a non-empty string');
  if (condition.match !== undefined && condition.match !== null) return compileMatch(key, condition.match);
  if (condition.range !== undefined && condition.range !== null) return compileRange(key, condition.range);
  if (typeof condition.is_empty === 'boolean') {
    const wanted = condition.is_empty;
    return (_id, payload) => isEmptyAt(payload, key) === wanted;
  }
  if (typeof condition.is_null === 'boolean') {
    const wanted = condition.is_null;
    return (_id, payload) => (rawAt(payload, key) === null) === wanted;
  }
  if (isObject(condition.values_count)) {
    const range = compileRange('n', condition.values_count);
    return (id, payload) => range(id, { n: valuesAt(payload, key).length });
  }
  throw notImplemented(
    `field condition ${
      Object.keys(condition)
        .filter((k) => k !== 'key')
        .join(', ') || '(empty)'
    }`,
  );
}

function payloadFieldKey(value: unknown, what: string): string {
  if (!isObject(value) || typeof value.key !== 'string') throw formatError(`\`${what}\` must be {"key": "<field>"}`);
  return value.key;
}

function compileCondition(condition: unknown): Predicate {
  if (!isObject(condition))
    throw formatError(
      'Expected some form of condition, which can be a field condition (like {"key": ..., "match": ... }), or some other mentioned in the documentation',
    );
  if ('key' in condition) return compileFieldCondition(condition);
  if ('has_id' in condition) {
    if (!Array.isArray(condition.has_id)) throw formatError('`has_id` must be a list of point ids');
    const keys = new Set(condition.has_id.map((id) => keyOf(parsePointId(id))));
    return (id) => keys.has(id);
  }
  if ('is_empty' in condition) {
    const key = payloadFieldKey(condition.is_empty, 'is_empty');
    return (_id, payload) => isEmptyAt(payload, key);
  }
  if ('is_null' in condition) {
    const key = payloadFieldKey(condition.is_null, 'is_null');
    return (_id, payload) => rawAt(payload, key) === null;
  }
  if (['must', 'should', 'must_not', 'min_should'].some((k) => k in condition)) return compileFilter(condition);
  throw notImplemented(`condition ${Object.keys(condition).join(', ') || '(empty)'}`);
}

function compileMinShould(value: unknown): Predicate | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value) || !Array.isArray(value.conditions)) throw formatError('`min_should` must be {"conditions": [...], "min_count": n}');
  const conditions = value.conditions.map(compileCondition);
  const min = optionalUint(value.min_count, 'min_should.min_count', 1);
  return (id, payload) => conditions.filter((c) => c(id, payload)).length >= min;
}

function compileFilter(filter: unknown): Predicate {
  if (filter === undefined || filter === null) return () => true;
  if (!isObject(filter)) throw formatError('`filter` must be an object');
  const must = oneOrMany(filter.must).map(compileCondition);
  const should = oneOrMany(filter.should).map(compileCondition);
  const mustNot = oneOrMany(filter.must_not).map(compileCondition);
  const minShould = compileMinShould(filter.min_should);
  return (id, payload) =>
    must.every((c) => c(id, payload)) &&
    (should.length === 0 || should.some((c) => c(id, payload))) &&
    !mustNot.some((c) => c(id, payload)) &&
    (minShould === undefined || minShould(id, payload));
}

// ---------------------------------------------------------------------------------------------
// with_payload / with_vector selectors

function selectPayload(payload: Payload, selector: unknown): Payload | null {
  if (selector === undefined || selector === null || selector === false) return null;
  if (selector === true) return payload;
  const pick = (keys: string[], keep: boolean): Payload =>
    Object.fromEntries(Object.entries(payload).filter(([k]) => keys.includes(k) === keep));
  if (Array.isArray(selector)) return pick(selector.map(String), true);
  if (isObject(selector) && Array.isArray(selector.include)) return pick(selector.include.map(String), true);
  if (isObject(selector) && Array.isArray(selector.exclude)) return pick(selector.exclude.map(String), false);
  throw formatError('`with_payload` must be a boolean, a list of keys, {"include": [...]} or {"exclude": [...]}');
}

// ---------------------------------------------------------------------------------------------
// A collection: vectors in one growable Float32Array, slots reused after deletes.

interface IndexInfo {
  data_type: string;
  params?: Record<string, unknown>;
}

interface Sparse {
  indices: Uint32Array;
  values: Float32Array;
}

interface PreparedVectors {
  dense: Float32Array | undefined;
  sparse: Map<string, Sparse>;
}

/** A query vector, once parsed: dense (compared by the collection's distance) or sparse. */
type QueryVector = { kind: 'dense'; vector: Float32Array } | { kind: 'sparse'; name: string; vector: Sparse };

interface Scored {
  key: string;
  score: number;
}

const conversionError = (): HttpError => wrongInput('Conversion between sparse and regular vectors failed');
const missingVectorName = (name: string): HttpError => wrongInput(`Not existing vector name error: ${name}`);

function isSparseInput(value: unknown): value is { indices: unknown; values: unknown } {
  return isObject(value) && 'indices' in value && 'values' in value;
}

/** Qdrant's checks on a sparse vector: indices unsigned 32-bit and unique, one value each. */
function parseSparse(value: { indices: unknown; values: unknown }, where: string): Sparse {
  const { indices, values } = value;
  if (!Array.isArray(indices) || !Array.isArray(values)) throw formatError('sparse `indices` and `values` must be lists');
  if (!indices.every((i) => typeof i === 'number' && Number.isInteger(i) && i >= 0 && i <= 0xffffffff))
    throw formatError('sparse `indices` must be unsigned 32-bit integers');
  if (!values.every((v) => typeof v === 'number' && Number.isFinite(v))) throw formatError('sparse `values` must be finite numbers');
  if (indices.length !== values.length)
    throw new HttpError(422, `Validation error in JSON body: [${where}.values: Validation error: must be the same length as indices [{}]]`);
  if (new Set(indices).size !== indices.length)
    throw new HttpError(422, `Validation error in JSON body: [${where}.indices: Validation error: must be unique [{}]]`);
  return { indices: Uint32Array.from(indices as number[]), values: Float32Array.from(values as number[]) };
}

class Collection {
  readonly name: string;
  readonly size: number;
  /** 'Cosine' or 'Dot' are searchable; anything else ('Euclid', 'named') is only reported. */
  readonly distance: string;
  /** Named-vector configs are kept for GET but points cannot use them. */
  readonly vectorsConfig: Record<string, unknown>;
  /** Sparse vector names and whether Qdrant weighs their terms by IDF. */
  readonly sparseConfig: Map<string, { modifier: 'idf' | 'none' | undefined }>;
  readonly hnsw: Record<string, unknown>;
  readonly indexes = new Map<string, IndexInfo>();
  #vectors: Float32Array;
  #hasDense: boolean[] = [];
  #sparse: (Map<string, Sparse> | undefined)[] = [];
  /** Per sparse vector name: how many live points hold each index (n), and how many hold a non-empty vector (N). */
  readonly #documentFrequency = new Map<string, Map<number, number>>();
  readonly #documentCount = new Map<string, number>();
  #keys: (string | undefined)[] = [];
  #payloads: Payload[] = [];
  #free: number[] = [];
  readonly #slotOf = new Map<string, number>();
  #operation = 0;

  constructor(
    name: string,
    vectorsConfig: Record<string, unknown>,
    sparseConfig: Map<string, { modifier: 'idf' | 'none' | undefined }>,
    hnsw: Record<string, unknown>,
  ) {
    this.name = name;
    this.vectorsConfig = vectorsConfig;
    this.sparseConfig = sparseConfig;
    this.size = typeof vectorsConfig.size === 'number' ? vectorsConfig.size : 0;
    this.distance = typeof vectorsConfig.distance === 'string' ? vectorsConfig.distance : 'named';
    this.hnsw = hnsw;
    this.#vectors = new Float32Array(Math.max(1, this.size) * 1024);
  }

  get count(): number {
    return this.#slotOf.size;
  }

  nextOperation(): number {
    return ++this.#operation;
  }

  #checkUsable(): void {
    if (this.distance !== 'Cosine' && this.distance !== 'Dot')
      throw notImplemented(`a collection with ${this.distance === 'named' ? 'named vectors' : `${this.distance} distance`}`);
  }

  /** The vector as stored: a Float32Array copy, normalised for Cosine. Throws Qdrant's dimension error. */
  prepare(vector: unknown, name?: string): Float32Array {
    this.#checkUsable();
    if (!Array.isArray(vector) && !(vector instanceof Float32Array)) throw notImplemented('multi vectors');
    if (vector.length !== this.size)
      throw wrongInput(
        `Vector dimension error: expected dim: ${this.size}, got ${vector.length}${name === undefined ? '' : ` for vector '${name}'`}`,
      );
    const out = new Float32Array(this.size);
    let norm = 0;
    for (let i = 0; i < this.size; i++) {
      const v: unknown = vector[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw formatError('vector components must be finite numbers');
      out[i] = v;
      norm += v * v;
    }
    if (this.distance === 'Cosine' && norm > 0) {
      const scale = 1 / Math.sqrt(norm);
      for (let i = 0; i < this.size; i++) out[i] = (out[i] ?? 0) * scale;
    }
    return out;
  }

  /** A point's vectors: a plain list (the unnamed dense vector) or `{"": dense, "<sparse name>": {indices, values}}`. */
  prepareVectors(vector: unknown, where: string): PreparedVectors {
    if (Array.isArray(vector) || vector instanceof Float32Array) return { dense: this.prepare(vector), sparse: new Map() };
    if (!isObject(vector)) throw formatError('`vector` must be a list of numbers or an object of named vectors');
    const sparse = new Map<string, Sparse>();
    let dense: Float32Array | undefined;
    for (const [name, value] of Object.entries(vector)) {
      if (name === '') {
        if (isSparseInput(value)) throw conversionError();
        dense = this.prepare(value, name);
      } else if (this.sparseConfig.has(name)) {
        if (!isSparseInput(value)) throw conversionError();
        sparse.set(name, parseSparse(value, `${where}.vector.?`));
      } else {
        throw missingVectorName(name);
      }
    }
    return { dense, sparse };
  }

  /** A query's vector and the vector it searches (`using`; the unnamed dense vector by default). */
  queryVector(vector: unknown, using: unknown): QueryVector {
    const name = using === undefined || using === null ? '' : using;
    if (typeof name !== 'string') throw formatError('`using` must be a string');
    if (name !== '' && !this.sparseConfig.has(name)) throw missingVectorName(name);
    const sparseQuery = isSparseInput(vector);
    if (sparseQuery !== (name !== '')) throw conversionError();
    if (sparseQuery) return { kind: 'sparse', name, vector: parseSparse(vector, 'internal.query') };
    return { kind: 'dense', vector: this.prepare(vector) };
  }

  upsert(id: PointId, vectors: PreparedVectors, payload: Payload): void {
    const key = keyOf(id);
    let slot = this.#slotOf.get(key);
    if (slot === undefined) {
      slot = this.#free.pop() ?? this.#keys.length;
      this.#grow(slot + 1);
      this.#slotOf.set(key, slot);
    } else {
      this.#countSparse(this.#sparse[slot], -1);
    }
    if (vectors.dense) this.#vectors.set(vectors.dense, slot * this.size);
    this.#hasDense[slot] = vectors.dense !== undefined;
    this.#sparse[slot] = vectors.sparse.size === 0 ? undefined : vectors.sparse;
    this.#countSparse(this.#sparse[slot], 1);
    this.#keys[slot] = key;
    this.#payloads[slot] = payload;
  }

  /** Keeps the IDF statistics: N and n per sparse vector name, over live points. */
  #countSparse(sparse: Map<string, Sparse> | undefined, delta: 1 | -1): void {
    for (const [name, vector] of sparse ?? []) {
      if (vector.indices.length === 0) continue;
      this.#documentCount.set(name, (this.#documentCount.get(name) ?? 0) + delta);
      let frequency = this.#documentFrequency.get(name);
      if (!frequency) this.#documentFrequency.set(name, (frequency = new Map<number, number>()));
      for (const index of vector.indices) frequency.set(index, (frequency.get(index) ?? 0) + delta);
    }
  }

  #grow(slots: number): void {
    if (slots * this.size <= this.#vectors.length) return;
    const bigger = new Float32Array(Math.max(slots * this.size, this.#vectors.length * 2));
    bigger.set(this.#vectors);
    this.#vectors = bigger;
  }

  delete(key: string): boolean {
    const slot = this.#slotOf.get(key);
    if (slot === undefined) return false;
    this.#countSparse(this.#sparse[slot], -1);
    this.#slotOf.delete(key);
    this.#keys[slot] = undefined;
    this.#payloads[slot] = {};
    this.#sparse[slot] = undefined;
    this.#hasDense[slot] = false;
    this.#free.push(slot);
    return true;
  }

  /** Keys of live points matching the predicate (unordered). */
  matching(predicate: Predicate): string[] {
    const out: string[] = [];
    for (const [key, slot] of this.#slotOf) {
      if (predicate(key, this.#payloads[slot] ?? {})) out.push(key);
    }
    return out;
  }

  payloadOf(key: string): Payload {
    const slot = this.#slotOf.get(key);
    return slot === undefined ? {} : (this.#payloads[slot] ?? {});
  }

  /** As Qdrant answers `with_vector`: a plain list for a point with only the dense vector, else an object by name. */
  vectorOf(key: string): unknown {
    const slot = this.#slotOf.get(key) ?? 0;
    const dense = Array.from(this.#vectors.subarray(slot * this.size, (slot + 1) * this.size));
    const sparse = this.#sparse[slot];
    if (sparse === undefined) return dense;
    const named: Record<string, unknown> = this.#hasDense[slot] ? { '': dense } : {};
    for (const [name, v] of sparse) named[name] = { indices: Array.from(v.indices), values: Array.from(v.values) };
    return named;
  }

  /** Qdrant's IDF: ln(1 + (N - n + 0.5) / (n + 0.5)). */
  #idf(name: string, index: number): number {
    const total = this.#documentCount.get(name) ?? 0;
    const having = this.#documentFrequency.get(name)?.get(index) ?? 0;
    return Math.log(1 + (total - having + 0.5) / (having + 0.5));
  }

  #denseScore(query: Float32Array, slot: number): number | undefined {
    if (!this.#hasDense[slot]) return undefined;
    let dot = 0;
    const base = slot * this.size;
    for (let i = 0; i < this.size; i++) dot += (this.#vectors[base + i] ?? 0) * (query[i] ?? 0);
    return Math.fround(dot);
  }

  /** Sum over shared indices of query value * IDF (when weighted) * stored value; undefined when no index is shared. */
  #sparseScore(name: string, query: Sparse, slot: number, idf: Map<number, number> | undefined): number | undefined {
    const stored = this.#sparse[slot]?.get(name);
    if (stored === undefined) return undefined;
    let score = 0;
    let shared = false;
    for (let i = 0; i < query.indices.length; i++) {
      const index = query.indices[i] ?? 0;
      const at = stored.indices.indexOf(index);
      if (at === -1) continue;
      shared = true;
      score += (query.values[i] ?? 0) * (idf?.get(index) ?? 1) * (stored.values[at] ?? 0);
    }
    return shared ? Math.fround(score) : undefined;
  }

  #scorer(query: QueryVector): (slot: number) => number | undefined {
    if (query.kind === 'dense') return (slot) => this.#denseScore(query.vector, slot);
    let idf: Map<number, number> | undefined;
    if (this.sparseConfig.get(query.name)?.modifier === 'idf') {
      idf = new Map<number, number>();
      for (const index of query.vector.indices) idf.set(index, this.#idf(query.name, index));
    }
    return (slot) => this.#sparseScore(query.name, query.vector, slot, idf);
  }

  /**
   * Exact nearest neighbours among the live points matching the predicate (and, when given, among
   * `candidates` only): one pass, the best `top` kept in small sorted arrays.
   */
  nearest(
    query: QueryVector,
    predicate: Predicate,
    options: { top: number; threshold: number | undefined; candidates?: ReadonlySet<string> },
  ): Scored[] {
    const { top, threshold, candidates } = options;
    const scores: number[] = [];
    const keys: string[] = [];
    const score = this.#scorer(query);
    for (let slot = 0; top > 0 && slot < this.#keys.length; slot++) {
      const key = this.#keys[slot];
      if (key === undefined || (candidates !== undefined && !candidates.has(key)) || !predicate(key, this.#payloads[slot] ?? {})) continue;
      const value = score(slot);
      if (
        value === undefined ||
        (threshold !== undefined && value < threshold) ||
        (scores.length === top && value < (scores[top - 1] ?? -Infinity))
      )
        continue;
      insertSorted({ scores, keys, top }, value, key);
    }
    return keys.map((key, i) => ({ key, score: scores[i] ?? 0 }));
  }
}

/** Insert keeping `scores` descending (ties by key, for determinism) and at most `top` long. */
function insertSorted(best: { scores: number[]; keys: string[]; top: number }, score: number, key: string): void {
  const { scores, keys, top } = best;
  let at = scores.length;
  while (at > 0 && ((scores[at - 1] ?? 0) < score || ((scores[at - 1] ?? 0) === score && compareKeys(keys[at - 1] ?? '', key) > 0))) at--;
  scores.splice(at, 0, score);
  keys.splice(at, 0, key);
  if (scores.length > top) {
    scores.pop();
    keys.pop();
  }
}

// ---------------------------------------------------------------------------------------------
// Endpoint handlers. Each returns the `result` of Qdrant's envelope or throws an HttpError.

type Collections = Map<string, Collection>;

interface Call {
  method: string;
  /** Path segments after /collections/{name}, e.g. ['points', 'query']. */
  rest: string[];
  name: string;
  query: URLSearchParams;
  body: unknown;
}

const INVALID_NAME = /[<>:"/\\|?*\0]/;

function sparseConfigOf(value: unknown): Map<string, { modifier: 'idf' | 'none' | undefined }> {
  const config = new Map<string, { modifier: 'idf' | 'none' | undefined }>();
  if (value === undefined || value === null) return config;
  if (!isObject(value)) throw formatError('`sparse_vectors` must be an object of named sparse vector params');
  for (const [name, params] of Object.entries(value)) {
    const modifier = isObject(params) ? params.modifier : undefined;
    if (modifier !== undefined && modifier !== null && modifier !== 'idf' && modifier !== 'none')
      throw formatError(`unknown variant ${JSON.stringify(modifier)}, expected \`none\` or \`idf\``);
    config.set(name, { modifier: modifier ?? undefined });
  }
  return config;
}

function createCollection(collections: Collections, name: string, body: unknown): boolean {
  if (name.length === 0 || name.length > 255 || INVALID_NAME.test(name))
    throw new HttpError(422, `Validation error in path parameters: [name: collection name is invalid]`);
  if (collections.has(name)) throw new HttpError(409, `Wrong input: Collection \`${name}\` already exists!`);
  if (!isObject(body) || !isObject(body.vectors)) throw notImplemented('a collection without dense vectors');
  const vectors = body.vectors;
  if ('size' in vectors) {
    if (typeof vectors.size !== 'number' || !Number.isSafeInteger(vectors.size) || vectors.size < 1)
      throw formatError('`vectors.size` must be a positive integer');
    if (!['Cosine', 'Dot', 'Euclid', 'Manhattan'].includes(String(vectors.distance)))
      throw formatError(`unknown variant \`${String(vectors.distance)}\`, expected one of \`Cosine\`, \`Euclid\`, \`Dot\`, \`Manhattan\``);
  }
  collections.set(
    name,
    new Collection(name, vectors, sparseConfigOf(body.sparse_vectors), isObject(body.hnsw_config) ? body.hnsw_config : {}),
  );
  return true;
}

/** PATCH /collections/{name}: only a sparse vector's modifier can change; Qdrant cannot add a vector to an existing collection. */
function updateCollection(collection: Collection, body: unknown): boolean {
  if (!isObject(body)) throw formatError('expected an object');
  for (const [name, params] of sparseConfigOf(body.sparse_vectors)) {
    const existing = collection.sparseConfig.get(name);
    if (existing === undefined) throw missingVectorName(name);
    if (params.modifier !== undefined) existing.modifier = params.modifier;
  }
  const other = Object.keys(body).filter((k) => k !== 'sparse_vectors');
  if (other.length > 0) throw notImplemented(`updating ${other.join(', ')}`);
  return true;
}

function collectionInfo(collection: Collection): Record<string, unknown> {
  const payloadSchema = Object.fromEntries([...collection.indexes].map(([field, info]) => [field, { ...info, points: collection.count }]));
  return {
    status: 'green',
    optimizer_status: 'ok',
    indexed_vectors_count: 0,
    points_count: collection.count,
    segments_count: 1,
    config: {
      params: {
        vectors: collection.vectorsConfig,
        shard_number: 1,
        replication_factor: 1,
        write_consistency_factor: 1,
        on_disk_payload: true,
        ...(collection.sparseConfig.size === 0
          ? {}
          : {
              sparse_vectors: Object.fromEntries(
                [...collection.sparseConfig].map(([name, p]) => [name, p.modifier === undefined ? {} : { modifier: p.modifier }]),
              ),
            }),
      },
      hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000, max_indexing_threads: 0, on_disk: false, ...collection.hnsw },
      optimizer_config: {
        deleted_threshold: 0.2,
        vacuum_min_vector_number: 1000,
        default_segment_number: 0,
        max_segment_size: null,
        memmap_threshold: null,
        indexing_threshold: 10000,
        flush_interval_sec: 5,
        max_optimization_threads: null,
      },
      wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
      quantization_config: null,
    },
    payload_schema: payloadSchema,
  };
}

const INDEX_TYPES = ['keyword', 'integer', 'float', 'geo', 'text', 'bool', 'datetime', 'uuid'];

function createIndex(collection: Collection, body: unknown, wait: boolean): Record<string, unknown> {
  if (!isObject(body) || typeof body.field_name !== 'string') throw formatError('missing field `field_name`');
  const schema = body.field_schema;
  const type = isObject(schema) ? schema.type : schema;
  if (typeof type !== 'string' || !INDEX_TYPES.includes(type)) throw formatError('`field_schema` must be a payload type or {"type": ...}');
  collection.indexes.set(body.field_name, isObject(schema) ? { data_type: type, params: schema } : { data_type: type });
  return updateResult(collection, wait);
}

function updateResult(collection: Collection, wait: boolean): Record<string, unknown> {
  return { operation_id: collection.nextOperation(), status: wait ? 'completed' : 'acknowledged' };
}

function payloadOf(value: unknown): Payload {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw formatError('`payload` must be an object');
  return value;
}

/** The list form {"points": [{id, vector, payload}]} or the batch form {"batch": {ids, vectors, payloads}}. */
function pointsToUpsert(body: unknown): { id: unknown; vector: unknown; payload: unknown }[] {
  if (isObject(body) && Array.isArray(body.points)) {
    return body.points.map((p: unknown) => {
      if (!isObject(p)) throw formatError('each point must be an object');
      if (!('vector' in p)) throw formatError('missing field `vector`');
      return { id: p.id, vector: p.vector, payload: p.payload };
    });
  }
  if (isObject(body) && isObject(body.batch)) {
    const { ids, vectors, payloads } = body.batch;
    if (!Array.isArray(ids) || !Array.isArray(vectors) || ids.length !== vectors.length)
      throw wrongInput('batch `ids` and `vectors` must be lists of the same length');
    if (payloads !== undefined && payloads !== null && (!Array.isArray(payloads) || payloads.length !== ids.length))
      throw wrongInput('batch `payloads` must match `ids` in length');
    const list: unknown[] = vectors;
    const payloadList: unknown[] | undefined = Array.isArray(payloads) ? payloads : undefined;
    return ids.map((id: unknown, i) => ({ id, vector: list[i], payload: payloadList?.[i] }));
  }
  throw formatError('expected `points` or `batch`');
}

function upsert(collection: Collection, body: unknown, wait: boolean): Record<string, unknown> {
  // Validate the whole request before applying any of it, as Qdrant does.
  const prepared = pointsToUpsert(body).map((p, i) => ({
    id: parsePointId(p.id),
    vector: collection.prepareVectors(p.vector, `points[${i}]`),
    payload: payloadOf(p.payload),
  }));
  for (const p of prepared) collection.upsert(p.id, p.vector, p.payload);
  return updateResult(collection, wait);
}

function recordOf(collection: Collection, key: string, body: Record<string, unknown>, defaultPayload: boolean): Record<string, unknown> {
  const payload = selectPayload(collection.payloadOf(key), body.with_payload ?? defaultPayload);
  const vector = body.with_vector === true ? collection.vectorOf(key) : null;
  return { id: idOfKey(key), payload, vector };
}

type QueryBody = Record<string, unknown>;

/** The ranking a fusion query asks for, or undefined when the query is not a fusion. */
function fusionOf(query: unknown): { method: 'rrf'; k: number; weights: number[] | undefined } | { method: 'dbsf' } | undefined {
  if (!isObject(query)) return undefined;
  if ('fusion' in query) {
    if (query.fusion === 'rrf') return { method: 'rrf', k: 2, weights: undefined };
    if (query.fusion === 'dbsf') return { method: 'dbsf' };
    throw formatError('Expected some form of vector, id, or a type of query');
  }
  if ('rrf' in query) {
    const params = isObject(query.rrf) ? query.rrf : {};
    const weights = params.weights;
    if (weights !== undefined && weights !== null && (!Array.isArray(weights) || !weights.every((w) => typeof w === 'number')))
      throw formatError('`rrf.weights` must be a list of numbers');
    return { method: 'rrf', k: optionalUint(params.k, 'rrf.k', 2), weights: Array.isArray(weights) ? weights : undefined };
  }
  return undefined;
}

/** The vector of a nearest query: a plain list, a sparse {indices, values}, or {"nearest": either}. */
function nearestVector(query: unknown): unknown {
  if (Array.isArray(query) || isSparseInput(query)) return query;
  if (isObject(query) && 'nearest' in query) return query.nearest;
  throw notImplemented('this kind of query');
}

/** Qdrant's RRF position score: 1 / ((position + 1) / weight + k - 1); with weight 1, 1 / (position + k). */
function rrf(lists: Scored[][], k: number, weights: number[] | undefined): Map<string, number> {
  if (weights !== undefined && weights.length !== lists.length)
    throw wrongInput(`Number of weights in RRF should match number of pre-fetches: got ${weights.length}, expected ${lists.length}`);
  const fused = new Map<string, number>();
  lists.forEach((list, l) => {
    const weight = weights?.[l] ?? 1;
    list.forEach(({ key }, position) => {
      const score = weight <= 0 ? 0 : 1 / ((position + 1) / weight + k - 1);
      fused.set(key, (fused.get(key) ?? 0) + score);
    });
  });
  return fused;
}

/** Qdrant's DBSF: each list's scores mapped by mean +/- 3 sample standard deviations onto [0, 1] (one score: 0.5), then summed. */
function dbsf(lists: Scored[][]): Map<string, number> {
  const fused = new Map<string, number>();
  for (const list of lists) {
    const scores = list.map((p) => p.score);
    const mean = scores.reduce((a, b) => a + b, 0) / Math.max(1, scores.length);
    const deviation = scores.length < 2 ? 0 : Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / (scores.length - 1));
    const [low, high] = [mean - 3 * deviation, mean + 3 * deviation];
    for (const { key, score } of list) fused.set(key, (fused.get(key) ?? 0) + (low === high ? 0.5 : (score - low) / (high - low)));
  }
  return fused;
}

interface QueryLevel {
  /** Filters of the enclosing queries (a root filter applies inside prefetches too). */
  inherited: Predicate[];
  /** 0 for the root, 1 for a prefetch. */
  depth: number;
}

/** One query (the root or a prefetch): its ranked points before offset, at most `limit + offset` of them. */
function runQuery(collection: Collection, body: QueryBody, level: QueryLevel): Scored[] {
  const { inherited, depth } = level;
  const own = compileFilter(body.filter);
  const filters = [...inherited, own];
  const predicate: Predicate = (key, payload) => filters.every((f) => f(key, payload));
  // Qdrant's default limit is 10 for the root and for a prefetch.
  const top = optionalUint(body.limit, 'limit', 10) + (depth === 0 ? optionalUint(body.offset, 'offset', 0) : 0);
  const threshold = typeof body.score_threshold === 'number' ? body.score_threshold : undefined;
  const prefetches = oneOrMany(body.prefetch);
  const fusion = fusionOf(body.query);
  if (prefetches.length === 0) {
    if (fusion !== undefined) throw wrongInput('Validation failed: cannot apply Fusion without prefetches');
    if (body.query === undefined || body.query === null) throw notImplemented('a query without a vector');
    return collection.nearest(collection.queryVector(nearestVector(body.query), body.using), predicate, { top, threshold });
  }
  if (depth > 0) throw notImplemented('nested prefetch');
  // The root filter narrows every prefetch too, as in Qdrant.
  const lists = prefetches.map((prefetch) => {
    if (!isObject(prefetch)) throw formatError('each prefetch must be an object');
    return runQuery(collection, prefetch, { inherited: filters, depth: depth + 1 });
  });
  if (fusion === undefined) {
    if (body.query === undefined || body.query === null) throw notImplemented('prefetch without a query');
    const candidates = new Set(lists.flatMap((list) => list.map((p) => p.key)));
    return collection.nearest(collection.queryVector(nearestVector(body.query), body.using), predicate, { top, threshold, candidates });
  }
  if (body.using !== undefined && body.using !== null)
    throw new HttpError(400, "Bad request: Fusion queries cannot be combined with the 'using' field.");
  const fused = fusion.method === 'rrf' ? rrf(lists, fusion.k, fusion.weights) : dbsf(lists);
  return [...fused]
    .map(([key, score]) => ({ key, score: Math.fround(score) }))
    .filter((p) => threshold === undefined || p.score >= threshold)
    .sort((a, b) => b.score - a.score || compareKeys(a.key, b.key))
    .slice(0, top);
}

function queryPoints(collection: Collection, body: unknown): Record<string, unknown> {
  if (!isObject(body)) throw formatError('expected an object');
  const offset = optionalUint(body.offset, 'offset', 0);
  const hits = runQuery(collection, body, { inherited: [], depth: 0 }).slice(offset);
  // Field order as Qdrant's ScoredPoint serialises it.
  const points = hits.map(({ key, score }) => {
    const { id, payload, vector: v } = recordOf(collection, key, body, false);
    return { id, version: 0, score, payload, vector: v, order_value: null };
  });
  return { points };
}

function scrollPoints(collection: Collection, body: unknown): Record<string, unknown> {
  const request = isObject(body) ? body : {};
  if (request.order_by !== undefined && request.order_by !== null) throw notImplemented('order_by');
  const limit = optionalUint(request.limit, 'limit', 10);
  const start = request.offset === undefined || request.offset === null ? undefined : keyOf(parsePointId(request.offset));
  const keys = collection.matching(compileFilter(request.filter)).sort(compareKeys);
  const from = start === undefined ? 0 : keys.findIndex((k) => compareKeys(k, start) >= 0);
  const page = from < 0 ? [] : keys.slice(from, from + limit);
  const next = from < 0 ? undefined : keys[from + limit];
  return {
    points: page.map((key) => recordOf(collection, key, request, true)),
    next_page_offset: next === undefined ? null : idOfKey(next),
  };
}

function countPoints(collection: Collection, body: unknown): Record<string, unknown> {
  const request = isObject(body) ? body : {};
  return { count: collection.matching(compileFilter(request.filter)).length };
}

function deletePoints(collection: Collection, body: unknown, wait: boolean): Record<string, unknown> {
  if (!isObject(body)) throw formatError('expected `points` or `filter`');
  let keys: string[];
  if (Array.isArray(body.points)) keys = body.points.map((id) => keyOf(parsePointId(id)));
  else if (isObject(body.filter)) keys = collection.matching(compileFilter(body.filter));
  else throw formatError('expected `points` or `filter`');
  for (const key of keys) collection.delete(key);
  return updateResult(collection, wait);
}

function existing(collections: Collections, name: string): Collection {
  const collection = collections.get(name);
  if (collection === undefined) throw missingCollection(name);
  return collection;
}

function pointsRoute(collections: Collections, call: Call): unknown {
  const collection = existing(collections, call.name);
  const wait = call.query.get('wait') === 'true';
  const route = `${call.method} ${call.rest.join('/')}`;
  if (route === 'PUT points') return upsert(collection, call.body, wait);
  if (route === 'POST points/query') return queryPoints(collection, call.body);
  if (route === 'POST points/scroll') return scrollPoints(collection, call.body);
  if (route === 'POST points/count') return countPoints(collection, call.body);
  if (route === 'POST points/delete') return deletePoints(collection, call.body, wait);
  if (route === 'PUT index') return createIndex(collection, call.body, wait);
  throw new HttpError(404, `Qdrant emulator: ${call.method} /collections/{name}/${call.rest.join('/')} is not implemented`);
}

function collectionRoute(collections: Collections, call: Call): unknown {
  const route = `${call.method} ${call.rest.join('/')}`;
  if (route === 'GET exists') return { exists: collections.has(call.name) };
  if (route === 'GET ') return collectionInfo(existing(collections, call.name));
  if (route === 'PUT ') return createCollection(collections, call.name, call.body);
  if (route === 'PATCH ') return updateCollection(existing(collections, call.name), call.body);
  if (route === 'DELETE ') return collections.delete(call.name);
  return pointsRoute(collections, call);
}

// ---------------------------------------------------------------------------------------------
// HTTP plumbing

const PLAIN: Record<string, string> = {
  '/healthz': 'healthz check passed',
  '/livez': 'healthz check passed',
  '/readyz': 'all shards are ready',
};

function isWhitelisted(path: string): boolean {
  return path === '/' || path === '/healthz' || path.startsWith('/readyz') || path.startsWith('/livez');
}

function authError(req: IncomingMessage, apiKey: string | undefined): string | undefined {
  if (apiKey === undefined) return undefined;
  const header = req.headers['api-key'];
  const bearer = req.headers.authorization?.startsWith('Bearer ') === true ? req.headers.authorization.slice(7) : undefined;
  const given = typeof header === 'string' ? header : bearer;
  if (given === undefined) return 'Must provide an API key or an Authorization bearer token';
  return given === apiKey ? undefined : 'Invalid API key or JWT';
}

function parseBody(raw: string): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch (err) {
    throw formatError(err instanceof Error ? err.message : 'invalid JSON');
  }
}

export async function startQdrantEmulator(options: QdrantEmulatorOptions = {}): Promise<QdrantEmulator> {
  const collections: Collections = new Map();
  const requests: EmulatorRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const knobs: EmulatorKnobs = { delayMs: 0, down: false };
  const version = options.version ?? '1.16.0';

  const envelope = (started: number, result: unknown): string =>
    JSON.stringify({ result, status: 'ok', time: (performance.now() - started) / 1000 });
  const errorBody = (started: number, message: string): string =>
    JSON.stringify({ status: { error: message }, time: (performance.now() - started) / 1000 });

  /** Answers one request and logs it; a client that already hung up (timeout, abort) gets nothing. */
  const replier =
    (req: IncomingMessage, res: ServerResponse, sent: () => string) =>
    (status: number, body: string, type = 'application/json'): void => {
      let requestBody: unknown;
      try {
        requestBody = sent() === '' ? undefined : (JSON.parse(sent()) as unknown);
      } catch {
        requestBody = undefined;
      }
      requests.push({
        method: req.method ?? '',
        path: (req.url ?? '').split('?')[0] ?? '',
        status,
        body: requestBody,
        acceptEncoding: req.headers['accept-encoding'],
      });
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };

  const route = (method: string, path: string, query: URLSearchParams, raw: string): unknown => {
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== 'collections') throw new HttpError(404, `Qdrant emulator: ${method} ${path} is not implemented`);
    if (parts.length === 1 && method === 'GET') return { collections: [...collections.keys()].map((name) => ({ name })) };
    const name = parts[1] ?? '';
    return collectionRoute(collections, { method, rest: parts.slice(2), name, query, body: parseBody(raw) });
  };

  const dispatch = (req: IncomingMessage, reply: ReturnType<typeof replier>, raw: string, started: number): void => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const denied = isWhitelisted(path) ? undefined : authError(req, options.apiKey);
    const plain = PLAIN[path.replace(/\/+$/, '')];
    if (denied !== undefined) reply(401, denied, 'text/plain; charset=utf-8');
    else if (method === 'GET' && plain !== undefined) reply(200, plain, 'text/plain; charset=utf-8');
    else if (method === 'GET' && path === '/') reply(200, JSON.stringify({ title: 'qdrant - vector search engine', version }));
    else {
      try {
        reply(200, envelope(started, route(method, path, url.searchParams, raw)));
      } catch (err) {
        reply(err instanceof HttpError ? err.status : 500, errorBody(started, err instanceof Error ? err.message : String(err)));
      }
    }
  };

  const server = createServer((req, res) => {
    const started = performance.now();
    if (knobs.down === 'reset') {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    const reply = replier(req, res, () => Buffer.concat(chunks).toString('utf8'));
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const answer = (): void => {
        if (knobs.down === 'unavailable') reply(503, errorBody(started, 'Service Unavailable: the Qdrant emulator is down'));
        else dispatch(req, reply, Buffer.concat(chunks).toString('utf8'), started);
      };
      if (knobs.delayMs <= 0) {
        answer();
        return;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        answer();
      }, knobs.delayMs);
      timers.add(timer);
    });
  });
  server.on('connection', (socket: Socket) => {
    if (knobs.down === 'reset') {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${host}:${port}`,
    knobs,
    requests,
    collections: () => [...collections.keys()],
    pointCount: (name) => collections.get(name)?.count ?? 0,
    createCollection: (name, size, distance = 'Cosine', sparse) => {
      createCollection(collections, name, { vectors: { size, distance }, ...(sparse ? { sparse_vectors: sparse } : {}) });
    },
    seed: (name, points) => {
      const collection = existing(collections, name);
      for (const p of points) {
        const sparse = new Map(
          Object.entries(p.sparse ?? {}).map(([n, v]) => [n, parseSparse({ indices: [...v.indices], values: [...v.values] }, 'seed')]),
        );
        collection.upsert(parsePointId(p.id), { dense: collection.prepare(p.vector), sparse }, { ...(p.payload ?? {}) });
      }
    },
    reset: () => {
      collections.clear();
      requests.length = 0;
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closed = new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
