#!/usr/bin/env bash
# bench/curl_floor.sh — the libcurl floor for the proxy path (issue 2): bench/curl_floor.c,
# the leanest libcurl-multi proxy we could write in C, against our bench server's proxy path
# and nginx proxy_pass, measured as bench/bench.sh's compare mode measures the proxies.
#
#   bench/curl_floor.sh [compare]        alternated rounds: curl-floor, ours-proxy, nginx-proxy
#   bench/curl_floor.sh instructions [N] curl_floor under callgrind, as bench/instructions.sh:
#                                        instructions per request and a callgrind_annotate top 20
#
# compare: servers on CPU SERVER_CPU (0); wrk -t1 -c64 and the origin nginx (`return 200` of
# bench/payload.json at /fixed, 1 worker) on CPU CLIENT_CPU (1). nginx-proxy is configured as
# bench.sh writes it (1 worker, upstream keepalive NGINX_KEEPALIVE=64, HTTP/1.1,
# `proxy_set_header Connection ""`). Every target is first checked to return exactly the
# payload bytes. Per run: req/s, p50/p99 (wrk), and the server's user and system CPU
# microseconds per request from /proc/PID/stat utime/stime over the measured run (nginx: its
# worker; ours: the whole process). Then a table per target (medians) and per-round ratios to
# nginx-proxy with their median. Knobs: ROUNDS (5), DURATION (10), WARMUP (2), CONNS (64),
# PORT_BASE (18600: +1 floor, +2 ours, +3 nginx-proxy, +10 origin; instructions: +20, +21),
# floor2 (not in the default TARGETS): a second curl_floor with FLOOR2_ARGS (default
# "--timeouts --header-cb": what a real gateway adds), port +4. h2c (not in the default
# TARGETS): curl_floor --h2c, HTTP/2 with prior knowledge over one multiplexed connection to a
# second listener of the same origin nginx (`listen ... http2`, port +11), port +5; nginx
# proxy_pass cannot speak HTTP/2 to an upstream, so this prices the upstream protocol, not a
# gateway. Debian 12's libcurl 7.88.1 fails every h2c transfer after the first on a kept
# handle ("Error in the HTTP2 framing layer"; the errors line says so): run it with a newer
# libcurl through LD_LIBRARY_PATH (bench/README.md). The libcurl loaded is in meta.txt.
# SYSCALLS=1 (default): after the rounds, perf counts each server's system calls per request
# during one more 5 s wrk run.
# OURS_BIN (.build/release/crm-gateway-bench; built with `swift build -c release --product
# crm-gateway-bench` if missing, BUILD_OURS=0 skips ours instead), FLOOR_ARGS (extra
# curl_floor flags, e.g. --no-park), TARGETS (subset of "floor ours nginx"),
# ORIGIN_DELAY_MS and INSTR_CONNS (instructions mode: 3 ms and 16 connections, as
# bench/instructions.sh).
# Everything started here is stopped on exit (trap).
set -euo pipefail

MODE=${1:-compare}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNS=${CONNS:-64}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT_BASE=${PORT_BASE:-18600}
NGINX_KEEPALIVE=${NGINX_KEEPALIVE:-64}
NOFILE=${NOFILE:-30000}
OURS_BIN=${OURS_BIN:-$ROOT/.build/release/crm-gateway-bench}
BUILD_OURS=${BUILD_OURS:-1}
FLOOR_ARGS=${FLOOR_ARGS:-}
FLOOR2_ARGS=${FLOOR2_ARGS:---timeouts --header-cb}
TARGETS=${TARGETS:-floor ours nginx}
SYSCALLS=${SYSCALLS:-1}
ORIGIN_DELAY_MS=${ORIGIN_DELAY_MS:-3}
INSTR_CONNS=${INSTR_CONNS:-16}
N=${2:-20000}
PAYLOAD=$ROOT/bench/payload.json
RESULTS=${RESULTS:-$ROOT/bench/results/$(date +%Y%m%d-%H%M%S)-curl-floor-$MODE}
NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)

log() { printf '[floor %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[floor] ERROR: %s\n' "$*" >&2; exit 1; }
case $MODE in compare|instructions) ;; *) sed -n '2,26p' "$0"; exit 2 ;; esac

mkdir -p "$RESULTS/raw" "$RESULTS/logs"
TMP=$(mktemp -d /tmp/crm-floor.XXXXXX)
chmod 755 "$TMP"
PIDS=()
descendants() { local p=$1 c; echo "$p"; for c in $(pgrep -P "$p" 2>/dev/null || true); do descendants "$c"; done; }
stop_pid() {
    local pid=$1 all p i
    all=$(descendants "$pid" | tr '\n' ' ')
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    for p in $all; do kill -KILL "$p" 2>/dev/null || true; done
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
    rm -rf "$TMP"
    [[ $rc -eq 0 ]] || log "failed (exit $rc); logs in $RESULTS/logs"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- build curl_floor
cc -O2 -o "$TMP/curl_floor" "$ROOT/bench/curl_floor.c" -lcurl || die "curl_floor does not build"

start_server() {        # start_server NAME CPUS CMD... (CPUS empty: unpinned); sets PID_OF
    local name=$1 cpus=$2; shift 2
    local -a pin=()
    [[ -n $cpus ]] && pin=(taskset -c "$cpus")
    echo "+ ${pin[*]} $*" >"$RESULTS/logs/$name.log"
    bash -c 'ulimit -n "$0" 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"' "$NOFILE" "${pin[@]}" "$@" >>"$RESULTS/logs/$name.log" 2>&1 &
    PIDS+=($!)
    PID_OF[$name]=$!
    log "started $name (pid $!${cpus:+, cpu $cpus})"
}
declare -A PID_OF URL_OF

wait_ready() {          # wait_ready NAME URL: 200 within 20 s, body == payload
    local name=$1 url=$2 i
    for i in $(seq 1 100); do
        kill -0 "${PID_OF[$name]}" 2>/dev/null || { tail -n 20 "$RESULTS/logs/$name.log" >&2; die "$name exited"; }
        if curl -sf --max-time 2 -o "$TMP/body-$name" "$url" 2>/dev/null; then
            cmp -s "$TMP/body-$name" "$PAYLOAD" \
                || die "$name: body of $url differs from $PAYLOAD ($(wc -c <"$TMP/body-$name") vs $(wc -c <"$PAYLOAD") bytes)"
            curl -s -D "$RESULTS/logs/headers-$name.txt" -o /dev/null "$url" || true
            log "$name ready, body = payload: $url"
            return 0
        fi
        sleep 0.2
    done
    die "$name did not answer 200 on $url"
}

PAYLOAD_TEXT=$(cat "$PAYLOAD"; printf x); PAYLOAD_TEXT=${PAYLOAD_TEXT%x}
grep -q "[\$'\\\\]" "$PAYLOAD" && die "payload contains \$, ' or \\ which nginx's return would alter"

loaded_libcurl() {      # loaded_libcurl LOG...: the version curl_floor printed at start
    grep -ho 'libcurl/[^ ]*' "$@" 2>/dev/null | head -1 || true
}

nginx_conf() {          # nginx_conf NAME PORT fixed|proxy ORIGIN_PORT MASTER(on|off) [H2C_PORT]
    local name=$1 port=$2 kind=$3 oport=$4 master=$5 upstream="" location=""
    local listen="listen 127.0.0.1:$port backlog=4096;"
    # H2C_PORT: the same server also speaks cleartext HTTP/2 (prior knowledge) there.
    if [[ -n ${6:-} ]]; then listen="$listen listen 127.0.0.1:$6 http2 backlog=4096;"; fi
    if [[ $kind == fixed ]]; then
        location="location = /fixed { return 200 '$PAYLOAD_TEXT'; }"
    else
        upstream="upstream origin { server 127.0.0.1:$oport; keepalive $NGINX_KEEPALIVE; keepalive_requests 10000000; }"
        location="location /proxy/ { proxy_pass http://origin/; proxy_http_version 1.1; proxy_set_header Connection \"\"; }"
    fi
    cat >"$TMP/$name.conf" <<EOF
worker_processes 1;
daemon off;
master_process $master;
pid $TMP/$name.pid;
error_log $RESULTS/logs/$name-error.log warn;
worker_rlimit_nofile $NOFILE;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
    default_type application/json;
    client_body_temp_path $TMP/$name-cb; proxy_temp_path $TMP/$name-px; fastcgi_temp_path $TMP/$name-fc;
    uwsgi_temp_path $TMP/$name-uw; scgi_temp_path $TMP/$name-sc;
    $upstream
    server {
        $listen
        $location
    }
}
EOF
    cp "$TMP/$name.conf" "$RESULTS/logs/$name.conf"
    "$NGINX_BIN" -t -q -e "$RESULTS/logs/$name-error.log" -p "$TMP" -c "$TMP/$name.conf" || die "bad nginx config $name"
}

# ---------------------------------------------------------------- instructions mode
if [[ $MODE == instructions ]]; then
    command -v valgrind >/dev/null || die "valgrind not found (apt-get install -y valgrind)"
    OP=$((PORT_BASE + 20)) SP=$((PORT_BASE + 21))
    if [[ $ORIGIN_DELAY_MS != 0 ]]; then
        start_server origin "" python3 "$ROOT/bench/slow_origin.py" "$OP" "$ORIGIN_DELAY_MS" "$PAYLOAD"
    else
        nginx_conf origin "$OP" fixed 0 off
        start_server origin "" "$NGINX_BIN" -e "$RESULTS/logs/origin-error.log" -p "$TMP" -c "$TMP/origin.conf"
    fi
    URL_OF[origin]="http://127.0.0.1:$OP/fixed"
    wait_ready origin "${URL_OF[origin]}"
    # shellcheck disable=SC2086
    start_server floor "" valgrind --tool=callgrind --callgrind-out-file="$RESULTS/floor.cg" \
        "$TMP/curl_floor" --port "$SP" --upstream "http://127.0.0.1:$OP" $FLOOR_ARGS
    wait_ready floor "http://127.0.0.1:$SP/proxy/fixed"
    python3 "$ROOT/bench/ka_client.py" 127.0.0.1 "$SP" /proxy/fixed 2000 "$INSTR_CONNS" 2>/dev/null
    callgrind_control -z "${PID_OF[floor]}" >/dev/null 2>&1
    python3 "$ROOT/bench/ka_client.py" 127.0.0.1 "$SP" /proxy/fixed "$N" "$INSTR_CONNS"
    callgrind_control -d "${PID_OF[floor]}" >/dev/null 2>&1
    sleep 1
    dump=$(ls -t "$RESULTS"/floor.cg.* | head -1)
    callgrind_annotate --threshold=100 "$dump" >"$RESULTS/annotate.txt" 2>/dev/null
    callgrind_annotate --threshold=100 --inclusive=yes "$dump" >"$RESULTS/annotate-inclusive.txt" 2>/dev/null
    total=$(awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}' "$RESULTS/annotate.txt")
    echo
    printf 'curl_floor %s: %d instructions per request (%s requests over %s connections, origin delay %s ms, %s; %s)\n' \
        "${FLOOR_ARGS:-(all tricks)}" $((total / N)) "$N" "$INSTR_CONNS" "$ORIGIN_DELAY_MS" \
        "$(loaded_libcurl "$RESULTS/logs/floor.log")" "$dump"
    # Per object file (curl_floor vs libcurl vs libc vs ...), from the per-function table.
    python3 - "$RESULTS/annotate.txt" "$total" "$N" "$dump" <<'PY'
import re, sys
path, total, n, cg = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
by_obj, rows, seen = {}, [], False
for line in open(path, encoding="utf-8", errors="replace"):
    m = re.match(r"\s*([\d,]+)\s+(?:\([\s\d.%]+\)\s+)?(.+?):(.+?)\s*(?:\[(.+)\])?\s*$", line)
    if "file:function" in line: seen = True; continue
    if not seen or not m: continue
    ir = int(m.group(1).replace(",", ""))
    # A dump taken while the program runs charges the whole total to the frames still open
    # (main's callers): not self cost, skipped.
    if ir >= total: continue
    obj = m.group(4) or "?"
    obj = obj.rsplit("/", 1)[-1]
    by_obj[obj] = by_obj.get(obj, 0) + ir
    rows.append((ir, m.group(3).strip(), obj))
print(f"\nper object (self instructions per request; total {total // n}):")
for obj, ir in sorted(by_obj.items(), key=lambda kv: -kv[1]):
    if ir * 1000 >= total:
        print(f"  {ir // n:7d}  {100.0 * ir / total:5.1f}%  {obj}")
# libcurl's share: the inclusive cost of curl_floor's calls into libcurl (so with the libc
# that libcurl calls: malloc, sscanf, ...), read from the call records of the callgrind
# output, minus curl_floor's callbacks that libcurl calls back (write_cb, socket_cb, ...).
def short(o): return o.rsplit("/", 1)[-1]
ids = {"ob": {}, "fn": {}}
def nm(kind, v):
    m = re.match(r"\((\d+)\)(?:\s+(.*))?", v)
    if not m: return v
    if m.group(2) is not None: ids[kind][m.group(1)] = m.group(2)
    return ids[kind].get(m.group(1), "?")
ob = fn = cob = cfn = None; pending = False; into_curl = {}; callbacks = 0
for line in open(cg, encoding="utf-8", errors="replace"):
    if line.startswith("ob="): ob = short(nm("ob", line[3:].strip())); cob = None
    elif line.startswith("fn="): fn = nm("fn", line[3:].strip()); cob = None
    elif line.startswith("cob="): cob = short(nm("ob", line[4:].strip()))
    elif line.startswith("cfn="): cfn = nm("fn", line[4:].strip())
    elif line.startswith("calls="): pending = True
    elif pending and line[:1] in "0123456789+-*":
        pending = False
        cost = int(line.split()[1]); callee = cob or ob; cob = None
        if ob == "curl_floor" and callee.startswith("libcurl"): into_curl[cfn] = into_curl.get(cfn, 0) + cost
        elif ob.startswith("libcurl") and callee == "curl_floor": callbacks += cost
lib = sum(into_curl.values()) - callbacks
print(f"\nlibcurl as called by curl_floor (inclusive of the libc it calls, minus curl_floor's callbacks"
      f" {callbacks // n}): {lib // n} per request ({100.0 * lib / total:.1f}%):")
for f, c in sorted(into_curl.items(), key=lambda kv: -kv[1]):
    print(f"  {c // n:7d}  {f}" + ("  (callbacks included)" if f == "curl_multi_socket_action" else ""))
print("\ntop 20 functions (self instructions per request):")
for ir, fn, obj in sorted(rows, reverse=True)[:20]:
    print(f"  {ir // n:7d}  {100.0 * ir / total:5.1f}%  {fn}  [{obj}]")
PY
    exit 0
fi

# ---------------------------------------------------------------- compare mode
command -v wrk >/dev/null || die "wrk not found"
want() { [[ " $TARGETS " == *" $1 "* ]]; }
OP=$((PORT_BASE + 10))
H2C_PORT=""
if want h2c; then H2C_PORT=$((OP + 1)); fi
nginx_conf origin "$OP" fixed 0 on "$H2C_PORT"
start_server origin "$CLIENT_CPU" "$NGINX_BIN" -e "$RESULTS/logs/origin-error.log" -p "$TMP" -c "$TMP/origin.conf"
wait_ready origin "http://127.0.0.1:$OP/fixed"

ORDER=()
if want floor; then
    # shellcheck disable=SC2086
    start_server floor "$SERVER_CPU" "$TMP/curl_floor" --port $((PORT_BASE + 1)) --upstream "http://127.0.0.1:$OP" $FLOOR_ARGS
    URL_OF[floor]="http://127.0.0.1:$((PORT_BASE + 1))/proxy/fixed"; ORDER+=(floor)
fi
if want floor2; then
    # shellcheck disable=SC2086
    start_server floor2 "$SERVER_CPU" "$TMP/curl_floor" --port $((PORT_BASE + 4)) --upstream "http://127.0.0.1:$OP" $FLOOR2_ARGS
    URL_OF[floor2]="http://127.0.0.1:$((PORT_BASE + 4))/proxy/fixed"; ORDER+=(floor2)
fi
if want h2c; then
    start_server h2c "$SERVER_CPU" "$TMP/curl_floor" --port $((PORT_BASE + 5)) --upstream "http://127.0.0.1:$H2C_PORT" --h2c
    URL_OF[h2c]="http://127.0.0.1:$((PORT_BASE + 5))/proxy/fixed"; ORDER+=(h2c)
fi
if want ours; then
    if [[ ! -x $OURS_BIN && $BUILD_OURS == 1 ]]; then
        log "building crm-gateway-bench (release; minutes) into .build"
        swift build -c release --product crm-gateway-bench >"$RESULTS/logs/ours-build.log" 2>&1 \
            || { tail -n 30 "$RESULTS/logs/ours-build.log" >&2; die "swift build failed"; }
    fi
    [[ -x $OURS_BIN ]] || die "$OURS_BIN missing (BUILD_OURS=0, or drop ours from TARGETS)"
    start_server ours "$SERVER_CPU" "$OURS_BIN" --port $((PORT_BASE + 2)) --payload "$PAYLOAD" --loops 1 --upstream "http://127.0.0.1:$OP"
    URL_OF[ours]="http://127.0.0.1:$((PORT_BASE + 2))/proxy/fixed"; ORDER+=(ours)
fi
if want nginx; then
    nginx_conf nginx-proxy $((PORT_BASE + 3)) proxy "$OP" on
    start_server nginx "$SERVER_CPU" "$NGINX_BIN" -e "$RESULTS/logs/nginx-proxy-error.log" -p "$TMP" -c "$TMP/nginx-proxy.conf"
    URL_OF[nginx]="http://127.0.0.1:$((PORT_BASE + 3))/proxy/fixed"; ORDER+=(nginx)
fi
for t in "${ORDER[@]}"; do wait_ready "$t" "${URL_OF[$t]}"; done

cpu_pid() {             # the process whose CPU is charged: nginx's worker, else the server
    local pid=${PID_OF[$1]} w
    if [[ $1 == nginx ]]; then
        w=$(pgrep -P "$pid" | head -1); [[ -n $w ]] || die "nginx-proxy has no worker"; echo "$w"
    else echo "$pid"; fi
}
utime_stime() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12, $13}'; }
# TCP active opens and retransmitted segments machine-wide (/proc/net/snmp): upstream churn
# and loss-like stalls show up here (wrk opens CONNS connections per run itself).
tcp_counters() { awk '/^Tcp:/ { if (++n == 2) print $6, $13 }' /proc/net/snmp; }

RUNS="$RESULTS/runs.tsv"
printf 'target\tround\traw\tutime_ticks\tstime_ticks\tload_before\tload_after\ttcp_opens\ttcp_retrans\n' >"$RUNS"
{
    echo "date=$(date -Is)"; echo "host=$(uname -srm), $(nproc) cpus"
    echo "run=${DURATION}s after ${WARMUP}s warm-up, $ROUNDS rounds, order ${ORDER[*]}"
    echo "wrk=taskset -c $CLIENT_CPU wrk -t1 -c$CONNS --latency; servers on cpu $SERVER_CPU; origin nginx on cpu $CLIENT_CPU"
    # The libcurl the programs load (LD_LIBRARY_PATH may point at another one than curl-config's).
    echo "curl=$(loaded_libcurl "$RESULTS"/logs/floor*.log)" \
        "$(ldd "$TMP/curl_floor" | awk '/libcurl\.so/ {print $3}') (headers: $(curl-config --version))" \
        "floor_args=${FLOOR_ARGS:-none} floor2_args=$FLOOR2_ARGS"
    echo "nginx=$("$NGINX_BIN" -v 2>&1 | sed 's/.*: //') keepalive=$NGINX_KEEPALIVE"
    echo "ours=$OURS_BIN"
    echo "clk_tck=$(getconf CLK_TCK)"
} >"$RESULTS/meta.txt"
log "measuring ${ORDER[*]}: $ROUNDS rounds x ${DURATION}s (+${WARMUP}s warm-up)"
for r in $(seq 1 "$ROUNDS"); do
    for t in "${ORDER[@]}"; do
        pid=$(cpu_pid "$t"); raw="raw/r$r-$t.txt"
        taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"${WARMUP}s" "${URL_OF[$t]}" >/dev/null 2>&1 || die "$t: warm-up failed"
        l0=$(cut -d' ' -f1 /proc/loadavg)
        read -r u0 s0 < <(utime_stime "$pid")
        read -r o0 x0 < <(tcp_counters)
        taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "${URL_OF[$t]}" >"$RESULTS/$raw" 2>&1 \
            || { cat "$RESULTS/$raw" >&2; die "$t: wrk failed"; }
        read -r u1 s1 < <(utime_stime "$pid")
        read -r o1 x1 < <(tcp_counters)
        l1=$(cut -d' ' -f1 /proc/loadavg)
        kill -0 "$pid" 2>/dev/null || die "$t died during the run"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$r" "$raw" $((u1 - u0)) $((s1 - s0)) "$l0" "$l1" $((o1 - o0)) $((x1 - x0)) >>"$RUNS"
        log "round $r $(printf '%-6s' "$t") $(python3 "$ROOT/bench/summarize.py" line "$RESULTS/$raw"), server cpu $(( (u1 - u0 + s1 - s0) * 100 / ($(getconf CLK_TCK) * DURATION) ))%, $((o1 - o0)) tcp opens, $((x1 - x0)) retrans, load $l0 -> $l1"
    done
done

# System calls per request by kind, outside the measured runs (tracepoints cost a little):
# perf counts the server's syscalls for exactly as long as a 5 s wrk run lasts, and the
# counts are divided by that run's requests.
if [[ $SYSCALLS == 1 ]] && command -v perf >/dev/null; then
    for t in "${ORDER[@]}"; do
        pid=$(cpu_pid "$t")
        perf stat -x, -o "$RESULTS/raw/syscalls-$t.csv" -e 'syscalls:sys_enter_*' -p "$pid" -- \
            taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d5s --latency "${URL_OF[$t]}" >"$RESULTS/raw/syscalls-$t-wrk.txt" 2>&1 \
            || log "perf stat failed for $t (syscall counts skipped)"
        log "syscalls of $t counted"
    done
fi

ROOT_DIR=$ROOT DURATION=$DURATION python3 - "$RESULTS" "$(getconf CLK_TCK)" >"$RESULTS/summary.md" <<'PY'
import os, statistics, sys
d, hz = sys.argv[1], int(sys.argv[2])
sys.path.insert(0, os.path.join(os.environ["ROOT_DIR"], "bench"))
from summarize import parse_wrk
runs = {}
order = []
with open(os.path.join(d, "runs.tsv")) as f:
    hdr = f.readline().rstrip("\n").split("\t")
    for line in f:
        rec = dict(zip(hdr, line.rstrip("\n").split("\t")))
        w = parse_wrk(os.path.join(d, rec["raw"]))
        n = w["requests"] or 1
        rec.update(rps=w["rps"], p50=w["p50"], p99=w["p99"], errors=w["errors"] + w["non2xx"],
                   us_user=int(rec["utime_ticks"]) * 1e6 / hz / n, us_sys=int(rec["stime_ticks"]) * 1e6 / hz / n,
                   cpu_pct=(int(rec["utime_ticks"]) + int(rec["stime_ticks"])) * 100.0 / hz / float(os.environ["DURATION"]))
        if rec["target"] not in order: order.append(rec["target"])
        runs.setdefault(rec["target"], {})[int(rec["round"])] = rec
meta = open(os.path.join(d, "meta.txt")).read()
print("# libcurl floor vs ours vs nginx proxy_pass\n")
print("```\n" + meta.strip() + "\n```\n")
print("Per run (CPU us/request = server utime/stime over the measured run / wrk's requests):\n")
print("| round | target | req/s | p50 ms | p99 ms | CPU us/req user | sys | total | server CPU % | errors | tcp opens / retrans | load 1m before/after |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
for r in sorted({r for t in runs.values() for r in t}):
    for t in order:
        x = runs[t].get(r)
        if x: print(f"| {r} | {t} | {x['rps']:.0f} | {x['p50']:.3f} | {x['p99']:.3f} | {x['us_user']:.1f} | {x['us_sys']:.1f} | {x['us_user'] + x['us_sys']:.1f} | {x['cpu_pct']:.0f} | {x['errors']} | {x['tcp_opens']} / {x['tcp_retrans']} | {x['load_before']} / {x['load_after']} |")
med = statistics.median
print("\nMedians over rounds:\n")
print("| target | req/s | p50 ms | p99 ms | CPU us/req user | sys | total | req per server CPU-s |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for t in order:
    xs = list(runs[t].values())
    tot = med([x["us_user"] + x["us_sys"] for x in xs])
    print(f"| {t} | {med([x['rps'] for x in xs]):.0f} | {med([x['p50'] for x in xs]):.3f} | {med([x['p99'] for x in xs]):.3f} | "
          f"{med([x['us_user'] for x in xs]):.1f} | {med([x['us_sys'] for x in xs]):.1f} | {tot:.1f} | {1e6 / tot:.0f} |")
sc = {}
for t in order:
    p = os.path.join(d, "raw", f"syscalls-{t}.csv")
    w = os.path.join(d, "raw", f"syscalls-{t}-wrk.txt")
    if not os.path.exists(p) or not os.path.exists(w): continue
    try: nreq = parse_wrk(w)["requests"]
    except Exception: continue
    counts = {}
    for line in open(p):
        f = line.strip().split(",")
        if len(f) > 2 and f[0].isdigit() and f[2].startswith("syscalls:sys_enter_"):
            counts[f[2][len("syscalls:sys_enter_"):]] = int(f[0])
    if counts and nreq: sc[t] = {k: v / nreq for k, v in counts.items()}
if sc:
    kinds = sorted({k for c in sc.values() for k, v in c.items() if v >= 0.01}, key=lambda k: -max(c.get(k, 0) for c in sc.values()))
    print("\nSystem calls per request (perf stat on the server during one more 5 s wrk run after the rounds; / its requests):\n")
    print("| syscall | " + " | ".join(sc) + " |")
    print("|---|" + "---:|" * len(sc))
    for k in kinds: print(f"| {k} | " + " | ".join(f"{sc[t].get(k, 0):.2f}" for t in sc) + " |")
    print("| **total** | " + " | ".join(f"**{sum(sc[t].values()):.2f}**" for t in sc) + " |")
if "nginx" in runs:
    print("\nPer-round ratios to nginx-proxy (req/s ratio; CPU ratio = nginx us/req / target us/req, >1 = cheaper than nginx):\n")
    for t in order:
        if t == "nginx": continue
        rr, cr = [], []
        for r, x in sorted(runs[t].items()):
            n = runs["nginx"].get(r)
            if not n: continue
            rr.append(x["rps"] / n["rps"])
            cr.append((n["us_user"] + n["us_sys"]) / (x["us_user"] + x["us_sys"]))
        failed = sum(x["errors"] for x in runs[t].values()) + sum(x["errors"] for x in runs["nginx"].values())
        if failed:
            print(f"- **{t}/nginx not valid**: wrk saw {failed} socket errors or non-2xx answers (errors are fast)")
        if rr:
            print(f"- {t}/nginx req/s: " + ", ".join(f"{v:.2f}" for v in rr) + f"  median **{med(rr):.2f}x**")
            print(f"- {t}/nginx CPU efficiency: " + ", ".join(f"{v:.2f}" for v in cr) + f"  median **{med(cr):.2f}x**")
    # Rounds where the machine left CPU 0 to the servers: both saturated it (>= 95 %), so
    # neither number is bent by other work on the box or by an idle, unsaturated server.
    clean = [r for r in sorted(runs["nginx"]) if all(runs[t].get(r) and runs[t][r]["cpu_pct"] >= 95 for t in order)]
    print(f"\nRounds in which every server used >= 95 % of its CPU: {clean or 'none'}")
    for t in order:
        if t == "nginx" or not clean: continue
        rr = [runs[t][r]["rps"] / runs["nginx"][r]["rps"] for r in clean]
        cr = [(runs["nginx"][r]["us_user"] + runs["nginx"][r]["us_sys"]) / (runs[t][r]["us_user"] + runs[t][r]["us_sys"]) for r in clean]
        print(f"- {t}/nginx in those rounds: req/s " + ", ".join(f"{v:.2f}" for v in rr) + f" (median {med(rr):.2f}x); CPU efficiency "
              + ", ".join(f"{v:.2f}" for v in cr) + f" (median {med(cr):.2f}x)")
PY
echo
cat "$RESULTS/summary.md"
log "results in $RESULTS"
