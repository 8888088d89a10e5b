#!/usr/bin/env bash
# CORS and /docs in a real browser (headless Chromium, Debian's package).
#   1. Starts `crm-gateway serve --sandbox --cors-origin http://127.0.0.1:<A>` and two static
#      test origins (python3 -m http.server on ports A and B) serving scripts/browser/cors.html.
#   2. Chromium loads that page from http://127.0.0.1:<A> (allowed: a simple GET, a preflighted
#      JSON POST with Idempotency-Key, a GET with Authorization must all succeed, X-Request-Id
#      readable), from http://127.0.0.1:<B> and from http://localhost:<A> (other origins: all
#      three must be blocked by the browser).
#   3. /docs must list every operation of openapi.yaml; /docs#try=<list contacts> must show a 200;
#      screenshots go to .build/browser/docs.png and docs-try.png (look at them).
# Usage: scripts/browser-check.sh [path/to/crm-gateway] (default .build/debug/crm-gateway)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/debug/crm-gateway}
[ -x "$bin" ] || { echo "browser-check: no executable at $bin (swift build first)" >&2; exit 1; }
started=$(date +%s)
scripts/bootstrap.sh chromium curl python3-venv
py=$(scripts/pyenv.sh)
work=.build/browser
rm -rf "$work" && mkdir -p "$work"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

fail() {
  echo "browser-check: FAIL: $*" >&2
  [ -s "$work/serve.err" ] && { echo "--- $work/serve.err (last lines)" >&2; tail -n 15 "$work/serve.err" >&2; }
  [ "${run:-0}" -gt 0 ] && [ -s "$work/chromium-$run.log" ] && {
    echo "--- the page's console ($work/chromium-$run.log)" >&2
    grep -e CONSOLE -e ERROR "$work/chromium-$run.log" | grep -v -e dbus | tail -n 15 >&2 || true
  }
  exit 1
}

# A static origin on a free loopback port: sets $port.
serve_static() {
  local name=$1
  python3 -u -m http.server 0 --bind 127.0.0.1 --directory scripts/browser > "$work/$name.out" 2> "$work/$name.err" &
  pids+=($!)
  port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$work/$name.out" 2>/dev/null | head -n 1)
    [ -n "$port" ] && return
    sleep 0.1
  done
  fail "the $name origin did not start"
}
serve_static origin-a; portA=$port
serve_static origin-b; portB=$port
allowed="http://127.0.0.1:$portA"

"$bin" serve --sandbox --port 0 --events-db "$work/events.sqlite" --cors-origin "$allowed" \
  > "$work/serve.out" 2> "$work/serve.err" &
pids+=($!)
for _ in $(seq 100); do grep -q "listening on" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
gw=$(sed -n 's/.*listening on \(http:\/\/[^ ]*\) .*/\1/p' "$work/serve.out")
[ -n "$gw" ] || fail "the gateway did not start"
echo "browser-check: gateway $gw, allowed origin $allowed, other origins http://127.0.0.1:$portB and http://localhost:$portA"
echo "browser-check: $(chromium --version 2>/dev/null)"

# One headless Chromium run with its own fresh profile (no cached preflights between runs).
# Extra arguments go before the URL; the DOM after scripts ran goes to stdout; the page's
# console goes to $work/chromium-<run>.log.
run=0
chromium_run() {
  run=$((run + 1))
  local url=${*: -1}
  local args=("${@:1:$#-1}")
  timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --no-first-run --no-default-browser-check --disable-extensions --disable-background-networking \
    --enable-logging=stderr --v=0 --user-data-dir="$work/profile-$run" --virtual-time-budget=10000 "${args[@]}" "$url" \
    2> "$work/chromium-$run.log" || fail "chromium exited with $? on $url"
}

check="$py scripts/browser/check_dom.py"

# The last run's page ran without a script error or a Content-Security-Policy violation.
clean_console() {
  if grep -E "CONSOLE.*(Content Security Policy|Uncaught|\[DOM\]|blocked by CORS)" "$work/chromium-$run.log" >&2; then
    fail "$1: the page's console reports the errors above"
  fi
}

# 1. CORS from the allowed origin and from two others.
chromium_run --dump-dom "$allowed/cors.html?gw=$gw" > "$work/cors-allowed.html"
$check cors "$work/cors-allowed.html" allowed || fail "CORS from the allowed origin"
clean_console "the allowed origin"
# Blocked for the right reason: Chromium's console names the CORS policy for each of the three calls.
blocked_by_cors() {
  local n
  n=$(grep -c "has been blocked by CORS policy" "$work/chromium-$run.log" || true)
  [ "$n" = 3 ] || fail "$1: expected 3 calls blocked by CORS policy in the console, saw $n"
}
chromium_run --dump-dom "http://127.0.0.1:$portB/cors.html?gw=$gw" > "$work/cors-other-port.html"
$check cors "$work/cors-other-port.html" blocked || fail "CORS from another port"
blocked_by_cors "another port"
chromium_run --dump-dom "http://localhost:$portA/cors.html?gw=$gw" > "$work/cors-localhost.html"
$check cors "$work/cors-localhost.html" blocked || fail "CORS from localhost (another origin than 127.0.0.1)"
blocked_by_cors "localhost"
# The gateway's side: preflights from the allowed origin answered 204, the others 403.
metrics=$(curl -sf "$gw/metrics") || fail "no /metrics"
grep -q '^crmgw_requests_total{route="preflight",code="204"} 2$' <<< "$metrics" \
  || fail "expected 2 preflights answered 204: $(grep preflight <<< "$metrics" || echo none)"
grep -q '^crmgw_requests_total{route="preflight",code="403"} 4$' <<< "$metrics" \
  || fail "expected 4 preflights answered 403: $(grep preflight <<< "$metrics" || echo none)"
echo "  gateway: 2 preflights allowed (204), 4 refused (403)"

# 2. /docs renders every operation; the try-it of the contact list answers 200.
chromium_run --dump-dom "$gw/docs" > "$work/docs.html"
clean_console /docs
$check docs "$work/docs.html" openapi.yaml || fail "/docs does not list the operations of openapi.yaml"
op=$($check opid openapi.yaml GET /contacts)
chromium_run --dump-dom "$gw/docs#try=$op&limit=2" > "$work/docs-try.html"
clean_console "/docs#try=$op"
$check try "$work/docs-try.html" "$op" 200 || fail "/docs#try=$op"

# 3. Screenshots, for a person to look at.
chromium_run --hide-scrollbars --window-size=1280,1600 --screenshot="$work/docs.png" "$gw/docs" > /dev/null
chromium_run --hide-scrollbars --window-size=1280,1600 --screenshot="$work/docs-try.png" "$gw/docs#try=$op&limit=2" > /dev/null
for png in docs.png docs-try.png; do
  [ -s "$work/$png" ] || fail "no screenshot $work/$png"
done
echo "  screenshots: $work/docs.png, $work/docs-try.png"
echo "browser-check: passed in $(($(date +%s) - started)) s"
