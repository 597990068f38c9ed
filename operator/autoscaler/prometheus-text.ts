// Just enough of the Prometheus text exposition format to read a few gauges: `name{labels} value`.
// Comments, timestamps and every metric we did not ask for are skipped.
import { GatewayMetrics, VllmMetrics, type GatewayReading, type ReplicaReading } from './measure.ts';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const ESCAPES: Record<string, string> = { n: '\n', '\\': '\\', '"': '"' };

/** Parses `a="x",b="y\"z"` (the text between the braces); undefined when malformed. */
export function parseLabels(text: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0 || text[eq + 1] !== '"') return undefined;
    const name = text.slice(i, eq).trim();
    let value = '';
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      const escaped = text[j] === '\\' ? ESCAPES[text[j + 1] ?? ''] : undefined;
      if (escaped !== undefined) j++;
      value += escaped ?? text.charAt(j);
    }
    if (j >= text.length) return undefined;
    labels[name] = value;
    i = j + 1;
    while (text[i] === ',' || text[i] === ' ') i++;
  }
  return labels;
}

function parseLine(line: string, wanted: ReadonlySet<string>): Sample | undefined {
  const nameEnd = line.search(/[{\s]/);
  const name = nameEnd < 0 ? line : line.slice(0, nameEnd);
  if (!wanted.has(name)) return undefined;
  let rest = line.slice(name.length);
  let labels: Record<string, string> | undefined = {};
  if (rest.startsWith('{')) {
    const close = rest.lastIndexOf('}');
    labels = close < 0 ? undefined : parseLabels(rest.slice(1, close));
    rest = rest.slice(close + 1);
  }
  const value = Number(rest.trim().split(/\s+/)[0]);
  return labels && Number.isFinite(value) ? { name, labels, value } : undefined;
}

/** The samples of the `wanted` metrics in an exposition. */
export function parseSamples(text: string, wanted: ReadonlySet<string>): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const sample = parseLine(line, wanted);
    if (sample) samples.push(sample);
  }
  return samples;
}

function sumOf(samples: readonly Sample[], name: string): number | undefined {
  const matching = samples.filter((s) => s.name === name);
  return matching.length === 0 ? undefined : matching.reduce((total, s) => total + s.value, 0);
}

function meanOf(samples: readonly Sample[], name: string): number | undefined {
  const total = sumOf(samples, name);
  return total === undefined ? undefined : total / samples.filter((s) => s.name === name).length;
}

const REPLICA_METRICS = new Set<string>(Object.values(VllmMetrics));

/**
 * One vLLM replica's gauges. A replica with several engines (data parallel) exports a series per
 * engine: requests add up, a utilisation fraction is averaged. The older KV name is the fallback.
 */
export function replicaReading(text: string): ReplicaReading {
  const samples = parseSamples(text, REPLICA_METRICS);
  const running = sumOf(samples, VllmMetrics.running);
  const waiting = sumOf(samples, VllmMetrics.waiting);
  const kvCacheUsage = meanOf(samples, VllmMetrics.kvCache) ?? meanOf(samples, VllmMetrics.kvCacheLegacy);
  return {
    ...(running === undefined ? {} : { running }),
    ...(waiting === undefined ? {} : { waiting }),
    ...(kvCacheUsage === undefined ? {} : { kvCacheUsage }),
  };
}

const GATEWAY_METRICS = new Set<string>(Object.values(GatewayMetrics));

/** A gateway's demand for the models named `models` (the PerpetualDeployment names that point at one ModelServer). */
export function gatewayReading(text: string, models: ReadonlySet<string>): GatewayReading {
  const samples = parseSamples(text, GATEWAY_METRICS).filter((s) => models.has(s.labels.model ?? ''));
  return { inFlight: sumOf(samples, GatewayMetrics.inFlight) ?? 0, queued: sumOf(samples, GatewayMetrics.queued) ?? 0 };
}
