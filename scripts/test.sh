#!/usr/bin/env bash
# The whole test suite, as CI runs it: system packages, build, then every test (unit,
# raw-socket, and the built binary started as a process).
set -euo pipefail
cd "$(dirname "$0")/.."
# nginx and openssl: the TLS/HTTP-2 transport tests run a real h2 origin on loopback.
scripts/bootstrap.sh curl nginx openssl
swift build --build-tests
swift test --skip-build
