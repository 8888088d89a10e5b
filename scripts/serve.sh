#!/usr/bin/env bash
# Builds (release) and starts the gateway. Extra arguments go to `crm-gateway serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build -c release --product crm-gateway
exec .build/release/crm-gateway serve "$@"
