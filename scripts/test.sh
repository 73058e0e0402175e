#!/usr/bin/env bash
# Installs everything (scripts/setup.sh) and runs every test of the workspace once with vitest.
# Ends with one plain line `N passed, N failed`; exits non-zero on any failure or when no test ran.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
rm -f test-results.json
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=test-results.json
code=$?
node scripts/summarise-tests.mjs test-results.json "$code"
