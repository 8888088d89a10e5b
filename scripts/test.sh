#!/usr/bin/env bash
# The whole test suite, as CI runs it: system packages, build, then every test (unit,
# raw-socket, and the built binary started as a process).
set -euo pipefail
cd "$(dirname "$0")/.."
# nginx and openssl: the TLS/HTTP-2 transport tests run a real h2 origin on loopback.
scripts/bootstrap.sh curl nginx openssl python3-venv
swift build --build-tests
swift test --skip-build
# The emulators' responses against the vendors' own schemas (pinned Python tools in .build/pyenv).
py=$(scripts/pyenv.sh)
# openapi.yaml is a valid OpenAPI 3.1 document.
"$(dirname "$py")/openapi-spec-validator" openapi.yaml
"$py" scripts/contract/validate.py --binary .build/debug/crm-gateway --report .build/contract-report.json Tests/Contract/*.json
# The API from the outside: a generated Python client's journey, then schemathesis (scripts/api-check.sh).
scripts/api-check.sh .build/debug/crm-gateway
"$py" bench/webhook_burst.py --binary .build/debug/crm-gateway  # issue 6: 1,000 Hana deliveries, SIGKILL mid-burst: 0 lost, none twice; prints p99
