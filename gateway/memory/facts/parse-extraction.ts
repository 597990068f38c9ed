// The extractor's answer, read defensively: a model may wrap the JSON in a code fence or prose,
// answer with a bare list, leave fields out, misspell the speaker, invent labels, or answer with
// nothing usable at all. What parses into at least the shape {"facts": [...]} is kept item by
// item (a bad item is dropped, the rest kept); anything else is garbage, counted by the caller.
// Limits bound what a confused or manipulated extractor can do: facts are short, few per
// exchange, and can only name exchanges and known facts the prompt showed.
import { withoutFenceTags } from '../prompt/memory-fence.ts';

export type Speaker = 'user' | 'assistant';

export interface ParsedFact {
  text: string;
  speaker: Speaker;
  /** Normalised by subjectKey(); undefined when the fact sets no single-valued attribute. */
  subject: string | undefined;
  /** Indices of the exchanges it came from (from 0); every exchange when the answer named none it knows. */
  exchanges: number[];
  /** Indices of the known facts it supersedes (from 0). */
  supersedes: number[];
}

export type ParsedExtraction = { ok: true; facts: ParsedFact[]; dropped: number } | { ok: false; reason: string };

export const MAX_FACT_CHARS = 300;
export const MAX_FACTS_PER_EXCHANGE = 8;
const MAX_SUBJECT_CHARS = 80;

export interface ParseLimits {
  exchanges: number;
  known: number;
}

/** The first balanced-looking JSON object or array in the text: from the first "{" or "[" to its last match. */
function jsonCandidate(text: string): string | undefined {
  const unfenced = text.replace(/```(?:json)?/gi, '');
  const start = unfenced.search(/[{[]/);
  if (start < 0) return undefined;
  const close = unfenced[start] === '{' ? '}' : ']';
  const end = unfenced.lastIndexOf(close);
  return end > start ? unfenced.slice(start, end + 1) : undefined;
}

function parseJson(text: string): unknown {
  const candidate = jsonCandidate(text);
  if (candidate === undefined) return undefined;
  try {
    return JSON.parse(candidate) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Lower-case, words joined by "_", only [a-z0-9._-]; undefined when nothing is left or it says none. */
export function subjectKey(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const key = raw
    .normalize('NFKD')
    .toLowerCase()
    .trim()
    .replace(/\s+/g, '_')
    .replace(/[^a-z0-9._-]/g, '')
    .replace(/\.{2,}/g, '.')
    .replace(/^[._-]+|[._-]+$/g, '')
    .slice(0, MAX_SUBJECT_CHARS);
  return key === '' || key === 'null' || key === 'none' ? undefined : key;
}

/** "E2", "e2", 2 or "2" → index 1 when within count; undefined otherwise. */
function labelIndex(raw: unknown, prefix: string, count: number): number | undefined {
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  const match = new RegExp(`^${prefix}?(\\d{1,4})$`, 'i').exec(text);
  const n = match ? Number(match[1]) : NaN;
  return Number.isInteger(n) && n >= 1 && n <= count ? n - 1 : undefined;
}

function labelIndices(raw: unknown, prefix: string, count: number): number[] {
  const items = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
  const indices = items.map((item) => labelIndex(item, prefix, count)).filter((i): i is number => i !== undefined);
  return [...new Set(indices)].sort((a, b) => a - b);
}

function factText(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const text = withoutFenceTags(raw).replace(/\s+/g, ' ').trim();
  return text === '' || text.length > MAX_FACT_CHARS ? undefined : text;
}

function parseItem(raw: unknown, limits: ParseLimits): ParsedFact | undefined {
  const item = typeof raw === 'string' ? { text: raw } : raw;
  if (!isRecord(item)) return undefined;
  const text = factText(item.text ?? item.fact);
  if (text === undefined) return undefined;
  const speaker: Speaker = typeof item.speaker === 'string' && item.speaker.trim().toLowerCase() === 'assistant' ? 'assistant' : 'user';
  const named = labelIndices(item.exchange ?? item.exchanges ?? item.source, 'E', limits.exchanges);
  return {
    text,
    speaker,
    subject: subjectKey(item.subject),
    exchanges: named.length > 0 ? named : Array.from({ length: limits.exchanges }, (_, i) => i),
    supersedes: labelIndices(item.supersedes, 'K', limits.known),
  };
}

export function parseExtraction(answer: string, limits: ParseLimits): ParsedExtraction {
  const json = parseJson(answer);
  const list = Array.isArray(json) ? json : isRecord(json) && Array.isArray(json.facts) ? json.facts : undefined;
  if (list === undefined) return { ok: false, reason: 'the answer holds no JSON object with a "facts" list' };
  const cap = MAX_FACTS_PER_EXCHANGE * Math.max(1, limits.exchanges);
  const seen = new Set<string>();
  const facts: ParsedFact[] = [];
  let dropped = 0;
  for (const raw of list) {
    const fact = parseItem(raw, limits);
    const duplicate = fact !== undefined && seen.has(fact.text.toLowerCase());
    if (fact === undefined || duplicate || facts.length >= cap) {
      dropped++;
      continue;
    }
    seen.add(fact.text.toLowerCase());
    facts.push(fact);
  }
  if (facts.length === 0 && list.length > 0) return { ok: false, reason: `none of the ${list.length} items is a usable fact` };
  return { ok: true, facts, dropped };
}
