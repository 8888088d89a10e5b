#!/usr/bin/env bash
# Fuzz the HTTP request-head parser, the chunked decoder and the JSON parser with libFuzzer + ASan.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [JOBS]      (defaults: 60 seconds, 1 job)
#
# The harnesses (Fuzz/*.swift) are compiled together with the three standard-library-only
# parser sources, so SwiftPM is not involved. Binaries and the growing corpora live in
# .build-fuzz/ (seeded from Fuzz/corpus-*); crash/leak/timeout inputs are kept in
# fuzz-out/<target>/. JOBS > 1 uses libFuzzer's -fork mode. Environment: FUZZ_MAX_LEN
# (default 4096), FUZZ_TARGETS (default "parser chunked json"). Exit status 1 if anything crashed;
# pin each crash as a test case (see fuzzPinned*Cases in Tests/GatewayCoreTests).
set -euo pipefail

cd "$(dirname "$0")/.."
seconds=${1:-60}
jobs=${2:-1}
max_len=${FUZZ_MAX_LEN:-4096}
targets=${FUZZ_TARGETS:-parser chunked json}
build=.build-fuzz
out=fuzz-out
sources=(
    Sources/GatewayCore/HTTP/HTTPTypes.swift
    Sources/GatewayCore/HTTP/HTTPRequestParser.swift
    Sources/GatewayCore/HTTP/ChunkedDecoder.swift
)
mkdir -p "$build" "$out"
# Swift's own crash backtracer fights ASan's signal handling and can hang; libFuzzer reports.
export SWIFT_BACKTRACE=enable=no

harness() { case $1 in parser) echo ParserFuzz ;; chunked) echo ChunkedFuzz ;; json) echo JSONFuzz ;; *) return 1 ;; esac; }
target_sources() { case $1 in json) echo Sources/GatewayCore/JSON/JSON.swift ;; *) echo "${sources[@]}" ;; esac; }
dict() { case $1 in json) echo Fuzz/json.dict ;; *) echo Fuzz/http.dict ;; esac; }

for target in $targets; do
    module=$(harness "$target") || { echo "unknown target: $target" >&2; exit 2; }
    echo "== building $target ($module)"
    # -assert-config Debug keeps precondition messages and the standard library's debug
    # bounds checks (UnsafeRawBufferPointer subscripts) in the optimised build.
    # ld.gold warns about every ASan symbol it cannot export; keep those out of sight.
    if ! swiftc -O -assert-config Debug -g -sanitize=fuzzer,address -parse-as-library -module-name "$module" \
        $(target_sources "$target") "Fuzz/$module.swift" -o "$build/$target-fuzz" 2>"$build/$target.build.log"; then
        grep -v "Cannot export local symbol" "$build/$target.build.log" >&2
        exit 1
    fi
done

summary=()
crashed=0
for target in $targets; do
    corpus="$build/corpus-$target"
    artifacts="$out/$target"
    log="$build/$target.log"
    mkdir -p "$corpus" "$artifacts"
    before=$(find "$artifacts" -type f | wc -l)
    mode=()
    if [ "$jobs" -gt 1 ]; then mode=(-fork="$jobs" -ignore_crashes=1); fi
    echo "== fuzzing $target for ${seconds}s (jobs: $jobs, log: $log)"
    set +e
    "$build/$target-fuzz" "${mode[@]}" \
        -max_total_time="$seconds" -max_len="$max_len" -timeout=10 \
        -dict="$(dict "$target")" -artifact_prefix="$artifacts/" -print_final_stats=1 \
        "$corpus" "Fuzz/corpus-$target" >"$log" 2>&1
    status=$?
    set -e
    after=$(find "$artifacts" -type f | wc -l)
    found=$((after - before))
    if [ "$found" -gt 0 ] || { [ "$status" -ne 0 ] && [ "$jobs" -le 1 ]; }; then
        crashed=1
        grep -m1 -E "ERROR: (AddressSanitizer|libFuzzer)|Fatal error|Precondition failed" "$log" || true
    fi
    # Final line with coverage, e.g. "#123 DONE cov: 456 ft: 789 corp: 12/3Kb ... exec/s: 45678"
    last=$(grep -E "cov: [0-9]+" "$log" | tail -1)
    cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<<"$last")
    ft=$(sed -nE 's/.*ft: ([0-9]+).*/\1/p' <<<"$last")
    corp=$(sed -nE 's/.*corp: ([0-9]+).*/\1/p' <<<"$last")
    execs=$(sed -nE 's/^stat::number_of_executed_units: ([0-9]+)/\1/p' "$log" | tail -1)
    rate=$(sed -nE 's/^stat::average_exec_per_sec: ([0-9]+)/\1/p' "$log" | tail -1)
    [ -n "$execs" ] || execs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$last")
    [ -n "$rate" ] || rate=$(sed -nE 's/.*exec\/s:? ([0-9]+).*/\1/p' <<<"$last")
    summary+=("$(printf '%-8s execs %-10s exec/s %-8s cov %-5s ft %-6s corpus %-6s new artifacts %s (exit %s)' \
        "$target" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$found" "$status")")
done

echo
echo "== summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
if [ "$crashed" -ne 0 ]; then
    echo "crash artifacts in $out/; reproduce with: $build/<target>-fuzz <file>"
    exit 1
fi
