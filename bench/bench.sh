#!/usr/bin/env bash
# bench/bench.sh — HTTP benchmarks for crm-gateway against nginx and Hummingbird.
#
#   bench/bench.sh            # = compare: fixed 1 KB JSON + proxy path, pinned
#   bench/bench.sh compare
#   bench/bench.sh cores      # ours --loops 1 vs 2, nginx 1 vs 2 workers, unpinned
#   bench/bench.sh idle [N]   # N idle keep-alive connections: RSS per server
#
# See bench/README.md for what is pinned where and every knob (env variables).
# Everything started here is stopped on exit (trap), whatever the outcome.

set -euo pipefail

MODE=${1:-compare}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# ---------------------------------------------------------------- knobs
OURS_BIN=${OURS_BIN:-.build/release/crm-gateway-bench}
OURS_ARGS=${OURS_ARGS:-}                 # extra args for our server
HB_BIN=${HB_BIN:-.build-hb/release/HBBench}
HB_ARGS=${HB_ARGS:-}                     # extra args, e.g. --nio-executor
HB_BUILD=${HB_BUILD:-1}                  # build the Hummingbird app if missing
NGINX_BIN=${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}
WRK_BIN=${WRK_BIN:-$(command -v wrk || echo wrk)}
PAYLOAD=${PAYLOAD:-$ROOT/bench/payload.json}
DURATION=${DURATION:-10}                 # seconds per measured run
WARMUP=${WARMUP:-2}                      # seconds of warm-up before each run
ROUNDS=${ROUNDS:-3}                      # alternating rounds; median is reported
CONNS=${CONNS:-64}
WRK_THREADS=${WRK_THREADS:-1}
SERVER_CPU=${SERVER_CPU:-0}              # compare mode: servers under test
CLIENT_CPU=${CLIENT_CPU:-1}              # compare mode: wrk and the origin nginx
PORT_BASE=${PORT_BASE:-18000}
TARGETS=${TARGETS:-}                     # space-separated subset of targets
NOFILE=${NOFILE:-30000}                  # ulimit -n for every server started here
# Idle upstream connections nginx-proxy keeps. As many as our bench server's curl pool
# (crm-gateway-bench --upstream-connections, default 64) and as wrk's connections: with
# fewer (this was 32 until 2026-12-02), nginx closes the surplus after each burst and opens
# new ones, ~1 upstream connect per 5 requests at -c64, halving its req/s.
NGINX_KEEPALIVE=${NGINX_KEEPALIVE:-64}
# PROXY_TLS=1: the origin speaks TLS (a certificate made for the run; HTTP/2 and HTTP/1.1 by
# ALPN on one port), as real upstreams do. nginx-proxy verifies it and reuses sessions
# (proxy_ssl_*; HTTP/1.1, all nginx proxy_pass speaks); ours verifies it (--ca) and takes
# HTTP/2 when offered, as the transport does for every https upstream.
PROXY_TLS=${PROXY_TLS:-0}
IDLE_N=${IDLE_N:-${2:-10000}}            # idle mode: connections
IDLE_HOLD=${IDLE_HOLD:-10}               # idle mode: seconds to hold them
START_TIMEOUT=${START_TIMEOUT:-20}
ALLOW_BODY_MISMATCH=${ALLOW_BODY_MISMATCH:-0}
STAMP=$(date +%Y%m%d-%H%M%S)
RESULTS=${RESULTS:-$ROOT/bench/results/$STAMP-$MODE}

case $MODE in
    compare|cores|idle) ;;
    -h|--help|help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "usage: $0 [compare|cores|idle [N]]" >&2; exit 2 ;;
esac

# ---------------------------------------------------------------- helpers
log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }

mkdir -p "$RESULTS/raw" "$RESULTS/logs"
TMP=$(mktemp -d /tmp/crm-bench.XXXXXX)
chmod 755 "$TMP"        # nginx workers run as nobody and must reach their temp dirs

PIDS=()                 # every process started here (its descendants are found at exit)

descendants() {         # pid and all its descendants, one per line
    local p=$1 c
    echo "$p"
    for c in $(pgrep -P "$p" 2>/dev/null || true); do descendants "$c"; done
}

stop_pid() {            # stop one started process and its descendants
    local pid=$1 all p i
    all=$(descendants "$pid" | tr '\n' ' ')
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 30); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    for p in $all; do kill -KILL "$p" 2>/dev/null || true; done
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
    rm -rf "$TMP"
    if [[ $rc -ne 0 ]]; then log "failed (exit $rc); logs in $RESULTS/logs"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_answers() {        # anything speaking HTTP (or at least accepting) on the port?
    local rc=0
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/" 2>/dev/null || rc=$?
    [[ $rc -ne 7 && $rc -ne 28 ]]
}

cpu_ticks() {           # utime+stime (clock ticks) of a process and its descendants
    local total=0 p t
    for p in $(descendants "$1"); do
        t=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
        total=$((total + ${t:-0}))
    done
    echo "$total"
}

rss_kb() {              # VmRSS (kB) of a process and its descendants
    local total=0 p r
    for p in $(descendants "$1"); do
        r=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null) || r=0
        total=$((total + ${r:-0}))
    done
    echo "$total"
}

declare -A PID_OF PORT_OF

# start_server NAME PORT CPUS CMD... — CPUS empty means unpinned
start_server() {
    local name=$1 port=$2 cpus=$3; shift 3
    port_answers "$port" && die "port $port (for $name) is already in use; stop whatever listens there or set PORT_BASE"
    local logf="$RESULTS/logs/$name.log"
    local -a pin=()
    if [[ -n $cpus ]]; then pin=(taskset -c "$cpus"); fi
    echo "+ ${pin[*]} $*" >"$logf"
    # bash raises the fd limit, then execs (taskset execs too): $! is the server itself.
    bash -c 'ulimit -n "$0" 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"' "$NOFILE" "${pin[@]}" "$@" >>"$logf" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    PID_OF[$name]=$pid
    PORT_OF[$name]=$port
    log "started $name (pid $pid, port $port${cpus:+, cpu $cpus})"
}

# wait_ready NAME PATH [expected-body-file]
wait_ready() {
    local name=$1 path=$2 expect=${3:-} pid=${PID_OF[$1]} port=${PORT_OF[$1]}
    local url="http://127.0.0.1:$port$path" body="$TMP/body-$name" deadline=$((SECONDS + START_TIMEOUT))
    local -a tls=()
    if [[ $name == origin && $ORIGIN_SCHEME == https ]]; then url="https://127.0.0.1:$port$path"; tls=(--cacert "$TMP/origin.crt"); fi
    while :; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "----- $RESULTS/logs/$name.log" >&2; tail -n 30 "$RESULTS/logs/$name.log" >&2 || true
            if [[ -f $RESULTS/logs/$name-error.log ]]; then tail -n 20 "$RESULTS/logs/$name-error.log" >&2; fi
            die "$name exited during startup (see above)"
        fi
        if curl -sf --max-time 2 "${tls[@]}" -o "$body" "$url" 2>/dev/null; then break; fi
        if (( SECONDS >= deadline )); then
            echo "----- $RESULTS/logs/$name.log" >&2; tail -n 30 "$RESULTS/logs/$name.log" >&2 || true
            die "$name did not answer 200 on $url within ${START_TIMEOUT}s"
        fi
        sleep 0.2
    done
    curl -s "${tls[@]}" -D "$RESULTS/logs/headers-$name.txt" -o /dev/null "$url" || true
    if [[ -n $expect ]] && ! cmp -s "$body" "$expect"; then
        if [[ $ALLOW_BODY_MISMATCH == 1 ]]; then
            log "WARNING: $name: body of $url differs from $expect"
        else
            die "$name: body of $url differs from $expect ($(wc -c <"$body") vs $(wc -c <"$expect") bytes); ALLOW_BODY_MISMATCH=1 to go on"
        fi
    fi
    log "$name ready: $url"
}

# ---------------------------------------------------------------- payload
[[ -f $PAYLOAD ]] || die "payload $PAYLOAD not found"
PAYLOAD_TEXT=$(cat "$PAYLOAD"; printf x); PAYLOAD_TEXT=${PAYLOAD_TEXT%x}   # keep exact bytes
# nginx's `return 200 '...'` interprets $variables and backslash escapes: refuse them.
if grep -q "[\$'\\\\]" "$PAYLOAD"; then
    die "payload contains \$, ' or \\ which nginx's return directive would alter"
fi

# ---------------------------------------------------------------- nginx
# nginx_start NAME PORT WORKERS CPUS KIND [WORKER_CONNECTIONS]
#   KIND: fixed  -> /fixed returns the payload
#         proxy  -> /proxy/X is proxy_pass'ed to the origin's /X (keepalive $NGINX_KEEPALIVE)
nginx_start() {
    local name=$1 port=$2 workers=$3 cpus=$4 kind=$5 wc=${6:-4096}
    local conf="$TMP/$name.conf" upstream="" location="" listen_extra="" ssl_lines=""
    if [[ $name == origin ]]; then listen_extra=$ORIGIN_LISTEN; ssl_lines=$ORIGIN_SSL; fi
    case $kind in
        fixed)
            location="location = /fixed { return 200 '$PAYLOAD_TEXT'; }" ;;
        proxy)
            upstream="upstream origin { server 127.0.0.1:$ORIGIN_PORT; keepalive $NGINX_KEEPALIVE; keepalive_requests 10000000; }"
            location="location /proxy/ {
            proxy_pass $ORIGIN_SCHEME://origin/;$PROXY_SSL
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
        }" ;;
        *) die "nginx_start: bad kind $kind" ;;
    esac
    cat >"$conf" <<EOF
# generated by bench/bench.sh ($name)
worker_processes $workers;
daemon off;
master_process on;
pid $TMP/$name.pid;
error_log $RESULTS/logs/$name-error.log warn;
worker_rlimit_nofile $NOFILE;
events {
    worker_connections $wc;
}
http {
    access_log off;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
    default_type application/json;
    client_body_temp_path $TMP/$name-client_body;
    proxy_temp_path $TMP/$name-proxy;
    fastcgi_temp_path $TMP/$name-fastcgi;
    uwsgi_temp_path $TMP/$name-uwsgi;
    scgi_temp_path $TMP/$name-scgi;
    $upstream
    server {
        listen 127.0.0.1:$port$listen_extra backlog=4096;
        $ssl_lines
        location = /healthz { default_type text/plain; return 200 'ok\n'; }
        $location
    }
}
EOF
    cp "$conf" "$RESULTS/logs/$name.conf"
    "$NGINX_BIN" -t -q -e "$RESULTS/logs/$name-error.log" -p "$TMP" -c "$conf" \
        || die "nginx config for $name is invalid (see $RESULTS/logs/$name.conf)"
    start_server "$name" "$port" "$cpus" "$NGINX_BIN" -e "$RESULTS/logs/$name-error.log" -p "$TMP" -c "$conf"
}

# ---------------------------------------------------------------- our server & HB
OURS_OK=0
if [[ -x $OURS_BIN ]]; then OURS_OK=1; else
    log "our bench server $OURS_BIN not found: its targets are skipped (build it, or set OURS_BIN)"
fi

ours_start() {          # ours_start NAME PORT LOOPS CPUS [--upstream URL]
    local name=$1 port=$2 loops=$3 cpus=$4; shift 4
    # shellcheck disable=SC2086
    start_server "$name" "$port" "$cpus" "$OURS_BIN" --port "$port" --payload "$PAYLOAD" --loops "$loops" "$@" $OURS_ARGS
}

ensure_hb() {
    if [[ -x $HB_BIN ]]; then return 0; fi
    [[ $HB_BUILD == 1 ]] || die "Hummingbird app $HB_BIN not built (HB_BUILD=0)"
    log "building the Hummingbird app (several minutes, once; log: $RESULTS/logs/hb-build.log)"
    swift build -c release --package-path bench/hb-bench --scratch-path .build-hb \
        >"$RESULTS/logs/hb-build.log" 2>&1 || { tail -n 30 "$RESULTS/logs/hb-build.log" >&2; die "Hummingbird build failed"; }
    [[ -x $HB_BIN ]] || die "Hummingbird build finished but $HB_BIN is missing"
}

hb_start() {            # hb_start NAME PORT THREADS CPUS
    local name=$1 port=$2 threads=$3 cpus=$4
    # shellcheck disable=SC2086
    start_server "$name" "$port" "$cpus" "$HB_BIN" --port "$port" --threads "$threads" --payload "$PAYLOAD" $HB_ARGS
}

# ---------------------------------------------------------------- targets
# TARGET_* describe each target: URL, the process whose CPU is charged to it,
# an optional extra process (the origin), its group and pinning.
declare -A T_URL T_PROC T_EXTRA T_GROUP T_DESC
ORDER=()
GROUPS_SPEC=""          # "group:baseline group:baseline"
SKIPPED=()

want() {                # is target $1 selected by TARGETS?
    [[ -z $TARGETS ]] && return 0
    [[ " $TARGETS " == *" $1 "* ]]
}

add_target() {          # add_target NAME GROUP PROC URL DESC [EXTRA_PROC]
    T_GROUP[$1]=$2; T_PROC[$1]=$3; T_URL[$1]=$4; T_DESC[$1]=$5; T_EXTRA[$1]=${6:-}
    ORDER+=("$1")
}

P_OURS=$((PORT_BASE + 1)); P_NGINX=$((PORT_BASE + 2)); P_HB=$((PORT_BASE + 3))
P_NGINX_PROXY=$((PORT_BASE + 4)); ORIGIN_PORT=$((PORT_BASE + 10))
ORIGIN_SCHEME=http ORIGIN_LISTEN="" ORIGIN_SSL="" PROXY_SSL=""

origin_tls() {          # PROXY_TLS=1: a certificate for 127.0.0.1/localhost, TLS on the origin
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -keyout "$TMP/origin.key" -out "$TMP/origin.crt" -subj /CN=localhost \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >"$RESULTS/logs/origin-cert.log" 2>&1 \
        || die "openssl could not make the origin's certificate (see $RESULTS/logs/origin-cert.log)"
    ORIGIN_SCHEME=https
    ORIGIN_LISTEN=" ssl http2"
    ORIGIN_SSL="ssl_certificate $TMP/origin.crt; ssl_certificate_key $TMP/origin.key;"
    PROXY_SSL="
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate $TMP/origin.crt;
            proxy_ssl_name localhost;
            proxy_ssl_session_reuse on;"
}

CLIENT_PIN=()
WRK_DESC="wrk -t$WRK_THREADS -c$CONNS --latency"

setup_compare() {
    CLIENT_PIN=(taskset -c "$CLIENT_CPU")
    WRK_DESC="taskset -c $CLIENT_CPU $WRK_DESC"
    GROUPS_SPEC="fixed:nginx-fixed proxy:nginx-proxy"
    local need_ours=0 need_origin=0
    if want ours-fixed || want ours-proxy; then
        if [[ $OURS_OK == 1 ]]; then need_ours=1; else
            if want ours-fixed; then SKIPPED+=("ours-fixed: $OURS_BIN not found"); fi
            if want ours-proxy; then SKIPPED+=("ours-proxy: $OURS_BIN not found"); fi
        fi
    fi
    if want nginx-proxy || { want ours-proxy && [[ $need_ours == 1 ]]; }; then need_origin=1; fi

    if [[ $need_origin == 1 ]]; then
        if [[ $PROXY_TLS == 1 ]]; then origin_tls; fi
        # The origin shares CPU $CLIENT_CPU with wrk, identically for both proxies.
        nginx_start origin "$ORIGIN_PORT" 1 "$CLIENT_CPU" fixed
        wait_ready origin /fixed "$PAYLOAD"
    fi
    if [[ $need_ours == 1 ]]; then
        local -a upstream=(--upstream "$ORIGIN_SCHEME://127.0.0.1:$ORIGIN_PORT")
        if [[ $ORIGIN_SCHEME == https ]]; then upstream+=(--ca "$TMP/origin.crt"); fi
        ours_start ours "$P_OURS" 1 "$SERVER_CPU" "${upstream[@]}"
        if want ours-fixed; then
            wait_ready ours /fixed "$PAYLOAD"
            add_target ours-fixed fixed ours "http://127.0.0.1:$P_OURS/fixed" "crm-gateway --loops 1, cpu $SERVER_CPU"
        fi
    fi
    if want nginx-fixed; then
        nginx_start nginx "$P_NGINX" 1 "$SERVER_CPU" fixed
        wait_ready nginx /fixed "$PAYLOAD"
        add_target nginx-fixed fixed nginx "http://127.0.0.1:$P_NGINX/fixed" "nginx return 200, 1 worker, cpu $SERVER_CPU"
    fi
    if want hb-fixed; then
        ensure_hb
        hb_start hb "$P_HB" 1 "$SERVER_CPU"
        wait_ready hb /fixed "$PAYLOAD"
        add_target hb-fixed fixed hb "http://127.0.0.1:$P_HB/fixed" "Hummingbird 2, 1 NIO thread, cpu $SERVER_CPU"
    fi
    if [[ $need_ours == 1 ]] && want ours-proxy; then
        wait_ready ours /proxy/fixed "$PAYLOAD"
        add_target ours-proxy proxy ours "http://127.0.0.1:$P_OURS/proxy/fixed" "crm-gateway -> libcurl -> $ORIGIN_SCHEME origin, cpu $SERVER_CPU" origin
    fi
    if want nginx-proxy; then
        nginx_start nginx-proxy "$P_NGINX_PROXY" 1 "$SERVER_CPU" proxy
        wait_ready nginx-proxy /proxy/fixed "$PAYLOAD"
        add_target nginx-proxy proxy nginx-proxy "http://127.0.0.1:$P_NGINX_PROXY/proxy/fixed" "nginx proxy_pass (keepalive $NGINX_KEEPALIVE) -> $ORIGIN_SCHEME origin, cpu $SERVER_CPU" origin
    fi
}

setup_cores() {
    CLIENT_PIN=()
    GROUPS_SPEC="ours:ours-l1 nginx:nginx-w1"
    local p=$((PORT_BASE + 100))
    if [[ $OURS_OK == 1 ]]; then
        if want ours-l1; then
            ours_start ours-l1 $((p + 1)) 1 ""
            wait_ready ours-l1 /fixed "$PAYLOAD"
            add_target ours-l1 ours ours-l1 "http://127.0.0.1:$((p + 1))/fixed" "crm-gateway --loops 1, unpinned"
        fi
        if want ours-l2; then
            ours_start ours-l2 $((p + 2)) 2 ""
            wait_ready ours-l2 /fixed "$PAYLOAD"
            add_target ours-l2 ours ours-l2 "http://127.0.0.1:$((p + 2))/fixed" "crm-gateway --loops 2 (SO_REUSEPORT), unpinned"
        fi
    else
        if want ours-l1; then SKIPPED+=("ours-l1: $OURS_BIN not found"); fi
        if want ours-l2; then SKIPPED+=("ours-l2: $OURS_BIN not found"); fi
    fi
    if want nginx-w1; then
        nginx_start nginx-w1 $((p + 3)) 1 "" fixed
        wait_ready nginx-w1 /fixed "$PAYLOAD"
        add_target nginx-w1 nginx nginx-w1 "http://127.0.0.1:$((p + 3))/fixed" "nginx 1 worker, unpinned"
    fi
    if want nginx-w2; then
        nginx_start nginx-w2 $((p + 4)) 2 "" fixed
        wait_ready nginx-w2 /fixed "$PAYLOAD"
        add_target nginx-w2 nginx nginx-w2 "http://127.0.0.1:$((p + 4))/fixed" "nginx 2 workers, unpinned"
    fi
}

# ---------------------------------------------------------------- measuring
RUNS="$RESULTS/runs.tsv"

tcp_active_opens() { awk '/^Tcp:/ { if (++n == 2) print $6 }' /proc/net/snmp; }

measure() {             # measure TARGET ROUND
    local t=$1 r=$2 url=${T_URL[$1]} pid=${PID_OF[${T_PROC[$1]}]} extra=${T_EXTRA[$1]}
    local raw="$RESULTS/raw/r$r-$t.txt" tf="$TMP/time-$t-$r" epid="" e0=0 e1=0
    if [[ -n $extra ]]; then epid=${PID_OF[$extra]}; fi
    kill -0 "$pid" 2>/dev/null || die "$t: server process $pid is gone (see $RESULTS/logs)"
    "${CLIENT_PIN[@]}" "$WRK_BIN" -t"$WRK_THREADS" -c"$CONNS" -d"${WARMUP}s" "$url" >/dev/null 2>&1 \
        || die "$t: warm-up wrk failed"
    local s0 s1 c0 c1
    c0=$(tcp_active_opens)
    s0=$(cpu_ticks "$pid"); if [[ -n $epid ]]; then e0=$(cpu_ticks "$epid"); fi
    local TIMEFORMAT='%R %U %S'
    { time "${CLIENT_PIN[@]}" "$WRK_BIN" -t"$WRK_THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$url" >"$raw" 2>&1 ; } 2>"$tf" \
        || { cat "$raw" >&2; die "$t: wrk failed"; }
    s1=$(cpu_ticks "$pid"); if [[ -n $epid ]]; then e1=$(cpu_ticks "$epid"); fi
    c1=$(tcp_active_opens)
    # TCP connections opened machine-wide during the run: wrk's own (CONNS) plus, on the
    # proxy paths, the upstream ones a proxy had to open (0 once its pool holds them all).
    printf '%s\t%s\t%s\n' "$t" "$r" $((c1 - c0)) >>"$RESULTS/connects.tsv"
    kill -0 "$pid" 2>/dev/null || die "$t: server process died during the run (see $RESULTS/logs)"
    local rss; rss=$(rss_kb "$pid")
    read -r wreal wuser wsys <"$tf"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "${T_GROUP[$t]}" "$r" "raw/r$r-$t.txt" \
        $((s1 - s0)) $((e1 - e0)) "$wreal" "$wuser" "$wsys" "$rss" >>"$RUNS"
    log "round $r/$ROUNDS $(printf '%-12s' "$t") $(python3 "$ROOT/bench/summarize.py" line "$raw"), $((c1 - c0)) tcp connects"
}

write_meta() {
    {
        echo "mode=$MODE"
        echo "date=$(date -Is)"
        echo "host=$(uname -srm), $(nproc) cpus"
        echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
        echo "run=${DURATION}s measured after ${WARMUP}s warm-up, $ROUNDS alternating round(s)"
        echo "wrk=$WRK_DESC"
        echo "pinning=$( [[ $MODE == compare ]] && echo "servers on cpu $SERVER_CPU; wrk and origin nginx on cpu $CLIENT_CPU" || echo "none (servers and wrk share all cpus)")"
        echo "nginx=$("$NGINX_BIN" -v 2>&1 | sed 's/.*: //')"
        echo "wrk_version=$("$WRK_BIN" -v 2>&1 | head -1 | awk '{print $2}')"
        echo "ours=$OURS_BIN $( [[ $OURS_OK == 1 ]] && echo present || echo missing)"
        echo "hb=$HB_BIN $HB_ARGS"
        echo "payload=$PAYLOAD $(wc -c <"$PAYLOAD") bytes"
        echo "groups=$GROUPS_SPEC"
        echo "clk_tck=$(getconf CLK_TCK)"
        for s in "${SKIPPED[@]}"; do echo "skipped=$s"; done
        for t in "${ORDER[@]}"; do echo "target=$t|${T_DESC[$t]}|${T_URL[$t]}"; done
    } >"$RESULTS/meta.txt"
}

run_benchmarks() {
    command -v "$WRK_BIN" >/dev/null || die "wrk not found (apt-get install -y wrk)"
    [[ ${#ORDER[@]} -gt 0 ]] || die "no target to measure (TARGETS='$TARGETS')"
    write_meta
    printf 'target\tgroup\tround\traw\tserver_ticks\textra_ticks\twrk_real\twrk_user\twrk_sys\tserver_rss_kb\n' >"$RUNS"
    local est=$(( ROUNDS * ${#ORDER[@]} * (DURATION + WARMUP) ))
    log "measuring ${ORDER[*]}: $ROUNDS round(s) x ${DURATION}s (+${WARMUP}s warm-up), about ${est}s"
    local r t
    for r in $(seq 1 "$ROUNDS"); do
        for t in "${ORDER[@]}"; do measure "$t" "$r"; done
    done
    echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS/meta.txt"
    python3 "$ROOT/bench/summarize.py" summary "$RESULTS" >"$RESULTS/summary.md"
    echo
    cat "$RESULTS/summary.md"
    echo
    log "raw wrk outputs, logs and summary.md in $RESULTS"
}

# ---------------------------------------------------------------- idle mode
run_idle() {
    local p=$((PORT_BASE + 200)) out="$RESULTS/idle.md" name
    local -a names=()
    echo "# Idle keep-alive connections: $IDLE_N held ${IDLE_HOLD}s ($(date -Is))" >"$out"
    if want nginx; then
        nginx_start nginx-idle $((p + 1)) 1 "" fixed 20000
        wait_ready nginx-idle /healthz; names+=(nginx-idle)
    fi
    if want ours; then
        if [[ $OURS_OK == 1 ]]; then ours_start ours-idle $((p + 2)) 1 ""; wait_ready ours-idle /healthz; names+=(ours-idle)
        else echo "- ours: skipped, $OURS_BIN not found" >>"$out"; fi
    fi
    if want hb; then
        ensure_hb; hb_start hb-idle $((p + 3)) 1 ""; wait_ready hb-idle /healthz; names+=(hb-idle)
    fi
    for name in "${names[@]}"; do
        log "idle connections against $name"
        { echo; echo "## $name"; echo '```'; } >>"$out"
        python3 "$ROOT/bench/idle_conns.py" --pid "${PID_OF[$name]}" --port "${PORT_OF[$name]}" \
            -n "$IDLE_N" --hold "$IDLE_HOLD" 2>&1 | tee -a "$out" \
            || log "WARNING: $name did not keep all $IDLE_N connections (see above)"
        echo '```' >>"$out"
        # One at a time: free the fds and memory before the next server.
        stop_pid "${PID_OF[$name]}"
    done
    log "written $out"
}

# ---------------------------------------------------------------- main
log "mode $MODE, results in $RESULTS"
case $MODE in
    compare) setup_compare; run_benchmarks ;;
    cores)   setup_cores;   run_benchmarks ;;
    idle)    run_idle ;;
esac
