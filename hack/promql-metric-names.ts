// The metric names a PromQL expression reads, for checking dashboards and alerts against the names
// the code exports. promtool has already parsed the expression (so it is valid PromQL); this only
// needs to find the vector selectors in it: what is left after dropping string literals, label
// matchers, ranges, grouping clauses, numbers, keywords and function calls.

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
  'atan2',
]);

export function metricNames(expr: string): string[] {
  const selectors = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ') // strings (label values, label_replace arguments)
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/(?<![\w:])\d[\w.]*/g, ' '); // numbers and durations
  const names = new Set<string>();
  for (const match of selectors.matchAll(/[a-zA-Z_:][\w:]*/g)) {
    const rest = selectors.slice(match.index + match[0].length);
    if (KEYWORDS.has(match[0].toLowerCase()) || /^\s*\(/.test(rest)) continue; // keyword, or a function or aggregation
    names.add(match[0]);
  }
  return [...names].sort();
}
