// From an environment variable's text to the value its schema describes (env-schema.ts). A
// decoder never refuses: text it cannot convert is passed on unchanged, and the schema check
// refuses it with the variable named (`API_PORT must be an integer ..., got "eighty"`).
import type { TSchema } from 'typebox';

export type Decoder = (text: string) => unknown;

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

/** Number's own reading (`8000`, `1e3`, `0x10`); the check decides whether it had to be an integer and in which bounds. */
export const decodeNumber: Decoder = (text) => {
  const value = Number(text);
  return Number.isNaN(value) ? text : value;
};

/** true/1/yes and false/0/no, any case. */
export const decodeBoolean: Decoder = (text) => {
  const word = text.toLowerCase();
  return TRUE.has(word) ? true : FALSE.has(word) ? false : text;
};

/** One of `values` named in any case (`Proxy`, `SESSIONAFFINITY`), spelt as the schema does. */
export function decodeChoice(values: readonly unknown[]): Decoder {
  return (text) => values.find((value) => String(value).toLowerCase() === text.toLowerCase()) ?? text;
}

/** Comma-separated, blanks around items and empty items dropped (`a, b,` is two items). */
export const decodeList: Decoder = (text) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

const decodeText: Decoder = (text) => text;

/** The decoder a variable's schema calls for, from its JSON Schema `type` (or `enum`). */
export function decoderFor(schema: TSchema): Decoder {
  const { type, enum: values } = schema as { type?: unknown; enum?: unknown[] };
  if (Array.isArray(values)) return decodeChoice(values);
  if (type === 'integer' || type === 'number') return decodeNumber;
  if (type === 'boolean') return decodeBoolean;
  if (type === 'array') return decodeList;
  return decodeText;
}
