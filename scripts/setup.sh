#!/usr/bin/env bash
# Installs everything restgate needs on a machine that has only Node 20 and npm: pnpm (pinned),
# the workspace's packages (native ones built against the local Node headers), and the packages'
# dist builds that the CLI runs.
#
# pnpm: a pnpm of the pinned version on PATH is used as it is. If there is none, or another
# version, the pinned one is installed globally only on CI (CI=true) or when asked
# (RESTGATE_INSTALL_PNPM=1); otherwise the pinned version runs through `npm exec` and the
# developer's global pnpm is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
want=$(node -p "require('./package.json').packageManager.split('@')[1]")
have=$(pnpm --version 2>/dev/null || true)
pnpm_cmd=(pnpm)
if [ "$have" != "$want" ]; then
  if [ -z "$have" ] || [ "${CI:-}" = "true" ] || [ "${RESTGATE_INSTALL_PNPM:-}" = "1" ]; then
    echo "setup: installing pnpm@$want globally (had: ${have:-none})"
    npm i -g --silent "pnpm@$want"
  else
    echo "setup: pnpm $have on PATH, the project pins $want: running pnpm@$want through npm exec (RESTGATE_INSTALL_PNPM=1 installs it globally)"
    pnpm_cmd=(npm exec --yes "pnpm@$want" --)
  fi
fi
# node-gyp (better-sqlite3) must build against the installed Node headers when npm is set up so;
# pnpm does not read npm's global `nodedir`, so pass it on explicitly.
if [ -z "${npm_config_nodedir:-}" ]; then
  nd=$(npm config get nodedir 2>/dev/null || true)
  if [ -n "$nd" ] && [ "$nd" != "undefined" ] && [ "$nd" != "null" ]; then export npm_config_nodedir="$nd"; fi
fi
if [ -f pnpm-lock.yaml ]; then "${pnpm_cmd[@]}" install --frozen-lockfile --reporter=silent; else "${pnpm_cmd[@]}" install --reporter=silent; fi
if [ "${RESTGATE_SKIP_BUILD:-}" != "1" ]; then
  log=$(mktemp)
  "${pnpm_cmd[@]}" --silent build >"$log" 2>&1 || { cat "$log"; rm -f "$log"; exit 1; }
  rm -f "$log"
fi
