// A recording stand-in for Polar's event ingestion API on loopback. It checks what real Polar
// checks (server/polar/event/schemas.py and service.py): a bearer token; a body {"events": [...]};
// each event with a name, an external_customer_id or a customer_id (UUID), a timezone-aware
// timestamp that is not in the future, no organization_id (we use an organization token), flat
// metadata (keys of 1-40 characters; strings of 1-500, numbers, booleans) besides the structured
// _llm and _cost. Any invalid event fails the whole request with 422 and FastAPI's
// {"detail": [{"type", "loc", "msg", "input"}]}. Accepted events are de-duplicated on external_id
// and answered with {"inserted": n, "duplicates": m}. Knobs make it fail or hang on purpose.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface StubEvent {
  name: string;
  external_customer_id?: string;
  customer_id?: string;
  external_id?: string;
  timestamp?: string;
  metadata?: Record<string, unknown>;
}

export interface StubRequest {
  /** Date.now() when the request arrived. */
  at: number;
  authorized: boolean;
  /** 0 for a request left hanging. */
  status: number;
  events: number;
}

interface ValidationDetail {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
}

export interface FailOptions {
  /** 500 by default; 429 to rate-limit. */
  status?: number;
  retryAfterSeconds?: number;
  /** Store the events, then fail: a response lost on the way back. */
  afterInsert?: boolean;
}

export interface PolarStub {
  /** Base URL, e.g. http://127.0.0.1:12345 (the client appends /v1/events/ingest). */
  url: string;
  token: string;
  /** Events stored, once each, in arrival order. */
  readonly events: readonly StubEvent[];
  /** Every ingest request, in order. */
  readonly requests: readonly StubRequest[];
  /** Duplicate events skipped, over all requests. */
  readonly duplicates: number;
  failNext(count: number, options?: FailOptions): void;
  /** The next `count` requests never get an answer (until close). */
  hangNext(count: number): void;
  /** Refuse (422) any request holding an event this predicate matches, as Polar does. */
  refuseEvents(predicate: ((event: StubEvent) => boolean) | undefined): void;
  close(): Promise<void>;
}

export interface PolarStubOptions {
  token?: string;
  /** Refuse larger requests (422), to catch a client that does not batch. Default 100. */
  maxEventsPerRequest?: number;
}

const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
/** ISO 8601 with an explicit offset: pydantic's AwareDatetime refuses naive timestamps. */
const AWARE_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

export async function startPolarStub(options: PolarStubOptions = {}): Promise<PolarStub> {
  const token = options.token ?? `polar_oat_${randomBytes(16).toString('hex')}`;
  const maxEvents = options.maxEventsPerRequest ?? 100;
  const events: StubEvent[] = [];
  const requests: StubRequest[] = [];
  const seen = new Set<string>();
  const failures: FailOptions[] = [];
  const sockets = new Set<Socket>();
  let duplicates = 0;
  let hang = 0;
  let refuse: ((event: StubEvent) => boolean) | undefined;

  const answer = (res: ServerResponse, request: Omit<StubRequest, 'at'>, body: unknown, headers: Record<string, string> = {}): void => {
    requests.push({ at: Date.now(), ...request });
    res.writeHead(request.status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const store = (batch: StubEvent[]): { inserted: number; duplicates: number } => {
    let inserted = 0;
    let skipped = 0;
    for (const event of batch) {
      if (event.external_id !== undefined && seen.has(event.external_id)) {
        skipped++;
        continue;
      }
      if (event.external_id !== undefined) seen.add(event.external_id);
      events.push(event);
      inserted++;
    }
    duplicates += skipped;
    return { inserted, duplicates: skipped };
  };

  const ingest = (req: IncomingMessage, res: ServerResponse, raw: string): void => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      answer(
        res,
        { authorized: false, status: 401, events: 0 },
        {
          error: 'invalid_token',
          error_description: 'The access token provided is expired, revoked, malformed, or invalid for other reasons.',
        },
      );
      return;
    }
    const parsed = parseBody(raw);
    const batch = Array.isArray(parsed) ? [] : parsed.events;
    const details = Array.isArray(parsed) ? parsed : validateEvents(batch, maxEvents, refuse);
    if (details.length > 0) {
      answer(res, { authorized: true, status: 422, events: batch.length }, { detail: details });
      return;
    }
    if (hang > 0) {
      hang--;
      requests.push({ at: Date.now(), authorized: true, status: 0, events: batch.length });
      return; // never answered; close() destroys the socket
    }
    const failure = failures.shift();
    if (failure) {
      if (failure.afterInsert) store(batch);
      const headers: Record<string, string> =
        failure.retryAfterSeconds === undefined ? {} : { 'retry-after': String(failure.retryAfterSeconds) };
      answer(res, { authorized: true, status: failure.status ?? 500, events: batch.length }, { detail: 'stub failure' }, headers);
      return;
    }
    answer(res, { authorized: true, status: 200, events: batch.length }, store(batch));
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/events/ingest') {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'Not Found' }));
        return;
      }
      ingest(req, res, Buffer.concat(chunks).toString('utf8'));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${String(port)}`,
    token,
    events,
    requests,
    get duplicates() {
      return duplicates;
    },
    failNext: (count, failOptions = {}) => {
      for (let i = 0; i < count; i++) failures.push(failOptions);
    },
    hangNext: (count) => {
      hang += count;
    },
    refuseEvents: (predicate) => {
      refuse = predicate;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}

/** The events array, or the request-level validation errors. */
function parseBody(raw: string): { events: StubEvent[] } | ValidationDetail[] {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return [{ type: 'json_invalid', loc: ['body'], msg: 'JSON decode error', input: {} }];
  }
  if (typeof body !== 'object' || body === null || !('events' in body))
    return [{ type: 'missing', loc: ['body', 'events'], msg: 'Field required', input: body }];
  if (!Array.isArray(body.events))
    return [{ type: 'list_type', loc: ['body', 'events'], msg: 'Input should be a valid list', input: body.events }];
  return { events: body.events as StubEvent[] };
}

function validateEvents(batch: StubEvent[], maxEvents: number, refuse: ((event: StubEvent) => boolean) | undefined): ValidationDetail[] {
  if (batch.length > maxEvents)
    return [{ type: 'too_long', loc: ['body', 'events'], msg: `stub: more than ${maxEvents} events in one request`, input: batch.length }];
  return batch.flatMap((event, index) => {
    const errors = validateEvent(event, index);
    if (errors.length === 0 && refuse?.(event))
      errors.push({ type: 'value_error', loc: ['body', 'events', index], msg: 'Value error, refused by the test', input: event });
    return errors;
  });
}

function validateEvent(event: unknown, index: number): ValidationDetail[] {
  const at = (...path: (string | number)[]): (string | number)[] => ['body', 'events', index, ...path];
  if (typeof event !== 'object' || event === null)
    return [{ type: 'model_type', loc: at(), msg: 'Input should be a valid dictionary', input: event }];
  const e = event as Record<string, unknown>;
  const errors: ValidationDetail[] = [];
  const fail = (type: string, loc: (string | number)[], msg: string, input: unknown): void => {
    errors.push({ type, loc, msg, input });
  };
  if (typeof e.name !== 'string') fail('missing', at('name'), 'Field required', e.name);
  const hasExternal = typeof e.external_customer_id === 'string';
  const hasCustomer = typeof e.customer_id === 'string' && UUID4.test(e.customer_id);
  if (!hasExternal && !hasCustomer) fail('missing', at('external_customer_id'), 'Field required', e);
  if (e.organization_id !== undefined && e.organization_id !== null) {
    fail(
      'organization_token',
      at('organization_id'),
      'Setting organization_id is disallowed when using an organization token.',
      e.organization_id,
    );
  }
  if (e.external_id !== undefined && e.external_id !== null && typeof e.external_id !== 'string')
    fail('string_type', at('external_id'), 'Input should be a valid string', e.external_id);
  if (e.timestamp !== undefined) validateTimestamp(e.timestamp, at('timestamp'), fail);
  if (e.metadata !== undefined) validateMetadata(e.metadata, at('metadata'), fail);
  return errors;
}

type Fail = (type: string, loc: (string | number)[], msg: string, input: unknown) => void;

function validateTimestamp(value: unknown, loc: (string | number)[], fail: Fail): void {
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
    fail('datetime_from_date_parsing', loc, 'Input should be a valid datetime', value);
    return;
  }
  if (!AWARE_ISO.test(value)) fail('timezone_aware', loc, 'Input should have timezone info', value);
  else if (Date.parse(value) > Date.now()) fail('value_error', loc, 'Value error, Timestamp must be in the past.', value);
}

function validateMetadata(value: unknown, loc: (string | number)[], fail: Fail): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('dict_type', loc, 'Input should be a valid dictionary', value);
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    if (key === '_llm') validateLlm(item, [...loc, key], fail);
    else if (key === '_cost') validateCost(item, [...loc, key], fail);
    else if (key.length < 1 || key.length > 40) fail('string_too_long', [...loc, key], 'String should have at most 40 characters', key);
    else if (!isMetadataValue(item))
      fail('metadata_value', [...loc, key], 'Input should be a string (1-500 characters), a number or a boolean', item);
  }
}

function isMetadataValue(value: unknown): boolean {
  if (typeof value === 'string') return value.length >= 1 && value.length <= 500 && !value.includes('\u0000');
  return (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean';
}

function validateLlm(value: unknown, loc: (string | number)[], fail: Fail): void {
  const llm = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  for (const key of ['vendor', 'model']) if (typeof llm[key] !== 'string') fail('missing', [...loc, key], 'Field required', llm[key]);
  for (const key of ['input_tokens', 'output_tokens', 'total_tokens']) {
    if (!Number.isInteger(llm[key])) fail('int_type', [...loc, key], 'Input should be a valid integer', llm[key]);
  }
}

function validateCost(value: unknown, loc: (string | number)[], fail: Fail): void {
  const cost = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (typeof cost.amount !== 'number' || !Number.isFinite(cost.amount))
    fail('decimal_type', [...loc, 'amount'], 'Input should be a valid decimal', cost.amount);
  if (cost.currency !== 'usd') fail('string_pattern_mismatch', [...loc, 'currency'], "String should match pattern 'usd'", cost.currency);
}
