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
# Optional system tools that some tests use (each test skips with a message without its tool):
# installed only as root with apt-get, quietly, and never fatal. RESTGATE_SKIP_APT=1 skips them all.
optional_apt() { # <command that shows it is there> <Debian package> <what needs it>
  command -v "$1" >/dev/null 2>&1 && return 0
  [ "${RESTGATE_SKIP_APT:-}" = "1" ] || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1 && return 0
  if [ -z "${apt_updated:-}" ]; then apt-get update -qq >/dev/null 2>&1 || true; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null 2>&1 ||
    echo "setup: could not install $2 (optional; $3 will be skipped)"
}
optional_apt systemd-analyze systemd "the systemd unit checks"
optional_apt haproxy haproxy "the scale-out tests and bench W5"
[ "${RESTGATE_SKIP_CHROMIUM:-}" = "1" ] || optional_apt chromium chromium "the sandbox page's browser tests"
if [ -f pnpm-lock.yaml ]; then "${pnpm_cmd[@]}" install --frozen-lockfile --reporter=silent; else "${pnpm_cmd[@]}" install --reporter=silent; fi
if [ "${RESTGATE_SKIP_BUILD:-}" != "1" ]; then
  log=$(mktemp)
  "${pnpm_cmd[@]}" --silent build >"$log" 2>&1 || { cat "$log"; rm -f "$log"; exit 1; }
  rm -f "$log"
fi
