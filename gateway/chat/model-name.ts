// Which model names the gateway accepts, checked before anything is spent on a request. A model
// name does not stay in the JSON body: it is echoed in a response header (x-perpetual-model),
// written to logs, usage rows and Prometheus labels, and some providers put it in a URL path.
// A newline or a NUL there fails late (after the upstream was called and paid) or worse.
//
// The character set is what providers actually use: OpenAI (`gpt-4o-mini`, fine-tunes
// `ft:gpt-4o-mini:org::id`), Anthropic and Vertex (`claude-sonnet-4-5@20250929`), Bedrock
// (`anthropic.claude-3-5-sonnet-20240620-v1:0`), Hugging Face and vLLM (`meta-llama/Llama-3.1-8B`),
// Ollama (`llama3.1:8b`), OpenRouter (`openai/gpt-4o:free`), Cloudflare (`@cf/meta/llama-3.1-8b`):
// ASCII letters, digits and `. _ - / : @ +`. No provider names models with other Unicode letters,
// so `gpt-模型` is refused with a clear 400 rather than carried into headers and labels; the
// commas and spaces that would split lists are refused too. The same pattern and bound are in the
// CRD (operator/api/v1alpha1/perpetual-deployment.ts), so the API server refuses such names first.
import { badRequest } from '../errors.ts';

export const MODEL_NAME_MAX_LENGTH = 256;
/** Also an OpenAPI `pattern` in the CRD: written so RE2 (the API server) and JavaScript read it alike. */
export const MODEL_NAME_PATTERN = '^[A-Za-z0-9._:@+/-]+$';
const MODEL_NAME = new RegExp(MODEL_NAME_PATTERN);
const ALLOWED = 'ASCII letters, digits and . _ - / : @ +';
/** How much of a refused name the message shows: enough to recognise it, never a whole payload. */
const SHOWN = 64;

export interface ModelNameProblem {
  code: 'missing_model' | 'invalid_model';
  /** Completes a sentence that starts with the field's name, e.g. `"model" ${reason}`. */
  reason: string;
}

/** Why `name` cannot be a model name, or undefined when it can. */
export function modelNameProblem(name: unknown): ModelNameProblem | undefined {
  if (typeof name !== 'string' || name.trim() === '')
    return { code: 'missing_model', reason: 'is required: the name of the model to use.' };
  if (name.length <= MODEL_NAME_MAX_LENGTH && MODEL_NAME.test(name)) return undefined;
  // JSON escaping shows control characters as \n, \u0000 instead of writing them into the message.
  const shown = JSON.stringify(name.length > SHOWN ? `${name.slice(0, SHOWN)}…` : name);
  return { code: 'invalid_model', reason: `must be 1 to ${MODEL_NAME_MAX_LENGTH} characters, only ${ALLOWED} (got ${shown}).` };
}

/** Returns `name` when it is a valid model name; otherwise throws the 400 (param `model`) in the words of the caller's dialect. */
export function checkModelName(name: unknown, message: (problem: ModelNameProblem) => string): string {
  const problem = modelNameProblem(name);
  if (problem) throw badRequest(message(problem), problem.code, 'model');
  return name as string;
}
