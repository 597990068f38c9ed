// /v1/responses through the real gateway process on real PostgreSQL and Redis, called with the
// official OpenAI SDK (create, streamed create, responses.stream, retrieve, delete, input items),
// in front of the protocol-faithful OpenAI and Anthropic upstreams: the Responses API passed
// through to OpenAI (statelessly, reasoning items carried across turns), translation onto the chat
// path for upstreams without it (an OpenAI-compatible provider, Anthropic), stored responses and
// previous_response_id, a tool round trip, tenancy at both levels, usage, memory and erasure.
import OpenAI from 'openai';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { eventually } from '../support/eventually.ts';
import { startStack, USER_ANTHROPIC_KEY, USER_OPENAI_KEY, type Stack } from '../support/gateway-stack.ts';

/** groq is served by the OpenAI stub (gateway-stack.ts), which takes one key. */
const USER_GROQ_KEY = USER_OPENAI_KEY;

let stack: Stack;
let alice: { userId: string; apiKey: string; client: OpenAI };
let bob: { userId: string; apiKey: string; client: OpenAI };

const CONFIG = {
  mode: 'proxy',
  models: [
    {
      name: 'gpt-4o-mini',
      provider: 'openai',
      upstreamModel: 'gpt-4o-mini-2024-07-18',
      pricing: { inputPerMillionTokens: 0.15, outputPerMillionTokens: 0.6 },
    },
    { name: 'claude', provider: 'anthropic', upstreamModel: 'claude-sonnet-4-5' },
    // An OpenAI-compatible provider (the same stub behind it) has no Responses API: the chat path.
    { name: 'llama-chat', provider: 'groq', upstreamModel: 'llama-3.3-70b' },
  ],
  memory: { enabled: true, topK: 5, tokenBudget: 1000, retrievalTimeoutMs: 300 },
};

async function person(): Promise<{ userId: string; apiKey: string; client: OpenAI }> {
  const { userId, apiKey } = await stack.newUser('enterprise');
  expect((await stack.addProviderKey(apiKey, 'openai', USER_OPENAI_KEY)).status).toBe(201);
  expect((await stack.addProviderKey(apiKey, 'anthropic', USER_ANTHROPIC_KEY)).status).toBe(201);
  expect((await stack.addProviderKey(apiKey, 'groq', USER_GROQ_KEY)).status).toBe(201);
  return { userId, apiKey, client: new OpenAI({ apiKey, baseURL: `${stack.url}/v1`, maxRetries: 0 }) };
}

beforeAll(async () => {
  stack = await startStack({ postgresUrl: inject('postgresUrl'), redisUrl: inject('redisUrl'), config: CONFIG, memory: true });
  [alice, bob] = await Promise.all([person(), person()]);
});

afterAll(async () => {
  await stack.stop();
});

type UpstreamMessage = {
  role: string;
  content: unknown;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
};

function lastOpenAIBody(): Record<string, unknown> & { messages: UpstreamMessage[] } {
  return stack.openai.requests.at(-1)?.body as Record<string, unknown> & { messages: UpstreamMessage[] };
}

/** The upstream messages without the memory block the gateway may add to the system prompt. */
function conversation(messages: UpstreamMessage[]): UpstreamMessage[] {
  return messages.filter((m) => !(m.role === 'system' && typeof m.content === 'string' && m.content.startsWith('<perpetual-memory>')));
}

async function call(
  who: { apiKey: string },
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<Response> {
  const { body, headers = {} } = options;
  return fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${who.apiKey}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

describe('creating a response', () => {
  it('answers a string input with instructions, through the chat path, and stores it', async () => {
    const { data, response } = await alice.client.responses
      .create({ model: 'llama-chat', instructions: 'Be brief.', input: 'hello there' })
      .withResponse();
    expect(data).toMatchObject({
      object: 'response',
      status: 'completed',
      model: 'llama-chat',
      instructions: 'Be brief.',
      store: true,
      previous_response_id: null,
    });
    expect(data.id).toMatch(/^resp_[0-9a-f]{48}$/);
    expect(data.output_text).toBe('echo: hello there');
    expect(data.output).toEqual([
      {
        id: expect.stringMatching(/^msg_/) as string,
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'echo: hello there', annotations: [] }],
      },
    ]);
    expect(data.usage?.input_tokens).toBeGreaterThan(0);
    expect(data.usage?.output_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-ratelimit-limit-requests')).not.toBeNull();
    expect(response.headers.get('x-perpetual-memory')).not.toBeNull();
    const upstream = lastOpenAIBody();
    expect(stack.openai.requests.at(-1)?.path).toBe('/v1/chat/completions');
    expect(upstream.model).toBe('llama-3.3-70b');
    expect(conversation(upstream.messages)).toEqual([
      { role: 'system', content: expect.stringContaining('Be brief.') as string },
      { role: 'user', content: 'hello there' },
    ]);
    expect(stack.openai.requests.at(-1)?.headers.authorization).toBe(`Bearer ${USER_GROQ_KEY}`);

    const again = await alice.client.responses.retrieve(data.id);
    expect(again).toMatchObject({ id: data.id, status: 'completed', output: data.output, output_text: 'echo: hello there' });
  });

  it('streams the official event sequence, numbered, and stores the streamed response', async () => {
    const stream = await alice.client.responses.create({ model: 'gpt-4o-mini', input: 'one two three', stream: true });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const types = events.map((e) => e.type);
    const deltas = types.filter((t) => t === 'response.output_text.delta').length;
    expect(deltas).toBeGreaterThan(1);
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      ...Array<string>(deltas).fill('response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const completed = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    expect(completed.response.usage?.output_tokens).toBeGreaterThan(0);
    const done = events.find((e) => e.type === 'response.output_text.done') as OpenAI.Responses.ResponseTextDoneEvent;
    expect(done.text).toBe('echo: one two three');
    expect((await alice.client.responses.retrieve(completed.response.id)).output).toEqual(completed.response.output);
  });

  it("works with the SDK's responses.stream helper, which checks the event sequence", async () => {
    const final = await alice.client.responses
      .stream({ model: 'gpt-4o-mini', input: [{ role: 'user', content: [{ type: 'input_text', text: 'via the helper' }] }] })
      .finalResponse();
    expect(final.output_text).toBe('echo: via the helper');
    expect(final.status).toBe('completed');
  });

  it('serves an Anthropic model too, with the structured input translated', async () => {
    const data = await alice.client.responses.create({
      model: 'claude',
      instructions: 'be brief',
      input: 'hi claude',
      reasoning: { effort: 'low' },
    });
    expect(data.output_text).toBe('echo: hi claude');
    const upstream = stack.anthropic.requests.at(-1)?.body as Record<string, unknown>;
    expect(upstream).toMatchObject({ model: 'claude-sonnet-4-5', messages: [{ role: 'user' }] });
    expect(JSON.stringify(upstream.messages)).toContain('hi claude');
    expect(String(upstream.system)).toContain('be brief');
    // Anthropic has no effort level: nothing is sent that its API would refuse.
    expect(JSON.stringify(upstream)).not.toContain('reasoning');
  });

  it('passes text.format as response_format and reasoning.effort as reasoning_effort', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    const data = await alice.client.responses.create({
      model: 'llama-chat',
      input: 'json please',
      text: { format: { type: 'json_schema', name: 'place', schema, strict: true } },
      reasoning: { effort: 'high' },
      max_output_tokens: 50,
    });
    expect(data.text?.format).toMatchObject({ type: 'json_schema', name: 'place' });
    expect(lastOpenAIBody()).toMatchObject({
      response_format: { type: 'json_schema', json_schema: { name: 'place', schema, strict: true } },
      reasoning_effort: 'high',
      max_tokens: 50,
    });
  });
});

describe('the Responses API passed through to OpenAI', () => {
  type Sent = { input: Record<string, unknown>[]; [field: string]: unknown };
  const lastSent = (): Sent => stack.openai.requests.at(-1)?.body as Sent;

  it('sends the whole context statelessly and answers with the upstream output under the gateway id', async () => {
    stack.openai.behaviour = { ...stack.openai.behaviour, reasoning: 'The user greets me.' };
    try {
      const data = await alice.client.responses.create({
        model: 'gpt-4o-mini',
        instructions: 'Be brief.',
        input: 'hello there',
        reasoning: { effort: 'low', summary: 'auto' },
        metadata: { app: 'x' },
      });
      expect(stack.openai.requests.at(-1)?.path).toBe('/v1/responses');
      const sent = lastSent();
      expect(sent).toMatchObject({
        model: 'gpt-4o-mini-2024-07-18',
        store: false,
        instructions: 'Be brief.',
        reasoning: { effort: 'low', summary: 'auto' },
        include: ['reasoning.encrypted_content'],
      });
      expect(sent).not.toHaveProperty('previous_response_id');
      expect(data.id).toMatch(/^resp_[0-9a-f]{48}$/);
      expect(data).toMatchObject({
        model: 'gpt-4o-mini',
        store: true,
        metadata: { app: 'x' },
        status: 'completed',
        output_text: 'echo: hello there',
      });
      const reasoning = data.output.find((item) => item.type === 'reasoning');
      expect(reasoning).toMatchObject({
        summary: [{ type: 'summary_text', text: 'The user greets me.' }],
        encrypted_content: expect.stringMatching(/^enc_/) as string,
      });
      expect(data.usage?.output_tokens_details.reasoning_tokens).toBeGreaterThan(0);
      expect((await alice.client.responses.retrieve(data.id)).output).toEqual(data.output);
    } finally {
      stack.openai.behaviour = { ...stack.openai.behaviour, reasoning: undefined };
    }
  });

  it('carries reasoning items to the next turn of a previous_response_id chain, with their encrypted content', async () => {
    stack.openai.behaviour = { ...stack.openai.behaviour, reasoning: 'Ada is a name.' };
    try {
      const first = await alice.client.responses.create({ model: 'gpt-4o-mini', input: 'my name is Ada' });
      const second = await alice.client.responses.create({
        model: 'gpt-4o-mini',
        input: 'what is my name',
        previous_response_id: first.id,
      });
      expect(second).toMatchObject({ status: 'completed', previous_response_id: first.id, output_text: 'echo: what is my name' });
      // The stub refuses a reasoning item without the encrypted content it issued, as OpenAI does.
      const input = lastSent().input.filter((item) => item.role !== 'developer');
      expect(input.map((item) => item.type)).toEqual(['message', 'reasoning', 'message', 'message']);
      expect(input[1]).toMatchObject({ id: first.output[0]?.id, encrypted_content: expect.stringMatching(/^enc_/) as string });
    } finally {
      stack.openai.behaviour = { ...stack.openai.behaviour, reasoning: undefined };
    }
  });

  it("streams the upstream's events under the gateway id and stores the response that completed", async () => {
    stack.openai.behaviour = { ...stack.openai.behaviour, reasoning: 'thinking' };
    try {
      const stream = await alice.client.responses.create({ model: 'gpt-4o-mini', input: 'one two', stream: true });
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const event of stream) events.push(event);
      expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
      const created = events[0] as OpenAI.Responses.ResponseCreatedEvent;
      const completed = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
      expect(completed.type).toBe('response.completed');
      expect(created.response.id).toBe(completed.response.id);
      expect(completed.response.id).toMatch(/^resp_[0-9a-f]{48}$/);
      expect(completed.response.output.map((item) => item.type)).toEqual(['reasoning', 'message']);
      expect((await alice.client.responses.retrieve(completed.response.id)).output).toEqual(completed.response.output);
    } finally {
      stack.openai.behaviour = { ...stack.openai.behaviour, reasoning: undefined };
    }
  });

  it('answers a function_call_output through the chain, sent as items the upstream reads', async () => {
    const tools: OpenAI.Responses.Tool[] = [
      { type: 'function', name: 'get_weather', parameters: { type: 'object', properties: {} }, strict: false },
    ];
    stack.openai.behaviour = { ...stack.openai.behaviour, toolCall: { name: 'get_weather', arguments: '{}' } };
    const asked = await alice.client.responses.create({ model: 'gpt-4o-mini', input: 'weather?', tools });
    stack.openai.behaviour = { ...stack.openai.behaviour, toolCall: undefined };
    expect(asked.output).toMatchObject([{ type: 'function_call', call_id: 'call_stub_1', name: 'get_weather' }]);
    const answered = await alice.client.responses.create({
      model: 'gpt-4o-mini',
      previous_response_id: asked.id,
      tools,
      input: [{ type: 'function_call_output', call_id: 'call_stub_1', output: 'sunny' }],
    });
    expect(answered.status).toBe('completed');
    // Without the memory block the gateway may put first (a developer message).
    expect(lastSent().input.filter((item) => item.role !== 'developer')).toMatchObject([
      { type: 'message', role: 'user' },
      { type: 'function_call', call_id: 'call_stub_1', name: 'get_weather', arguments: '{}' },
      { type: 'function_call_output', call_id: 'call_stub_1', output: 'sunny' },
    ]);
    expect(lastSent().tools).toEqual(tools);
  });
});

describe('conversation state', () => {
  it('continues from previous_response_id with the earlier turns, and lists them as input items', async () => {
    const first = await alice.client.responses.create({ model: 'llama-chat', input: 'my name is Ada', instructions: 'first instructions' });
    const second = await alice.client.responses.create({ model: 'llama-chat', input: 'what is my name', previous_response_id: first.id });
    expect(second.previous_response_id).toBe(first.id);
    // Instructions are not carried over from the previous response.
    expect(conversation(lastOpenAIBody().messages)).toEqual([
      { role: 'user', content: 'my name is Ada' },
      { role: 'assistant', content: 'echo: my name is Ada' },
      { role: 'user', content: 'what is my name' },
    ]);
    const items = [];
    for await (const item of alice.client.responses.inputItems.list(second.id, { order: 'asc' })) items.push(item);
    expect(items.map((item) => item.type)).toEqual(['message', 'message', 'message']);
    expect(items[1]).toMatchObject({ role: 'assistant', content: [{ type: 'output_text', text: 'echo: my name is Ada' }] });
    const newestFirst = await alice.client.responses.inputItems.list(second.id, { limit: 1 });
    expect(newestFirst.data).toMatchObject([{ role: 'user', content: [{ type: 'input_text', text: 'what is my name' }] }]);
    expect(newestFirst.has_more).toBe(true);
  });

  it('keeps nothing with store: false', async () => {
    const unstored = await alice.client.responses.create({ model: 'gpt-4o-mini', input: 'forget me', store: false });
    expect(unstored).toMatchObject({ store: false });
    expect((await call(alice, 'GET', `/v1/responses/${unstored.id}`)).status).toBe(404);
  });

  it('deletes a response for its owner', async () => {
    const doomed = await alice.client.responses.create({ model: 'gpt-4o-mini', input: 'delete me' });
    const res = await call(alice, 'DELETE', `/v1/responses/${doomed.id}`);
    expect(await res.json()).toEqual({ id: doomed.id, object: 'response', deleted: true });
    await expect(alice.client.responses.retrieve(doomed.id)).rejects.toMatchObject({ status: 404 });
    await expect(alice.client.responses.delete(doomed.id)).rejects.toMatchObject({ status: 404 });
  });
});

describe('function tools', () => {
  const tools: OpenAI.Responses.Tool[] = [
    {
      type: 'function',
      name: 'get_weather',
      description: 'Weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      strict: false,
    },
  ];

  it('returns a function_call item, then answers the function_call_output sent with previous_response_id', async () => {
    stack.openai.behaviour = { ...stack.openai.behaviour, toolCall: { name: 'get_weather', arguments: '{"city":"Paris"}' } };
    const asked = await alice.client.responses.create({ model: 'llama-chat', input: 'weather in Paris?', tools });
    stack.openai.behaviour = { ...stack.openai.behaviour, toolCall: undefined };
    const call = asked.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({
      type: 'function_call',
      name: 'get_weather',
      arguments: '{"city":"Paris"}',
      call_id: 'call_stub_1',
      status: 'completed',
    });
    expect(lastOpenAIBody().tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather in a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          strict: false,
        },
      },
    ]);

    const answered = await alice.client.responses.create({
      model: 'llama-chat',
      previous_response_id: asked.id,
      tools,
      input: [{ type: 'function_call_output', call_id: 'call_stub_1', output: '{"temperature": 21}' }],
    });
    expect(answered.status).toBe('completed');
    const sent = conversation(lastOpenAIBody().messages);
    expect(sent).toMatchObject([
      { role: 'user', content: 'weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_stub_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_stub_1', content: '{"temperature": 21}' },
    ]);
  });

  it('streams a function call as argument deltas', async () => {
    stack.openai.behaviour = { ...stack.openai.behaviour, toolCall: { name: 'get_weather', arguments: '{"city": "Oslo"}' }, deltas: 3 };
    try {
      const final = await alice.client.responses.stream({ model: 'gpt-4o-mini', input: 'weather in Oslo?', tools }).finalResponse();
      expect(final.output).toMatchObject([
        { type: 'function_call', name: 'get_weather', arguments: '{"city": "Oslo"}', call_id: 'call_stub_1' },
      ]);
      const stream = await alice.client.responses.create({ model: 'gpt-4o-mini', input: 'weather in Oslo?', tools, stream: true });
      const types: string[] = [];
      for await (const event of stream) types.push(event.type);
      expect(types).toContain('response.function_call_arguments.delta');
      expect(types.slice(-3)).toEqual(['response.function_call_arguments.done', 'response.output_item.done', 'response.completed']);
    } finally {
      stack.openai.behaviour = { ...stack.openai.behaviour, toolCall: undefined, deltas: undefined };
    }
  });
});

describe('tenancy', () => {
  let owned: string;
  beforeAll(async () => {
    owned = (await alice.client.responses.create({ model: 'gpt-4o-mini', input: 'private to alice/e1', safety_identifier: 'e1' })).id;
  });

  const notFoundMessage = async (res: Response, id: string): Promise<string> => {
    expect(res.status).toBe(404);
    const { error } = (await res.json()) as { error: { message: string; code: string } };
    expect(error.code).toBe('response_not_found');
    return error.message.replace(id, '<id>');
  };

  it('answers another account, or another end user of the same account, exactly as for an id that never existed', async () => {
    const never = 'resp_000000000000000000000000000000000000000000000000';
    const expected = await notFoundMessage(
      await call(alice, 'GET', `/v1/responses/${never}`, { headers: { 'x-perpetual-end-user': 'e1' } }),
      never,
    );
    const strangers: [{ apiKey: string }, Record<string, string>][] = [
      [bob, {}],
      [bob, { 'x-perpetual-end-user': 'e1' }],
      [alice, { 'x-perpetual-end-user': 'e2' }],
      [alice, {}],
    ];
    for (const [who, headers] of strangers) {
      for (const [method, path] of [
        ['GET', `/v1/responses/${owned}`],
        ['GET', `/v1/responses/${owned}/input_items`],
        ['DELETE', `/v1/responses/${owned}`],
      ] as const) {
        expect(
          await notFoundMessage(await call(who, method, path, { headers }), owned),
          `${method} ${path} ${JSON.stringify(headers)}`,
        ).toBe(expected);
      }
      const continued = await call(who, 'POST', '/v1/responses', {
        body: { model: 'gpt-4o-mini', input: 'go on', previous_response_id: owned },
        headers,
      });
      expect(await notFoundMessage(continued, owned)).toBe(expected);
    }
    // The owner, named by header or by `user`, still has it.
    expect((await call(alice, 'GET', `/v1/responses/${owned}`, { headers: { 'x-perpetual-end-user': 'e1' } })).status).toBe(200);
    const continued = await call(alice, 'POST', '/v1/responses', {
      body: { model: 'gpt-4o-mini', input: 'go on', previous_response_id: owned, user: 'e1' },
    });
    expect(continued.status).toBe(200);
  });
});

describe('bad input', () => {
  it.each([
    ['a built-in tool', { model: 'gpt-4o-mini', input: 'x', tools: [{ type: 'web_search' }] }, 'tools[0].type', 'unsupported_parameter'],
    ['an unsupported parameter', { model: 'gpt-4o-mini', input: 'x', background: true }, 'background', 'unsupported_parameter'],
    ['input that is not a string or items', { model: 'gpt-4o-mini', input: 5 }, 'input', 'invalid_value'],
    [
      'an item of an unknown type',
      { model: 'gpt-4o-mini', input: [{ type: 'item_reference', id: 'msg_1' }] },
      'input[0].type',
      'unsupported_parameter',
    ],
    ['a message without a role', { model: 'gpt-4o-mini', input: [{ type: 'message', content: 'x' }] }, 'input[0].role', 'invalid_value'],
    [
      'too many input items',
      { model: 'gpt-4o-mini', input: Array.from({ length: 4097 }, () => ({ role: 'user', content: 'x' })) },
      'input',
      'too_many_items',
    ],
    [
      'a bad json_schema format',
      { model: 'gpt-4o-mini', input: 'x', text: { format: { type: 'json_schema', name: 'n' } } },
      'text.format.schema',
      'invalid_value',
    ],
    ['a missing model', { input: 'x' }, 'model', 'missing_model'],
  ])('refuses %s with a 400 naming the field', async (_what, body, param, code) => {
    const res = await call(alice, 'POST', '/v1/responses', { body });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { param: string | null; code: string; type: string } };
    expect(error.type).toBe('invalid_request_error');
    expect(error).toMatchObject({ param, code });
  });

  it("refuses malformed JSON in OpenAI's shape", async () => {
    const res = await fetch(`${stack.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice.apiKey}`, 'content-type': 'application/json' },
      body: '{"model": ',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_json' } });
  });
});

describe('usage, memory and erasure', () => {
  it('logs a usage row with the responses endpoint and a cost', async () => {
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      await eventually(async () => {
        const { rows } = await db.query<{ endpoint: string; cost_usd: number }>(
          "SELECT endpoint, cost_usd FROM usage_logs WHERE user_id = $1 AND model = 'gpt-4o-mini' AND status_code = 200",
          [alice.userId],
        );
        expect(rows.length).toBeGreaterThan(0);
        expect(rows.every((r) => r.endpoint === '/v1/responses')).toBe(true);
        expect(rows.some((r) => r.cost_usd > 0)).toBe(true);
      }, 10_000);
    } finally {
      await db.end();
    }
  });

  it('writes the turn to memory and recalls it in a later response, like chat', async () => {
    const carol = await person();
    await carol.client.responses.create(
      { model: 'gpt-4o-mini', input: 'My favourite colour is vermilion.' },
      { headers: { 'x-conversation-id': 'r-early' } },
    );
    await eventually(async () => {
      const res = await call(carol, 'GET', '/v1/memories');
      const { data } = (await res.json()) as { data: { text: string }[] };
      expect(data.some((m) => m.text.includes('vermilion'))).toBe(true);
    }, 10_000);
    const { response } = await carol.client.responses
      .create({ model: 'gpt-4o-mini', input: 'What is my favourite colour?' }, { headers: { 'x-conversation-id': 'r-late' } })
      .withResponse();
    expect(response.headers.get('x-perpetual-memory')).toBe('hit');
    // Passed through to OpenAI's Responses API, the memory block is in the input it is sent.
    expect(stack.openai.requests.at(-1)?.path).toBe('/v1/responses');
    expect(JSON.stringify(lastOpenAIBody().input)).toContain('vermilion');
    await carol.client.responses.create(
      { model: 'llama-chat', input: 'What is my favourite colour?' },
      { headers: { 'x-conversation-id': 'r-later' } },
    );
    expect(JSON.stringify(lastOpenAIBody().messages)).toContain('vermilion');
  });

  it("erases a user's stored responses with the user", async () => {
    const dora = await person();
    await dora.client.responses.create({ model: 'gpt-4o-mini', input: 'mine' });
    await dora.client.responses.create({ model: 'gpt-4o-mini', input: 'mine too', safety_identifier: 'end-user-9' });
    const res = await stack.admin('DELETE', `/admin/users/${dora.userId}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ deleted: true, removed: { responses: 2 } });
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM responses WHERE user_id = $1', [dora.userId]);
      expect(rows[0]?.n).toBe(0);
    } finally {
      await db.end();
    }
  });
});

describe('a store that fails after the answer', () => {
  it('still answers and bills the response; only the continuation is lost', async () => {
    const erin = await person();
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      // The responses table gone (as if its writes failed): usage_logs is untouched.
      await db.query('ALTER TABLE responses RENAME TO responses_away');
      try {
        const created = await erin.client.responses.create({ model: 'gpt-4o-mini', input: 'answer me anyway' });
        expect(created.status).toBe('completed');
        expect(created.output_text).toContain('answer me anyway');
        await eventually(async () => {
          const { rows } = await db.query<{ status_code: number; total_tokens: number }>(
            "SELECT status_code, total_tokens FROM usage_logs WHERE user_id = $1 AND endpoint = '/v1/responses'",
            [erin.userId],
          );
          expect(rows).toEqual([{ status_code: 200, total_tokens: expect.any(Number) as number }]);
          expect(rows[0]?.total_tokens).toBeGreaterThan(0);
        }, 10_000);
      } finally {
        await db.query('ALTER TABLE responses_away RENAME TO responses');
      }
      expect(stack.gateways[0]?.logs()).toContain('Response answered but not stored');
    } finally {
      await db.end();
    }
  });
});
