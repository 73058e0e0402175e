#!/usr/bin/env bash
# Installs everything restgate needs on a machine that has only Node 20 and npm:
# pnpm (pinned), the workspace's packages (native ones built against the local Node headers),
# and the packages' dist builds that the CLI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
want=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm -v 2>/dev/null)" != "$want" ]; then
  npm i -g "pnpm@$want" >/dev/null 2>&1 || npm i -g "pnpm@$want"
fi
# node-gyp (better-sqlite3) must build against the installed Node headers when npm is set up so;
# pnpm does not read npm's global `nodedir`, so pass it on explicitly.
if [ -z "${npm_config_nodedir:-}" ]; then
  nd=$(npm config get nodedir 2>/dev/null || true)
  if [ -n "$nd" ] && [ "$nd" != "undefined" ] && [ "$nd" != "null" ]; then export npm_config_nodedir="$nd"; fi
fi
# HAProxy (Debian's package) for the scale-out tests and bench W5: installed when missing, only as
# root with apt-get, quietly; never fatal (those tests skip with a message without it).
if ! command -v haproxy >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy) >/dev/null 2>&1 ||
    echo "setup: haproxy could not be installed (optional: the scale-out tests and bench W5 skip without it)" >&2
fi
if [ -f pnpm-lock.yaml ]; then pnpm install --frozen-lockfile; else pnpm install; fi
if [ "${RESTGATE_SKIP_BUILD:-}" != "1" ]; then pnpm -s build >/dev/null || pnpm build; fi
