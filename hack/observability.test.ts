// The observability pack against promtool (built from its Go module by hack/build-binaries.sh) and
// against the metric names the code really exports:
//   - the alert rules pass `promtool check rules` and their unit tests (`promtool test rules`);
//     every alert has a test in which it fires and a runbook section that its runbook_url names;
//   - every dashboard query parses as PromQL (promtool, each wrapped in a recording rule);
//   - every metric name a dashboard or an alert reads is exported by the gateway's or the
//     operator's registry, or listed in hack/external-metrics.ts with where it comes from.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { makeMetrics as makeGatewayMetrics } from '../gateway/observability/metrics.ts';
import { makeMetrics as makeOperatorMetrics } from '../operator/observability/metrics.ts';
import { KUBE_STATE_METRICS, VLLM_METRICS } from './external-metrics.ts';
import { DASHBOARDS_SOURCE, RULES_SOURCE } from './gen-chart.ts';
import { metricNames } from './promql-metric-names.ts';

const repoRoot = join(import.meta.dirname, '..');
const promtoolPath = join(repoRoot, '.bin/promtool');
const rulesPath = join(repoRoot, RULES_SOURCE);
const rulesTestPath = rulesPath.replace(/\.yaml$/, '.test.yaml');
const runbooks = readFileSync(join(repoRoot, 'docs/runbooks.md'), 'utf8');
const scratch = mkdtempSync(join(tmpdir(), 'perpetual-promtool-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

async function promtool(args: string[], cwd = repoRoot): Promise<{ code: number; output: string }> {
  if (!existsSync(promtoolPath)) throw new Error(`${promtoolPath} is missing: run hack/build-binaries.sh`);
  try {
    const { stdout, stderr } = await promisify(execFile)(promtoolPath, args, { cwd });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  annotations?: Record<string, string>;
}
interface Target {
  expr: string;
  refId: string;
}
interface Panel {
  title: string;
  type: string;
  targets?: Target[];
  panels?: Panel[];
}

const alerts = (parse(readFileSync(rulesPath, 'utf8')) as { groups: { rules: Rule[] }[] }).groups
  .flatMap((g) => g.rules)
  .filter((r) => r.alert);
const ruleTests = (
  parse(readFileSync(rulesTestPath, 'utf8')) as { tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[] }
).tests;

const dashboards = readdirSync(join(repoRoot, DASHBOARDS_SOURCE))
  .filter((n) => n.endsWith('.json'))
  .sort()
  .map((file) => {
    const json = JSON.parse(readFileSync(join(repoRoot, DASHBOARDS_SOURCE, file), 'utf8')) as { title: string; panels: Panel[] };
    const panels = json.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
    return { file, title: json.title, panels };
  });

/** Grafana's variables, replaced by what they stand for, so the query is plain PromQL. */
function withoutGrafanaVariables(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '5m')
    .replaceAll('$__interval', '1m')
    .replace(/\$\{?namespace\}?/g, '.*');
}

const queries = dashboards.flatMap((d) =>
  d.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ where: `${d.file}: "${p.title}" ${t.refId}`, expr: withoutGrafanaVariables(t.expr) })),
  ),
);

/** Every name a scrape of the registry can show: histograms as their _bucket, _sum and _count series. */
async function exportedNames(registry: ReturnType<typeof makeGatewayMetrics>['registry']): Promise<string[]> {
  const metrics = await registry.getMetricsAsJSON();
  return metrics.flatMap((m) => (String(m.type) === 'histogram' ? ['_bucket', '_sum', '_count'].map((s) => m.name + s) : [m.name]));
}

describe('the alert rules', () => {
  it('pass promtool check rules', async () => {
    const { code, output } = await promtool(['check', 'rules', rulesPath]);
    expect(output).toContain(`SUCCESS: ${String(alerts.length)} rules found`);
    expect(code).toBe(0);
  });

  it('pass their promtool unit tests', async () => {
    const { code, output } = await promtool(['test', 'rules', rulesTestPath]);
    expect(output).toContain('SUCCESS');
    expect(code).toBe(0);
  });

  it('each have a unit test in which they fire', () => {
    const fired = new Set(
      ruleTests
        .flatMap((t) => t.alert_rule_test ?? [])
        .filter((t) => t.exp_alerts.length > 0)
        .map((t) => t.alertname),
    );
    expect(alerts.map((a) => a.alert).filter((name) => !fired.has(name ?? ''))).toEqual([]);
  });

  it.each(alerts.map((a) => [a.alert ?? '', a]))('%s links to its runbook section in docs/runbooks.md', (name, rule) => {
    expect(rule.annotations?.runbook_url).toBe(
      `https://github.com/perpetual-ai/perpetual/blob/main/docs/runbooks.md#${name.toLowerCase()}`,
    );
    expect(runbooks).toMatch(new RegExp(`^## ${name}$`, 'm'));
    expect(rule.annotations?.summary).toBeTruthy();
  });

  it('are found by promtool when one is broken (the check can fail)', async () => {
    const broken = join(scratch, 'broken.rules.yaml');
    writeFileSync(broken, stringify({ groups: [{ name: 'x', rules: [{ alert: 'X', expr: 'sum(rate(perpetual_requests_total[5m])' }] }] }));
    const { code, output } = await promtool(['check', 'rules', broken]);
    expect(code).not.toBe(0);
    expect(output).toMatch(/parse error|unclosed/i);
  });
});

describe('the Grafana dashboards', () => {
  it('are the three the README lists, each with panels that query', () => {
    expect(dashboards.map((d) => d.title)).toEqual(['Perpetual / Gateway', 'Perpetual / Models', 'Perpetual / Operator']);
    for (const d of dashboards) expect(d.panels.filter((p) => p.type !== 'row').every((p) => (p.targets ?? []).length > 0)).toBe(true);
  });

  it('hold only queries that promtool parses as PromQL', async () => {
    // One recording rule per query, in a group named after its panel: promtool names the panel of any that fails.
    const file = join(scratch, 'dashboards.rules.yaml');
    const groups = queries.map((q, i) => ({ name: q.where, rules: [{ record: `dashboard:query:${String(i)}`, expr: q.expr }] }));
    writeFileSync(file, stringify({ groups }));
    const { code, output } = await promtool(['check', 'rules', file]);
    expect(output).toContain(`SUCCESS: ${String(queries.length)} rules found`);
    expect(code).toBe(0);
  });

  it('are each listed, panel by panel, in docs/observability.md', () => {
    const docs = readFileSync(join(repoRoot, 'docs/observability.md'), 'utf8');
    for (const d of dashboards) {
      expect(docs).toContain(`### ${d.title} (\`${d.file}\`)`);
      for (const p of d.panels) expect(docs, `${d.file}: ${p.title}`).toContain(p.type === 'row' ? `- **${p.title}**: ` : p.title);
    }
  });

  it('compute P95 latency from the summed bucket rates (sum by (le), then the quantile), probes and scrapes left out', () => {
    expect(queries.map((q) => q.expr)).toContain(
      'histogram_quantile(0.95, sum by (le) (rate(perpetual_request_duration_seconds_bucket{namespace=~".*", endpoint!~"/health|/metrics|/prometheus"}[5m])))',
    );
  });
});

describe('every metric name a dashboard or an alert reads', () => {
  it('is exported by the gateway or the operator, or listed with its source in hack/external-metrics.ts', async () => {
    const known = new Set([
      ...(await exportedNames(makeGatewayMetrics().registry)),
      ...(await exportedNames(makeOperatorMetrics().registry)),
      ...VLLM_METRICS,
      ...KUBE_STATE_METRICS,
    ]);
    const used = [...queries, ...alerts.map((a) => ({ where: `alert ${a.alert ?? ''}`, expr: a.expr }))].flatMap((q) =>
      metricNames(q.expr).map((name) => ({ where: q.where, name })),
    );
    expect(used.length).toBeGreaterThan(queries.length);
    expect(used.filter((u) => !known.has(u.name))).toEqual([]);
  });

  it('would be caught if misspelt', async () => {
    const known = new Set(await exportedNames(makeGatewayMetrics().registry));
    expect(known.has('perpetual_request_duration_seconds_bucket')).toBe(true);
    expect(metricNames('rate(perpetual_request_duration_second_bucket[5m])').filter((n) => !known.has(n))).toEqual([
      'perpetual_request_duration_second_bucket',
    ]);
  });
});
