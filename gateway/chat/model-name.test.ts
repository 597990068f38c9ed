import { describe, expect, it } from 'vitest';
// The CRD is what the API server enforces; the gateway must agree with it exactly, so a name the
// cluster accepted is never refused per request (and the other way round). A test may look across.
import { ModelServerSpec } from '../../operator/api/v1alpha1/model-server.ts';
import { PerpetualDeploymentSpec } from '../../operator/api/v1alpha1/perpetual-deployment.ts';
import { checkModelName, MODEL_NAME_MAX_LENGTH, MODEL_NAME_PATTERN, modelNameProblem } from './model-name.ts';

describe('modelNameProblem', () => {
  it.each([
    'gpt-4o-mini',
    'claude-sonnet-4-5',
    'meta-llama/Llama-3.1-8B-Instruct',
    'ft:gpt-4o-mini:acme::9abcDEF1',
    'anthropic.claude-3-5-sonnet-20240620-v1:0',
    'claude-sonnet-4-5@20250929',
    '@cf/meta/llama-3.1-8b-instruct',
    'hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M',
    'openai/gpt-4o:free',
    'llama3.1:8b',
    'Qwen2.5+tools',
    'x'.repeat(MODEL_NAME_MAX_LENGTH),
  ])('accepts the real-world name %s', (name) => {
    expect(modelNameProblem(name)).toBeUndefined();
  });

  it.each([
    [undefined, 'missing_model'],
    [42, 'missing_model'],
    ['', 'missing_model'],
    ['   ', 'missing_model'],
    ['gpt-模型', 'invalid_model'],
    ['gpt-4o\nx-injected: 1', 'invalid_model'],
    ['gpt-4o\r\n', 'invalid_model'],
    ['gpt\u0000', 'invalid_model'],
    ['gpt\u007f', 'invalid_model'],
    ['gpt 4o', 'invalid_model'],
    ['gpt\t4o', 'invalid_model'],
    ['gpt-4o,claude', 'invalid_model'],
    ['café', 'invalid_model'],
    ['x'.repeat(MODEL_NAME_MAX_LENGTH + 1), 'invalid_model'],
  ])('refuses %j (%s)', (name, code) => {
    expect(modelNameProblem(name)?.code).toBe(code);
  });

  it('says what a name may hold, and shows the refused name escaped and bounded', () => {
    const problem = modelNameProblem(`gpt-模型\n${'y'.repeat(500)}`);
    expect(problem?.reason).toMatch(/ASCII letters, digits and \. _ - \/ : @ \+/);
    expect(problem?.reason).toContain('"gpt-模型\\n');
    expect(problem?.reason.length).toBeLessThan(300);
  });
});

describe('checkModelName', () => {
  it('returns a valid name', () => {
    expect(checkModelName('gpt-4o-mini', (p) => `"model" ${p.reason}`)).toBe('gpt-4o-mini');
  });

  it("throws a 400 naming the model parameter, in the caller's wording", () => {
    expect(() => checkModelName('gpt-模型', (p) => `model: ${p.reason}`)).toThrow(
      expect.objectContaining({
        status: 400,
        type: 'invalid_request_error',
        code: 'invalid_model',
        param: 'model',
        message: expect.stringMatching(/^model: /) as string,
      }) as Error,
    );
  });
});

describe('the CRD agrees with the gateway', () => {
  const models = PerpetualDeploymentSpec.properties.models as unknown as {
    items: { properties: Record<string, { pattern?: string; maxLength?: number }> };
  };

  it.each(['name', 'fallback'])('models[].%s has the same pattern and length bound', (field) => {
    expect(models.items.properties[field]).toMatchObject({ pattern: MODEL_NAME_PATTERN, maxLength: MODEL_NAME_MAX_LENGTH });
  });

  it("a ModelServer's servedName too (clients may send it as the model)", () => {
    const source = ModelServerSpec.properties.model as unknown as { properties: Record<string, { pattern?: string; maxLength?: number }> };
    expect(source.properties.servedName).toMatchObject({ pattern: MODEL_NAME_PATTERN, maxLength: MODEL_NAME_MAX_LENGTH });
  });
});
