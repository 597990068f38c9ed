#!/usr/bin/env bash
# The test command: sets up whatever is missing (fast when already done), then runs lint, the
# format check (Biome; `npm run format` fixes), the type-check and every test tier: unit, API
# server, kwok cluster, PostgreSQL/Redis/simulator and gateway first, then e2e on a real node on
# its own (its containers would otherwise compete with the timing-sensitive tiers for the two
# cores). Extra arguments go to one vitest run instead, e.g. ./hack/test.sh --project unit, or
# ./hack/test.sh --project e2e
source "$(dirname "$0")/lib/common.sh"

started=$(date +%s)
"$REPO_ROOT/hack/setup.sh"
export PATH="$LOCAL_BIN:$PATH"
cd "$REPO_ROOT"
reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
status=0
vitest() {  # vitest <report name> <args...>
  local report="$reports/$1.json"; shift
  npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
}
npm run --silent lint || status=$?
[ $status -eq 0 ] && { npm run --silent format:check || status=$?; }
[ $status -eq 0 ] && { npm run --silent typecheck || status=$?; }
if [ $status -eq 0 ]; then
  if [ $# -gt 0 ]; then
    vitest selected "$@"
  else
    vitest tiers --project '!e2e'
    vitest e2e --project e2e
  fi
fi
# One plain closing line that any CI can read, over every run.
node -e '
  const fs = require("node:fs"), path = require("node:path");
  const sum = { passed: 0, failed: 0, skipped: 0 };
  for (const f of fs.readdirSync(process.argv[1])) {
    const r = JSON.parse(fs.readFileSync(path.join(process.argv[1], f), "utf8"));
    sum.passed += r.numPassedTests; sum.failed += r.numFailedTests; sum.skipped += r.numPendingTests;
  }
  if (fs.readdirSync(process.argv[1]).length > 0) console.log(`tests: ${sum.passed} passed, ${sum.failed} failed, ${sum.skipped} skipped`);
' "$reports"
log "Test command finished in $(( $(date +%s) - started ))s (exit $status)"
exit $status
