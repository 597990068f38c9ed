#!/usr/bin/env bash
# The test command: sets up whatever is missing (fast when already done), then runs lint, the
# type-check and every test tier (unit, API server, kwok cluster, PostgreSQL/Redis/simulator).
# Extra arguments go to vitest, e.g. ./hack/test.sh --project unit
source "$(dirname "$0")/lib/common.sh"

started=$(date +%s)
"$REPO_ROOT/hack/setup.sh"
export PATH="$LOCAL_BIN:$PATH"
cd "$REPO_ROOT"
report=$(mktemp --suffix=.json)
trap 'rm -f "$report"' EXIT
status=0
npm run --silent lint || status=$?
[ $status -eq 0 ] && { npm run --silent typecheck || status=$?; }
[ $status -eq 0 ] && { npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?; }
if [ -s "$report" ]; then
  # One plain closing line that any CI can read.
  node -e 'const r=JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")); console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`)' "$report"
fi
log "Test command finished in $(( $(date +%s) - started ))s (exit $status)"
exit $status
