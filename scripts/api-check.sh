#!/usr/bin/env bash
# The API against its own contract, from the outside: starts `crm-gateway serve --sandbox`,
# then (1) schemathesis with every check over every operation of openapi.yaml, and (2) a
# client generated from openapi.yaml (openapi-python-client) runs a full journey.
# Usage: scripts/api-check.sh [path/to/crm-gateway] (default .build/debug/crm-gateway)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/debug/crm-gateway}
py=$(scripts/pyenv.sh api)
venv=$(dirname "$(dirname "$py")")
work=.build/api-check
rm -rf "$work" && mkdir -p "$work"

# With a client key configured, as an operator would run it: every call below carries it,
# and schemathesis' ignored_auth check proves calls without it are refused.
"$bin" keys generate --name api-check --scope write > "$work/key.txt"
key=$(sed -n 's/^key: //p' "$work/key.txt")
digest=$(sed -n 's/^ *key_sha256: //p' "$work/key.txt")
export API_CHECK_KEY=$key
CRMGW_CLIENTS="[{name: api-check, key_sha256: $digest, scope: write}]" \
  "$bin" serve --sandbox --port 0 --events-db "$work/events.sqlite" > "$work/serve.out" 2> "$work/serve.err" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "listening on" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
base=$(sed -n 's/.*listening on \(http:\/\/[^ ]*\) .*/\1/p' "$work/serve.out")
[ -n "$base" ] || { echo "api-check: the gateway did not start"; cat "$work/serve.err"; exit 1; }
echo "api-check: gateway at $base"

# (1) a generated client runs the journey (first, on fresh sandbox state).
"$venv/bin/openapi-python-client" generate --path openapi.yaml --output-path "$work/client" --overwrite --meta none > "$work/generate.log"
PYTHONPATH="$work" "$py" scripts/journey.py "$base"
# (2) schemathesis: every check, every operation except the sandbox's own admin surface
# (faults would sabotage the run on purpose) and passthrough (its answers are the upstream's).
# scripts/schemathesis.toml widens positive_data_acceptance's accepted statuses only for the
# operations that refuse some schema-valid requests by design (it says which and why).
# /events/stream is left out: a 200 there is a Server-Sent Events stream that never ends
# on its own, so schemathesis would wait on each example until its request timeout (it has no
# way to read a few frames and hang up); EventStreamEndToEndTests covers it over sockets.
# API_CHECK_EXCLUDE=<checks> leaves checks out (none by default).
exclude=${API_CHECK_EXCLUDE-}
st_rc=0
"$venv/bin/schemathesis" --config-file scripts/schemathesis.toml run openapi.yaml --url "$base" -H "Authorization: Bearer $key" \
  --checks all ${exclude:+--exclude-checks "$exclude"} \
  --max-examples "${API_CHECK_EXAMPLES:-25}" --workers 1 --seed 1 \
  --exclude-path-regex '^/(_sandbox|passthrough|events/stream$)' \
  --report junit --report-dir "$work" \
  --suppress-health-check all || st_rc=$?

exit $st_rc
