#!/usr/bin/env bash
# Installs everything (scripts/setup.sh), checks types, lint and formatting (`pnpm format` applies
# it), and runs every test of the workspace once with vitest. Ends with one plain line
# `N passed, N failed`; exits non-zero on any failure, when no test ran, or when a check failed.
#
# The typecheck runs while vitest runs (its output is printed after the tests): on 2 cores the tests
# leave a core idle while they wait on sockets and child processes, and the typecheck fills it. It
# is incremental (node_modules/.cache/tsc): after a first run only what changed is checked again.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
checks=0
# One TypeScript program over the whole repo (workspace imports resolve to src through the
# @restgate/source condition), plus the example converter package, which is checked as JavaScript.
mkdir -p node_modules/.cache/tsc
typecheck_log=$(mktemp)
{
  pnpm exec tsc -p tsconfig.json --incremental --tsBuildInfoFile node_modules/.cache/tsc/repo.tsbuildinfo &&
    pnpm exec tsc -p examples/custom-converter/tsconfig.json --incremental --tsBuildInfoFile node_modules/.cache/tsc/custom-converter.tsbuildinfo
} >"$typecheck_log" 2>&1 &
typecheck_pid=$!
pnpm exec oxlint . --quiet || { echo "lint failed"; checks=$((checks + 1)); }
pnpm exec oxfmt --check . >/dev/null || { pnpm exec oxfmt --list-different .; echo "format check failed: run pnpm format"; checks=$((checks + 1)); }
rm -f test-results.json
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=test-results.json
code=$?
wait "$typecheck_pid" || { cat "$typecheck_log"; echo "typecheck failed"; checks=$((checks + 1)); }
rm -f "$typecheck_log"
node scripts/summarise-tests.mjs test-results.json "$code" "$checks"
