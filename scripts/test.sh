#!/usr/bin/env bash
# The whole test suite, as CI runs it: system packages, build, then every test (unit,
# raw-socket, and the built binary started as a process).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh curl
swift build --build-tests
swift test --skip-build
