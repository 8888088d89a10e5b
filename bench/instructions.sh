#!/usr/bin/env bash
# bench/instructions.sh — user-space instructions per request (callgrind), the noise-free
# measure behind bench/RESULTS.md: wall-clock numbers on this shared 2-core machine move by
# 20-40 % between runs, instruction counts by about 2 %.
#
#   bench/instructions.sh [proxy|fixed|cache|cache-log|all|nginx-proxy] [N]
#
#   proxy      crm-gateway-bench /proxy/fixed -> libcurl -> origin (bench.sh's ours-proxy); the
#              origin answers after ORIGIN_DELAY_MS (default 3; bench/slow_origin.py says why),
#              ORIGIN_DELAY_MS=0 uses an nginx origin (numbers before 2026-12-02 06:30 UTC did)
#   fixed      crm-gateway-bench /fixed
#   cache      crm-gateway serve --sandbox, GET /contacts/pipedrive:person:1 from the cache,
#              CRMGW_LOG_REQUESTS=false (as cache_bench.py)
#   cache-log  the same with the request log on (lines to a file)
#   nginx-proxy  for reference: nginx proxy_pass to the same origin (1 worker, keepalive 64)
#
# Needs valgrind (apt-get install -y valgrind), nginx, curl, python3. The binaries are the
# release builds (OURS_BIN, GW_BIN); valgrind cannot read Swift's DWARF 5, so a copy
# without debug info (symbols kept) is profiled. The server runs under callgrind; after a
# warm-up of 2,000 requests the counters are zeroed, N requests (default 20,000) go over 16
# keep-alive connections (bench/ka_client.py, one request in flight per connection), and
# the total is divided by N. `callgrind_annotate` on the kept output names the hot spots.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WHAT=${1:-all}
N=${2:-20000}
OURS_BIN=${OURS_BIN:-$ROOT/.build/release/crm-gateway-bench}
GW_BIN=${GW_BIN:-$ROOT/.build/release/crm-gateway}
OUT=${OUT:-$ROOT/bench/results/instructions-$(date +%Y%m%d-%H%M%S)}
PORT_ORIGIN=${PORT_ORIGIN:-18399} PORT_OURS=${PORT_OURS:-18398} PORT_GW=${PORT_GW:-18397}
ORIGIN_DELAY_MS=${ORIGIN_DELAY_MS:-3}
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/crm-instr.XXXXXX)
chmod 755 "$TMP"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT

for b in "$OURS_BIN" "$GW_BIN"; do strip --strip-debug -o "$TMP/$(basename "$b")" "$b"; done
wait_for() { for _ in $(seq 1 200); do curl -sf -o /dev/null "$1" && return 0; sleep 0.3; done; echo "no answer from $1" >&2; exit 1; }

origin() {
    if [[ $ORIGIN_DELAY_MS != 0 ]]; then
        python3 "$ROOT/bench/slow_origin.py" "$PORT_ORIGIN" "$ORIGIN_DELAY_MS" "$ROOT/bench/payload.json" & PIDS+=($!)
        wait_for "http://127.0.0.1:$PORT_ORIGIN/fixed"
        return
    fi
    local payload; payload=$(cat "$ROOT/bench/payload.json")
    cat >"$TMP/origin.conf" <<CONF
worker_processes 1; daemon off; master_process off; pid $TMP/origin.pid; error_log $TMP/origin.err warn;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 10000000; keepalive_timeout 300s; default_type application/json;
client_body_temp_path $TMP/cb; proxy_temp_path $TMP/px; fastcgi_temp_path $TMP/fc; uwsgi_temp_path $TMP/uw; scgi_temp_path $TMP/sc;
server { listen 127.0.0.1:$PORT_ORIGIN; location = /fixed { return 200 '$payload'; } } }
CONF
    nginx -p "$TMP" -c "$TMP/origin.conf" & PIDS+=($!)
    wait_for "http://127.0.0.1:$PORT_ORIGIN/fixed"
}

# measure NAME URL-PATH PORT CMD...: runs CMD under callgrind and prints instructions/request
measure() {
    local name=$1 path=$2 port=$3; shift 3
    valgrind --tool=callgrind --callgrind-out-file="$OUT/$name.cg" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" &
    local vg=$!
    PIDS+=("$vg")
    wait_for "http://127.0.0.1:$port$path"
    python3 "$ROOT/bench/ka_client.py" 127.0.0.1 "$port" "$path" 2000 16 2>/dev/null
    callgrind_control -z "$vg" >/dev/null 2>&1
    python3 "$ROOT/bench/ka_client.py" 127.0.0.1 "$port" "$path" "$N" 16
    callgrind_control -d "$vg" >/dev/null 2>&1
    sleep 1
    kill "$vg"; wait "$vg" 2>/dev/null || true
    local dump total
    dump=$(ls -t "$OUT/$name".cg.* | head -1)
    total=$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}')
    printf '%-10s %9d instructions per request  (%s requests; %s)\n' "$name" $((total / N)) "$N" "$dump"
}

# nginx proxy_pass to the same origin, as bench.sh's nginx-proxy (the reference the proxy
# path is held to): one worker, no master, upstream keepalive as large as our pool (64).
nginx_proxy_conf() {
    cat >"$TMP/nginx-proxy.conf" <<CONF
worker_processes 1; daemon off; master_process off; pid $TMP/nginx-proxy.pid; error_log $TMP/nginx-proxy.err warn;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 10000000; keepalive_timeout 300s; default_type application/json;
client_body_temp_path $TMP/cb; proxy_temp_path $TMP/px; fastcgi_temp_path $TMP/fc; uwsgi_temp_path $TMP/uw; scgi_temp_path $TMP/sc;
upstream origin { server 127.0.0.1:$PORT_ORIGIN; keepalive 64; keepalive_requests 10000000; }
server { listen 127.0.0.1:$PORT_OURS; location /proxy/ { proxy_pass http://origin/; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
CONF
}

bench_args=(--port "$PORT_OURS" --payload "$ROOT/bench/payload.json" --upstream "http://127.0.0.1:$PORT_ORIGIN")
case $WHAT in
    proxy|fixed|nginx-proxy|all) origin ;;
esac
if [[ $WHAT == nginx-proxy ]]; then nginx_proxy_conf; measure nginx-proxy /proxy/fixed "$PORT_OURS" "$(command -v nginx)" -p "$TMP" -c "$TMP/nginx-proxy.conf"; fi
if [[ $WHAT == proxy || $WHAT == all ]]; then measure proxy /proxy/fixed "$PORT_OURS" "$TMP/crm-gateway-bench" "${bench_args[@]}"; fi
if [[ $WHAT == fixed || $WHAT == all ]]; then measure fixed /fixed "$PORT_OURS" "$TMP/crm-gateway-bench" "${bench_args[@]}"; fi
if [[ $WHAT == cache || $WHAT == all ]]; then
    CRMGW_LOG_REQUESTS=false measure cache /contacts/pipedrive:person:1 "$PORT_GW" "$TMP/crm-gateway" serve --sandbox --port "$PORT_GW" --loops 1
fi
if [[ $WHAT == cache-log || $WHAT == all ]]; then
    CRMGW_LOG_REQUESTS=true measure cache-log /contacts/pipedrive:person:1 "$PORT_GW" "$TMP/crm-gateway" serve --sandbox --port "$PORT_GW" --loops 1
fi
