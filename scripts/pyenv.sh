#!/usr/bin/env bash
# Creates (once) a virtualenv under the build folder with the pinned Python tools the test
# suite needs, and prints its python path. Re-installs only when requirements.txt changes.
set -euo pipefail
cd "$(dirname "$0")/.."
# `scripts/pyenv.sh` -> .build/pyenv (scripts/requirements.txt);
# `scripts/pyenv.sh api` -> .build/pyenv-api (scripts/requirements-api.txt);
# `scripts/pyenv.sh container` -> .build/pyenv-container (scripts/requirements-container.txt: hadolint).
venv=.build/pyenv${1:+-$1}
req=scripts/requirements${1:+-$1}.txt
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "pyenv: installing $(grep -vc '^#' "$req") pinned packages into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$req" >&2
  echo "$want" > "$stamp"
fi
echo "$PWD/$venv/bin/python"
