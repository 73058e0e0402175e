#!/usr/bin/env bash
# N restgate instances on this machine behind HAProxy, each its own ThingsBoard gateway device
# (own access token, own ingest port, own durable storage folder), with the sandbox standing in
# for ThingsBoard (N tokens) unless TB_HOST points at a real one. Ctrl+C stops everything.
#
#   scripts/scale-out.sh [N]            # default 2
#   curl -u user:password -H 'content-type: application/json' \
#        -d '{"sensorName":"SN-1","sensorType":"T","sensorModel":"M","temp":21,"hum":40}' \
#        http://127.0.0.1:5000/my_devices
#
# Settings (environment):          default
#   LB_PORT        HAProxy's port   5000
#   BASE_PORT      instance i's ingest port = BASE_PORT + i - 1          5001
#   MQTT_PORT      sandbox / ThingsBoard MQTT port                       1883
#   SANDBOX_HTTP_PORT  the sandbox's HTTP view                           8080
#   TB_HOST        a real ThingsBoard (no sandbox); then TOKENS is required
#   TOKENS         "tok1 tok2 ..." one gateway device token per instance gw-1 ... gw-N (sandbox)
#   STORAGE        sqlite | file | memory                                sqlite
#   REST_JSON      the connector config every instance runs              examples/quickstart/rest.json
#   CHECK_INTER    HAProxy health-check interval                         1s
#   HEALTH         tcp | readyz (option httpchk GET /readyz on ADMIN_BASE_PORT + i - 1)   tcp
#   REANNOUNCE_MS  thingsboard.reannounceAfterMs                         60000
#   WORK           folder for configs, storage and logs                  .scale-out
#   RESTGATE       the restgate command                                  node apps/gateway/bin/restgate.js
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-${N:-2}}
LB_PORT=${LB_PORT:-5000}
BASE_PORT=${BASE_PORT:-5001}
MQTT_PORT=${MQTT_PORT:-1883}
SANDBOX_HTTP_PORT=${SANDBOX_HTTP_PORT:-8080}
TB_HOST=${TB_HOST:-}
TOKENS=${TOKENS:-}
STORAGE=${STORAGE:-sqlite}
REST_JSON=${REST_JSON:-examples/quickstart/rest.json}
CHECK_INTER=${CHECK_INTER:-1s}
HEALTH=${HEALTH:-tcp}
ADMIN_BASE_PORT=${ADMIN_BASE_PORT:-9101}
REANNOUNCE_MS=${REANNOUNCE_MS:-60000}
WORK=${WORK:-.scale-out}
RESTGATE=${RESTGATE:-node apps/gateway/bin/restgate.js}

die() { echo "scale-out: $*" >&2; exit 2; }
[[ "$N" =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer, got '$N'"
command -v haproxy >/dev/null || die "haproxy not found (Debian: apt-get install haproxy; scripts/setup.sh installs it when run as root)"
[ -f "$REST_JSON" ] || die "REST_JSON $REST_JSON not found"
if [ -n "$TB_HOST" ]; then
  read -r -a tokens <<<"$TOKENS"
  [ "${#tokens[@]}" -ge "$N" ] || die "TB_HOST is set: TOKENS needs $N gateway device tokens (one per instance), got ${#tokens[@]}"
else
  tokens=()
  for i in $(seq 1 "$N"); do tokens+=("gw-$i"); done
fi

pids=()
stopping=0
cleanup() {
  [ "$stopping" = 1 ] && return
  stopping=1
  echo "scale-out: stopping ${#pids[@]} process(es)"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "scale-out: stopped; configs, storage and logs stay in $WORK/"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_port() { # host port what
  for _ in $(seq 1 150); do
    if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  die "$3 did not listen on $1:$2 within 30 s (see $WORK/)"
}

mkdir -p "$WORK"
if [ -z "$TB_HOST" ]; then
  token_args=()
  for t in "${tokens[@]}"; do token_args+=(--token "$t"); done
  $RESTGATE sandbox --port "$MQTT_PORT" --http-port "$SANDBOX_HTTP_PORT" "${token_args[@]}" >"$WORK/sandbox.log" 2>&1 &
  pids+=($!)
  wait_port 127.0.0.1 "$MQTT_PORT" sandbox
  echo "scale-out: sandbox (ThingsBoard stand-in, $N gateway tokens) on mqtt://127.0.0.1:$MQTT_PORT, view http://127.0.0.1:$SANDBOX_HTTP_PORT"
fi

servers=""
for i in $(seq 1 "$N"); do
  dir="$WORK/instance-$i"
  port=$((BASE_PORT + i - 1))
  mkdir -p "$dir/data"
  [ -d "$(dirname "$REST_JSON")/extensions" ] && cp -r "$(dirname "$REST_JSON")/extensions" "$dir/"
  # One config per instance: its own ingest port and storage folder; the token comes from TB_GW_ACCESS_TOKEN.
  node -e '
    const fs = require("fs")
    const [src, dir, port, host, mqtt, storage, reannounce] = process.argv.slice(1)
    const rest = JSON.parse(fs.readFileSync(src, "utf8"))
    if (rest.server) Object.assign(rest.server, { host: "127.0.0.1", port: String(port) })
    else Object.assign(rest, { host: "127.0.0.1", port: String(port) })
    fs.writeFileSync(dir + "/rest.json", JSON.stringify(rest, null, 2))
    const stores = {
      sqlite: { type: "sqlite", data_file_path: "./data/" },
      file: { type: "file", data_folder_path: "./data/" },
      memory: { type: "memory", max_records_count: 100000 },
    }
    if (!stores[storage]) { console.error("STORAGE must be sqlite, file or memory"); process.exit(2) }
    const gw = {
      thingsboard: { host, port: Number(mqtt), qos: 1, security: { type: "accessToken", accessToken: "from TB_GW_ACCESS_TOKEN" }, reannounceAfterMs: Number(reannounce) },
      storage: stores[storage],
      connectors: [{ type: "rest", name: "REST Connector", configuration: "rest.json" }],
    }
    fs.writeFileSync(dir + "/tb_gateway.json", JSON.stringify(gw, null, 2))
  ' "$REST_JSON" "$dir" "$port" "${TB_HOST:-127.0.0.1}" "$MQTT_PORT" "$STORAGE" "$REANNOUNCE_MS"
  TB_GW_ACCESS_TOKEN="${tokens[$((i - 1))]}" $RESTGATE --config "$dir/tb_gateway.json" >"$dir/restgate.log" 2>&1 &
  pids+=($!)
  check=""
  [ "$HEALTH" = readyz ] && check=" port $((ADMIN_BASE_PORT + i - 1))"
  servers+="    server rg$i 127.0.0.1:$port$check"$'\n'
done
for i in $(seq 1 "$N"); do wait_port 127.0.0.1 $((BASE_PORT + i - 1)) "restgate instance $i"; done

cfg="$WORK/haproxy.cfg"
awk -v bind="127.0.0.1:$LB_PORT" -v inter="$CHECK_INTER" -v servers="$servers" -v readyz="$HEALTH" '
  { gsub(/@BIND@/, bind); gsub(/@CHECK_INTER@/, inter) }
  /^ *# option httpchk/ && readyz == "readyz" { sub(/# /, "") }
  /^@SERVERS@$/ { printf "%s", servers; next }
  { print }' deploy/haproxy/haproxy.cfg.tmpl >"$cfg"
haproxy -c -q -f "$cfg" || die "haproxy rejected $cfg"
haproxy -db -f "$cfg" >"$WORK/haproxy.log" 2>&1 &
pids+=($!)
wait_port 127.0.0.1 "$LB_PORT" haproxy
echo "scale-out: $N restgate instance(s) on 127.0.0.1:$BASE_PORT..$((BASE_PORT + N - 1)) ($STORAGE storage in $WORK/instance-*/data)"
echo "scale-out: HAProxy on http://127.0.0.1:$LB_PORT (config $cfg); logs in $WORK/. Ctrl+C stops."
wait -n "${pids[@]}" || true
echo "scale-out: a process exited; see the logs in $WORK/" >&2
exit 1
