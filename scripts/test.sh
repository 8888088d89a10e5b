#!/usr/bin/env bash
# The whole test suite, as CI runs it: system packages, build, then every test (unit,
# raw-socket, and the built binary started as a process).
set -euo pipefail
cd "$(dirname "$0")/.."
# Everything this run prints is also kept, so the last step can check no credential leaked.
mkdir -p .build
exec > >(tee .build/test-output.log) 2>&1
# nginx and openssl: the TLS/HTTP-2 transport tests run a real h2 origin on loopback.
# chromium: CORS and /docs in a real browser (scripts/browser-check.sh).
scripts/bootstrap.sh curl nginx openssl python3-venv chromium
swift build --build-tests
swift test --skip-build
# The emulators' responses against the vendors' own schemas (pinned Python tools in .build/pyenv).
py=$(scripts/pyenv.sh)
# openapi.yaml is a valid OpenAPI 3.1 document.
"$(dirname "$py")/openapi-spec-validator" openapi.yaml
"$py" scripts/contract/validate.py --binary .build/debug/crm-gateway --report .build/contract-report.json Tests/Contract/*.json
# The API from the outside: a generated Python client's journey, then schemathesis (scripts/api-check.sh).
scripts/api-check.sh .build/debug/crm-gateway
# issue 6: 1,000 Hana deliveries, SIGKILL mid-burst: 0 lost, none twice; prints p99.
"$py" bench/webhook_burst.py --binary .build/debug/crm-gateway
# Operating the binary: refusal beyond loopback without keys, 401s, check-config, /metrics text (scripts/ops-check.sh).
scripts/ops-check.sh .build/debug/crm-gateway
# CORS from allowed and other origins, and the /docs page, in headless Chromium.
scripts/browser-check.sh .build/debug/crm-gateway
# The Dockerfile is hadolint-clean (pinned hadolint from PyPI; the image itself is built by
# scripts/container.sh, by hand: it takes about 10 minutes).
scripts/lint-dockerfile.sh
# No upstream credential in anything the run printed or the processes it started logged:
# the sandbox's credentials, raw and Base64 (as in Basic auth).
scripts/leak-check.sh .build/test-output.log .build/api-check .build/ops-check .build/browser
