#!/usr/bin/env bash
# Operating the built binary as an operator would (issue 7), each check against a real process:
#  - bound beyond loopback with no client keys, `serve` refuses to start (exit 2, a clear message);
#  - with keys it starts, and a call without a key gets 401 problem+json; with the key, 200;
#  - `check-config` names a bad key (exit 2), shows env overriding the file, never prints a secret;
#  - /readyz is 503 with no upstream configured; /metrics parses as Prometheus text exposition
#    (prometheus_client's parser) and carries the §6 names.
# Usage: scripts/ops-check.sh [path/to/crm-gateway]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/debug/crm-gateway}
py=$(scripts/pyenv.sh)
work=.build/ops-check
rm -rf "$work" && mkdir -p "$work"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
fail() { echo "ops-check: FAILED: $*" >&2; exit 1; }
pass() { echo "ops-check: ok  $*"; }

# Starts `crm-gateway serve ...` in the background; sets $base (or fails with its stderr).
start() {
  local name=$1; shift
  "$@" > "$work/$name.out" 2> "$work/$name.err" &
  pids+=($!)
  base=""
  for _ in $(seq 100); do
    base=$(sed -n 's/.*listening on \(http:\/\/[^ ]*\) .*/\1/p' "$work/$name.out")
    [ -n "$base" ] && return 0
    sleep 0.1
  done
  cat "$work/$name.err" >&2
  fail "$name did not start"
}

# 1. 0.0.0.0 without keys: refused before listening.
rc=0
"$bin" serve --sandbox --host 0.0.0.0 --port 0 --events-db "$work/e0.sqlite" > "$work/open.out" 2> "$work/open.err" || rc=$?
[ "$rc" = 2 ] || fail "serve on 0.0.0.0 without keys exited $rc (want 2)"
grep -q "refusing to listen on 0.0.0.0 without client API keys" "$work/open.err" || fail "no refusal message: $(cat "$work/open.err")"
grep -q "listening" "$work/open.out" && fail "it listened anyway"
pass "0.0.0.0 without client keys: refused (exit 2)"
rc=0
CRMGW_SERVER_HOST=0.0.0.0 "$bin" serve --port 0 > /dev/null 2> "$work/open-env.err" || rc=$?
[ "$rc" = 2 ] || fail "CRMGW_SERVER_HOST=0.0.0.0 without keys exited $rc (want 2)"
pass "the same when the address comes from CRMGW_SERVER_HOST"

# 2. With a key: 401 without it, 200 with it.
"$bin" keys generate --name ops --scope read > "$work/key.txt"
key=$(sed -n 's/^key: //p' "$work/key.txt")
digest=$(sed -n 's/^ *key_sha256: //p' "$work/key.txt")
cat > "$work/config.yaml" <<YAML
server:
  host: 0.0.0.0
  port: 0
clients:
  - {name: ops, key_sha256: $digest, scope: read}
log: {format: json}
YAML
start keyed "$bin" serve --sandbox --config "$work/config.yaml" --events-db "$work/e1.sqlite"
port=${base##*:}
code=$(curl -s -o "$work/401.json" -D "$work/401.h" -w '%{http_code}' "http://127.0.0.1:$port/contacts?limit=1")
[ "$code" = 401 ] || fail "no key: $code (want 401)"
grep -qi '^content-type: application/problem+json' "$work/401.h" || fail "401 is not problem+json"
grep -qi '^www-authenticate: Bearer' "$work/401.h" || fail "401 without a Bearer challenge"
"$py" -c 'import json,sys; p=json.load(open(sys.argv[1])); assert p["status"]==401 and p["title"]=="Unauthorized" and p["request_id"], p' "$work/401.json"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" "http://127.0.0.1:$port/contacts?limit=1")
[ "$code" = 200 ] || fail "with the key: $code (want 200)"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d '{}' "http://127.0.0.1:$port/contacts")
[ "$code" = 403 ] || fail "read-only key on POST: $code (want 403)"
pass "0.0.0.0 with a key: 401 problem+json without it, 200 with it, 403 for a read-only key's write"

# 3. /metrics is valid Prometheus text and has the §6 names.
curl -s -H "Authorization: Bearer $key" "http://127.0.0.1:$port/metrics" > "$work/metrics.txt"
"$py" - "$work/metrics.txt" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
families = {f.name: f for f in text_string_to_metric_families(text)}
want = ["crmgw_requests", "crmgw_request_duration_seconds", "crmgw_upstream_requests", "crmgw_upstream_duration_seconds",
        "crmgw_cache_lookups", "crmgw_ratelimit_wait_seconds", "crmgw_ratelimit_rejections", "crmgw_events_received"]
missing = [w for w in want if w not in families]
assert not missing, f"missing metric families: {missing}"
samples = [s for f in families.values() for s in f.samples]
assert any(s.name == "crmgw_requests_total" and s.labels.get("code") == "401" for s in samples), "the 401 was not counted"
print(f"ops-check: /metrics parsed: {len(families)} families, {len(samples)} samples")
PY
pass "/metrics parses as Prometheus text exposition with every §6 name"
# The access log: JSON lines, no key.
sleep 0.2
grep -q '"route":"GET /contacts","status":401' "$work/keyed.err" || fail "no access-log line for the 401"
grep -q -- "$key" "$work/keyed.err" && fail "the client key appeared in the log"
pass "one JSON log line per request, the key never in it"

# 4. check-config: env overrides the file, secrets masked, bad keys named.
printf 'pd-secret-from-file\n' > "$work/pd.secret"
cat > "$work/c2.yaml" <<YAML
server: {port: 9000}
upstreams:
  pipedrive: {base_url: https://acme.pipedrive.com, credential_file: $PWD/$work/pd.secret}
YAML
CRMGW_SERVER_PORT=9100 CRMGW_UPSTREAMS_TEXTREQUEST_CREDENTIAL=tr-secret-from-env \
  "$bin" check-config --config "$work/c2.yaml" > "$work/check.out" 2> "$work/check.err"
grep -q '^  port: 9100$' "$work/check.out" || fail "CRMGW_SERVER_PORT did not override the file"
grep -q 'credential: "\*\*\* (from file ' "$work/check.out" || fail "the file secret is not shown masked"
grep -q 'credential: "\*\*\* (from environment CRMGW_UPSTREAMS_TEXTREQUEST_CREDENTIAL)"' "$work/check.out" || fail "the env secret is not shown masked"
grep -q -e pd-secret-from-file -e tr-secret-from-env "$work/check.out" "$work/check.err" && fail "check-config printed a secret"
rc=0
printf 'server:\n  prot: 1\n' > "$work/bad.yaml"
CRMGW_LOG_LEVLE=debug "$bin" check-config --config "$work/bad.yaml" > /dev/null 2> "$work/bad.err" || rc=$?
[ "$rc" = 2 ] || fail "check-config of a bad file exited $rc (want 2)"
grep -q "server.prot: is not a configuration key" "$work/bad.err" || fail "bad key not named: $(cat "$work/bad.err")"
grep -q "CRMGW_LOG_LEVLE: is not a configuration key" "$work/bad.err" || fail "bad variable not named"
rc=0
"$bin" serve --config "$work/bad.yaml" > /dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "serve with a bad file exited $rc (want 2)"
pass "check-config: env beats file, secrets masked, bad key and variable named (exit 2); serve refuses the same file"

# 5. No upstream configured: alive but not ready.
start bare "$bin" serve --port 0 --events-db "$work/e2.sqlite"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/healthz")" = 200 ] || fail "/healthz"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" = 503 ] || fail "/readyz with no upstream is not 503"
pass "no upstream configured: /healthz 200, /readyz 503"
# 6. webhooks register with upstreams from the environment: emulators alone, then twice.
"$bin" emulate all --port 0 > "$work/emulate.out" 2> "$work/emulate.err" &
pids+=($!)
for _ in $(seq 100); do [ "$(wc -l < "$work/emulate.out")" -ge 4 ] && break; sleep 0.1; done
pd=$(sed -n 's/^pipedrive //p' "$work/emulate.out"); tr=$(sed -n 's/^textrequest //p' "$work/emulate.out")
[ -n "$pd" ] && [ -n "$tr" ] || fail "emulate all did not start"
printf 'sandbox-key' > "$work/emu.secret"
register() {
  CRMGW_UPSTREAMS_PIPEDRIVE_BASE_URL=$pd CRMGW_UPSTREAMS_PIPEDRIVE_CREDENTIAL_FILE=$PWD/$work/emu.secret \
  CRMGW_UPSTREAMS_PIPEDRIVE_WEBHOOK_USER=hooks CRMGW_UPSTREAMS_PIPEDRIVE_WEBHOOK_PASSWORD_FILE=$PWD/$work/emu.secret \
  CRMGW_UPSTREAMS_TEXTREQUEST_BASE_URL=$tr CRMGW_UPSTREAMS_TEXTREQUEST_CREDENTIAL_FILE=$PWD/$work/emu.secret \
    "$bin" webhooks register --public-url https://gateway.example.com
}
register > "$work/register1.out" 2>&1 || fail "webhooks register: $(tail -3 "$work/register1.out")"
register > "$work/register2.out" 2>&1 || fail "webhooks register (again): $(tail -3 "$work/register2.out")"
# The secret file is a fixture, not a log: gone before scripts/leak-check.sh reads this folder.
rm -f "$work/emu.secret"
first=$(tail -1 "$work/register1.out"); second=$(tail -1 "$work/register2.out")
case "$first" in "0 created"*|"") fail "the first registration created nothing: $first";; esac
case "$second" in "0 created, "*" already present, 0 failed") ;; *) fail "the second registration was not a no-op: $second";; esac
pass "webhooks register from CRMGW_* settings: $first; again: $second"
echo "ops-check: all passed"
