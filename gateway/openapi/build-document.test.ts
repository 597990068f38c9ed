import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { pointerSegment, pointerSegments } from '../json-pointer.ts';
import { buildOpenApiDocument } from './build-document.ts';
import { gatewayRoutes } from './route-table.ts';

type Json = Record<string, unknown>;

const document = buildOpenApiDocument(gatewayRoutes('/v1'), { version: '9.9.9', prefix: '/v1' });

/** Every value in the document, with its JSON pointer. */
function* walk(value: unknown, path = '#'): Generator<[string, unknown]> {
  yield [path, value];
  if (typeof value !== 'object' || value === null) return;
  for (const [key, child] of Object.entries(value)) yield* walk(child, `${path}/${pointerSegment(key)}`);
}

function resolve(ref: string): unknown {
  return pointerSegments(ref.replace(/^#/, '')).reduce<unknown>(
    (node, key) => (typeof node === 'object' && node !== null ? (node as Json)[key] : undefined),
    document,
  );
}

const operations = Object.entries(document.paths as Record<string, Record<string, Json>>).flatMap(([path, item]) =>
  Object.entries(item).map(([method, op]) => ({ path, method, op })),
);

describe('the OpenAPI document', () => {
  it("is valid against the OpenAPI 3.1 specification's own schema", async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('is OpenAPI 3.1 with the gateway version', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.info).toMatchObject({ title: 'Perpetual gateway', version: '9.9.9' });
  });

  it('has every $ref resolve to something in the document', () => {
    const refs = [...walk(document)].filter(([path]) => path.endsWith('/$ref')).map(([, ref]) => ref as string);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) expect(resolve(ref), ref).toBeTypeOf('object');
  });

  it('gives every operation a unique id, a summary, success and error answers, and declared security', () => {
    const ids = operations.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const schemes = Object.keys((document.components as { securitySchemes: Json }).securitySchemes);
    for (const { path, method, op } of operations) {
      const responses = Object.keys(op.responses as Json);
      expect(
        responses.some((status) => status.startsWith('2')),
        `${method} ${path}`,
      ).toBe(true);
      expect(op.summary, `${method} ${path}`).toBeTypeOf('string');
      for (const requirement of op.security as Json[]) for (const scheme of Object.keys(requirement)) expect(schemes).toContain(scheme);
    }
  });

  it('declares every path parameter as required', () => {
    for (const { path, op } of operations) {
      const declared = ((op.parameters ?? []) as Json[]).filter((p) => p.in === 'path');
      const named = [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => name);
      expect(declared.map((p) => p.name)).toEqual(named);
      for (const parameter of declared) expect(parameter.required).toBe(true);
    }
  });

  it('publishes the schemas the routes check with, without the annotations only the check reads', () => {
    const chat = resolve('#/components/schemas/ChatCompletionRequest') as Json;
    expect(chat.required).toEqual(['model', 'messages']);
    expect((chat.properties as Record<string, Json>).messages).toMatchObject({ type: 'array', minItems: 1, maxItems: 4096 });
    const text = JSON.stringify(document);
    expect(text).not.toContain('x-error');
    expect(text).not.toContain('x-model-name');
    const chatOp = operations.find((o) => o.path === '/v1/chat/completions')?.op;
    expect(chatOp?.requestBody).toMatchObject({
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ChatCompletionRequest' } } },
    });
    const messagesOp = operations.find((o) => o.path === '/v1/messages')?.op;
    expect((messagesOp?.responses as Json)['400']).toEqual({ $ref: '#/components/responses/AnthropicError' });
  });

  it('is built the same way twice (no clock, no randomness)', () => {
    expect(JSON.stringify(buildOpenApiDocument(gatewayRoutes('/v1'), { version: '9.9.9', prefix: '/v1' }))).toBe(JSON.stringify(document));
  });
});
