#!/usr/bin/env bash
# Installs everything (scripts/setup.sh), checks types, lint and formatting (`pnpm format` applies
# it), and runs every test of the workspace once with vitest. Ends with one plain line
# `N passed, N failed`; exits non-zero on any failure, when no test ran, or when a check failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
checks=0
# One TypeScript program over the whole repo (workspace imports resolve to src through the
# @restgate/source condition), plus the example converter package, which is checked as JavaScript.
{ pnpm exec tsc -p tsconfig.json && pnpm exec tsc -p examples/custom-converter/tsconfig.json; } || { echo "typecheck failed"; checks=$((checks + 1)); }
pnpm exec oxlint . --quiet || { echo "lint failed"; checks=$((checks + 1)); }
pnpm exec oxfmt --check . >/dev/null || { pnpm exec oxfmt --list-different .; echo "format check failed: run pnpm format"; checks=$((checks + 1)); }
rm -f test-results.json
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=test-results.json
code=$?
node scripts/summarise-tests.mjs test-results.json "$code" "$checks"
