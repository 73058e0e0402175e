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
# Chromium for the sandbox page's browser tests (they skip without it): Debian's package, installed
# only as root where apt-get exists; quiet and never fatal (RESTGATE_SKIP_CHROMIUM=1 to skip).
if [ ! -x /usr/bin/chromium ] && [ "${RESTGATE_SKIP_CHROMIUM:-}" != "1" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
    || echo "setup: could not install chromium (the sandbox page's browser tests will be skipped)" >&2
fi
if [ -f pnpm-lock.yaml ]; then pnpm install --frozen-lockfile; else pnpm install; fi
if [ "${RESTGATE_SKIP_BUILD:-}" != "1" ]; then pnpm -s build >/dev/null || pnpm build; fi
