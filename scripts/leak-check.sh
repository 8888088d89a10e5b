#!/usr/bin/env bash
# Fails if any given file (or any file under a given folder) holds an upstream credential of
# the sandbox: `sandbox-key`, `sandbox-secret`, or their Base64 forms (HTTP Basic, e.g.
# `sandbox:sandbox-secret`). Prints only where, never the matched line.
# Usage: scripts/leak-check.sh <file-or-folder>...
set -euo pipefail
patterns=(sandbox-key sandbox-secret)
for p in "sandbox-key" "sandbox-secret" "sandbox:sandbox-secret" "sandbox:sandbox-key"; do
  patterns+=("$(printf '%s' "$p" | base64 -w0 | tr -d '=')")
done
args=()
for p in "${patterns[@]}"; do args+=(-e "$p"); done
found=0
for target in "$@"; do
  [ -e "$target" ] || continue
  # -I: binary files (SQLite, PNG) are skipped: they hold what the emulators stored on purpose.
  if hits=$(grep -rIl -F "${args[@]}" "$target" 2>/dev/null); then
    while read -r f; do
      echo "leak-check: a sandbox credential appears in $f ($(grep -cF "${args[@]}" "$f") lines)" >&2
      found=1
    done <<< "$hits"
  fi
done
[ "$found" = 0 ] || exit 1
echo "leak-check: no credential in ${*}"
