// A request body checked against its TypeBox schema, the one source of both the 400s and the
// OpenAPI document (gateway/openapi/). TypeBox says what failed and where; the schema says how to
// tell the caller, in annotations beside the JSON Schema keywords:
//
//   'x-error': { message, code, param? }         this field and anything inside it that has none
//   'x-error-<keyword>': { message, code, ... }  only when <keyword> fails at this very field
//                                                 ('x-error-required': the field is missing)
//   'x-model-name': true                          a model name: modelNameProblem words the 400
//
// A message is a template: {param} is the field's path in the caller's dialect (messages[0].role
// for OpenAI, messages.0.role for Anthropic), {parent} the path of the object holding it, {value}
// the value sent, shown short, and {length} its length (a string's or a list's). The first
// problem in the order a reader checks a body (the schema's property order, parents before their
// items, items by index) is the one reported, so a request with two mistakes hears of the first.
// What JSON Schema cannot say (the first Anthropic turn is the user's, a label's control
// characters, an expiry in the future) stays in code after this check.
import type { TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import { modelNameProblem, type ModelNameProblem } from '../chat/model-name.ts';
import { badRequest, type GatewayError } from '../errors.ts';
import { isObject } from '../json-object.ts';
import { pointerSegment, pointerSegments } from '../json-pointer.ts';

export interface ErrorText {
  message: string;
  code: string;
  /** The error's `param` when it is not the field's own path (a message about `tool_choice.type` may name `tool_choice`). */
  param?: string;
}

/** How a field path is written: OpenAI's `messages[0].role` or Anthropic's `messages.0.role`. */
export type PathStyle = 'brackets' | 'dots';

export interface BodyCheckOptions {
  path: PathStyle;
  /** The sentence for a model name that is missing or refused (a field marked 'x-model-name'). */
  model?: (problem: ModelNameProblem) => string;
}

/** The 400 for a body that is not a JSON object: every endpoint words it alike. */
const NOT_AN_OBJECT: ErrorText = { message: 'The request body must be a JSON object.', code: 'invalid_body' };

type Node = Record<string, unknown>;

/** A schema node on the way to a problem, and how many segments of the value's path lead to it. */
interface Step {
  node: Node;
  depth: number;
}

interface Problem {
  keyword: string;
  /** Where the value is (or, for `required`, would be): property names and array indexes. */
  path: string[];
  /** The schema nodes from the root to the one that failed. */
  steps: Step[];
  /** Per path segment, its place in the reader's order: the property's place in its schema, or the item's index. */
  ranks: number[];
  order: number;
}

/** The schema nodes along a schemaPath (`#/properties/a/anyOf/1/items`), root first, with the ranks of the value's path. */
function walk(root: Node, schemaPath: string, path: readonly string[]): { steps: Step[]; ranks: number[] } {
  const steps: Step[] = [{ node: root, depth: 0 }];
  const ranks: number[] = [];
  const parts = pointerSegments(schemaPath.replace(/^#/, ''));
  let node: Node = root;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    let next: unknown;
    if (part === 'properties') {
      const properties = (node.properties ?? {}) as Record<string, Node>;
      const name = parts[++i] ?? '';
      ranks.push(Object.keys(properties).indexOf(name));
      next = properties[name];
    } else if (part === 'anyOf') next = (node.anyOf as Node[] | undefined)?.[Number(parts[++i])];
    else if (part === 'items') {
      ranks.push(Number(path[ranks.length]));
      next = node.items;
    } else if (part === 'additionalProperties') {
      ranks.push(Number.MAX_SAFE_INTEGER);
      next = node.additionalProperties;
    } else next = node[part];
    if (typeof next !== 'object' || next === null) break;
    node = next as Node;
    steps.push({ node, depth: ranks.length });
  }
  return { steps, ranks };
}

function valueAt(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const part of path) current = typeof current === 'object' && current !== null ? (current as Node)[part] : undefined;
  return current;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value;
}

/** The JSON types a branch can hold at all, or undefined when any. */
function typesOf(branch: Node): string[] | undefined {
  if (typeof branch.type === 'string') return [branch.type];
  if ('const' in branch) return [jsonType(branch.const)];
  if (Array.isArray(branch.enum)) return branch.enum.map(jsonType);
  return undefined;
}

function accepts(branch: Node, type: string): boolean {
  const types = typesOf(branch);
  return types === undefined || types.some((t) => t === type || (t === 'number' && type === 'integer'));
}

interface RawError {
  keyword: string;
  schemaPath: string;
  instancePath: string;
  params: { requiredProperties?: string[]; additionalProperties?: string[] };
}

/**
 * A union (anyOf) whose branches all fail: when the value's JSON type picks one branch (an array
 * where "a string or an array of blocks" is wanted), that branch's problems are the caller's;
 * otherwise the union's own (its annotation says what the choices are).
 */
function withoutLosingBranches(root: Node, errors: RawError[], body: unknown): RawError[] {
  let kept = errors;
  for (const union of errors.filter((e) => e.keyword === 'anyOf')) {
    const branches = (walk(root, union.schemaPath, []).steps.at(-1)?.node.anyOf ?? []) as Node[];
    const type = jsonType(valueAt(body, pointerSegments(union.instancePath)));
    const fitting = branches.flatMap((branch, i) => (accepts(branch, type) ? [i] : []));
    const inside = `${union.schemaPath}/anyOf/`;
    kept = kept.filter((e) => {
      if (!e.schemaPath.startsWith(inside)) return fitting.length === 1 ? e !== union : true;
      return fitting.length === 1 && e.schemaPath.startsWith(`${inside}${String(fitting[0])}`);
    });
  }
  return kept;
}

function problemsOf(root: Node, errors: RawError[], body: unknown): Problem[] {
  const problems: Problem[] = [];
  withoutLosingBranches(root, errors, body).forEach((error, order) => {
    const path = pointerSegments(error.instancePath);
    const { steps, ranks } = walk(root, error.schemaPath, path);
    const parent = steps.at(-1)?.node ?? root;
    // Twins: `additionalProperties: false` fails as `boolean` at the field and as
    // `additionalProperties` at its object (kept, below); a schema there fails at the field (kept)
    // and as a summary at the object; a property name fails inside and as `propertyNames` (kept).
    if (error.keyword === 'boolean' || error.schemaPath.includes('/propertyNames')) return;
    if (error.keyword === 'additionalProperties' && parent.additionalProperties !== false) return;
    if (error.keyword === 'required') {
      const properties = (parent.properties ?? {}) as Record<string, Node>;
      for (const key of error.params.requiredProperties ?? []) {
        const child = properties[key];
        problems.push({
          keyword: 'required',
          path: [...path, key],
          steps: child ? [...steps, { node: child, depth: path.length + 1 }] : steps,
          ranks: [...ranks, Object.keys(properties).indexOf(key)],
          order,
        });
      }
    } else if (error.keyword === 'additionalProperties') {
      for (const key of error.params.additionalProperties ?? [])
        problems.push({ keyword: 'additionalProperties', path: [...path, key], steps, ranks: [...ranks, -1], order });
    } else problems.push({ keyword: error.keyword, path, steps, ranks, order });
  });
  return problems;
}

/** Reader's order: unknown fields first, then the schema's property order, a parent before its items, items by index. */
function readerOrder(a: Problem, b: Problem): number {
  for (let i = 0; i < Math.min(a.ranks.length, b.ranks.length); i++) {
    const difference = (a.ranks[i] ?? 0) - (b.ranks[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return a.ranks.length - b.ranks.length || a.order - b.order;
}

/** The path as the caller's dialect writes it. */
export function fieldPath(path: readonly string[], style: PathStyle): string {
  return path.reduce((text, part) => {
    const index = /^\d+$/.test(part);
    if (style === 'brackets' && index) return `${text}[${part}]`;
    return text === '' ? part : `${text}.${part}`;
  }, '');
}

function shown(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}

/**
 * The nearest annotation and where it sits: this field's for this keyword (at the field itself),
 * else the nearest 'x-error' from the field up (naming the field that carries it).
 */
function annotation(problem: Problem): { text: ErrorText; path: string[] } | undefined {
  const own = problem.steps.at(-1)?.node[`x-error-${problem.keyword}`] as ErrorText | undefined;
  if (own) return { text: own, path: problem.path };
  for (const { node, depth } of [...problem.steps].reverse())
    if (node['x-error']) return { text: node['x-error'] as ErrorText, path: problem.path.slice(0, depth) };
  return undefined;
}

function fallback(keyword: string): ErrorText {
  return { message: keyword === 'required' ? '{param}: Field required.' : '{param}: invalid value.', code: 'invalid_value' };
}

function errorFor(problem: Problem, body: unknown, options: BodyCheckOptions): GatewayError {
  const value = valueAt(body, problem.path);
  if (problem.steps.at(-1)?.node['x-model-name'] === true && options.model) {
    const modelProblem = modelNameProblem(value) ?? modelNameProblem(undefined);
    if (modelProblem) return badRequest(options.model(modelProblem), modelProblem.code, fieldPath(problem.path, options.path));
  }
  const found = annotation(problem) ?? {
    text: problem.path.length === 0 ? NOT_AN_OBJECT : fallback(problem.keyword),
    path: problem.path,
  };
  const param = fieldPath(found.path, options.path);
  const annotated = valueAt(body, found.path);
  const fill = (template: string): string =>
    template
      .replaceAll('{param}', param)
      .replaceAll('{parent}', fieldPath(found.path.slice(0, -1), options.path))
      .replaceAll('{value}', shown(annotated))
      .replaceAll('{length}', String(typeof annotated === 'string' || Array.isArray(annotated) ? annotated.length : 0));
  return badRequest(
    fill(found.text.message),
    found.text.code,
    found.text.param === undefined ? param || undefined : fill(found.text.param),
  );
}

const checks = new WeakMap<Node, Validator>();

function checkFor(schema: Node): Validator {
  let check = checks.get(schema);
  if (!check) {
    check = Compile(schema as unknown as TSchema);
    checks.set(schema, check);
  }
  return check;
}

/** Where a witness list holds only the failing item of a longer list: errors at `pointer`/0 belong at `pointer`/`offset`. */
interface Shift {
  pointer: string;
  offset: number;
}

/** Short lists stay whole; longer ones keep only the item that fails. */
const KEPT_ITEMS = 16;
/** Small lists that fail a union of list shapes, whose own words are reported whatever the items. */
const FAILING_LISTS: unknown[][] = [[], [null], [{}]];

/**
 * A copy of the body that fails the same way at the same paths, with every long list cut down:
 * past its maxItems (one item more still breaks the bound), or to the first item that fails (its
 * index restored by `shifts`). TypeBox enumerates every problem of every item and walks every
 * valid one, so a 16 MB body of a million items would cost seconds of CPU to describe; the
 * witness costs one pass of the compiled checks.
 */
function witness(schema: Node, value: unknown, pointer: string, shifts: Shift[]): unknown {
  if (Array.isArray(schema.anyOf)) return unionWitness(schema, value, pointer, shifts);
  if (Array.isArray(value) && isObject(schema.items)) return listWitness(schema, schema.items, value as unknown[], { pointer, shifts });
  if (isObject(value) && isObject(schema.properties)) {
    const properties = schema.properties as Record<string, Node>;
    return Object.fromEntries(
      Object.entries(value).map(([key, field]) => {
        const fieldSchema = properties[key] ?? schema.additionalProperties;
        const at = `${pointer}/${pointerSegment(key)}`;
        return [key, isObject(fieldSchema) ? witness(fieldSchema, field, at, shifts) : field];
      }),
    );
  }
  return value;
}

function unionWitness(schema: Node, value: unknown, pointer: string, shifts: Shift[]): unknown {
  const branches = (schema.anyOf as Node[]).filter((branch) => accepts(branch, jsonType(value)));
  if (branches.length === 1 && branches[0]) return witness(branches[0], value, pointer, shifts);
  // Several list shapes fail: the union's own words are reported, so any list failing them all will do.
  if (Array.isArray(value) && value.length > KEPT_ITEMS && !checkFor(schema).Check(value)) {
    for (const list of FAILING_LISTS) if (!checkFor(schema).Check(list)) return list;
  }
  return value;
}

function listWitness(schema: Node, items: Node, list: unknown[], where: { pointer: string; shifts: Shift[] }): unknown {
  const max = typeof schema.maxItems === 'number' ? schema.maxItems : Infinity;
  if (list.length > max) return list.slice(0, max + 1);
  const failing = list.findIndex((item) => !checkFor(items).Check(item));
  if (failing === -1) return list;
  if (failing < KEPT_ITEMS)
    return [...list.slice(0, failing), witness(items, list[failing], `${where.pointer}/${String(failing)}`, where.shifts)];
  where.shifts.push({ pointer: where.pointer, offset: failing });
  return [witness(items, list[failing], `${where.pointer}/0`, where.shifts)];
}

/** An error of the witness at the place it has in the body (innermost lists first). */
function shifted(error: RawError, shifts: readonly Shift[]): RawError {
  let path = error.instancePath;
  for (const { pointer, offset } of [...shifts].sort((a, b) => b.pointer.length - a.pointer.length)) {
    const at = `${pointer}/0`;
    if (path === at || path.startsWith(`${at}/`)) path = `${pointer}/${String(offset)}${path.slice(at.length)}`;
  }
  return { ...error, instancePath: path };
}

/**
 * A check for `schema`: returns the body unchanged when it fits, throws the 400 for its first
 * problem otherwise. Compiled once (TypeBox's JIT checker), so a valid body costs one pass.
 */
// The caller names the type its code reads (the schema's Static is looser where fields pass through).
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export function bodyCheck<T>(schema: TSchema, options: BodyCheckOptions): (body: unknown) => T {
  const compiled = Compile(schema);
  const root = schema as unknown as Node;
  return (body: unknown): T => {
    if (compiled.Check(body)) return body as T;
    const shifts: Shift[] = [];
    const cut = witness(root, body, '', shifts);
    const errors = (compiled.Errors(cut) as RawError[]).map((error) => shifted(error, shifts));
    const problems = problemsOf(root, errors, body).sort(readerOrder);
    const first = problems[0] ?? { keyword: 'type', path: [], steps: [{ node: root, depth: 0 }], ranks: [], order: 0 };
    throw errorFor(first, body, options);
  };
}
