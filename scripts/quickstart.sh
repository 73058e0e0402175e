#!/usr/bin/env bash
# One command for a newcomer: installs restgate (scripts/setup.sh) and starts the gateway on the
# REST connector docs' example config (examples/quickstart/rest.json, verbatim) against the local
# ThingsBoard sandbox. Extra arguments go to restgate (e.g. --log-level debug).
set -euo pipefail
cd "$(dirname "$0")/.."
# the optional test tools (chromium, haproxy, systemd) are not needed to run restgate
RESTGATE_SKIP_APT=1 bash scripts/setup.sh
exec node apps/gateway/bin/restgate.js --config examples/quickstart/tb_gateway.json --sandbox "$@"
