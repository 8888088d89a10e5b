#!/usr/bin/env bash
# hadolint on the Dockerfile (pinned, from PyPI, in .build/pyenv-container). Fails on any finding
# of level info or above; the few rules the Dockerfile ignores are ignored inline, each with why.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh python3-venv   # pyenv.sh makes a virtualenv (a no-op when installed)
py=$(scripts/pyenv.sh container)
"$(dirname "$py")/hadolint" --version
"$(dirname "$py")/hadolint" --failure-threshold info Dockerfile
echo "hadolint: Dockerfile clean"
