#!/usr/bin/env bash
# Runs the fuzz targets with libFuzzer through cargo-fuzz (nightly), each for SECONDS.
#
#   bash fuzz/run.sh 20                # CI: every target for 20 s
#   bash fuzz/run.sh 1800 answer       # a long run of one target
#   FUZZ_JOBS=2 bash fuzz/run.sh 3600  # a long run, two processes per target
#
# Installs cargo-fuzz and the nightly toolchain (both pinned below) if missing. The corpus grows in fuzz/corpus/<target>
# (not committed); fuzz/seeds/<target> holds the small committed seeds. A crash stops the run with
# the failing input in fuzz/artifacts/<target>/; replay it with
# `cargo +nightly-2026-05-20 fuzz run -a <target> <file>`. Prints executions and corpus size per target.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-20}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(answer chunked framings endpoint context)
fi
jobs=${FUZZ_JOBS:-1}
parallel=()
if [ "$jobs" -gt 1 ]; then
    # libFuzzer then runs workers that log to fuzz-<n>.log; their stats are collected below.
    parallel=(-jobs="$jobs" -workers="$jobs")
fi

# Exact versions: a tool that changes under CI turns it red on the next new machine.
nightly=nightly-2026-05-20
cargo_fuzz=0.13.2
rustup toolchain list | grep -q "^$nightly" || rustup toolchain install "$nightly" --profile minimal
[ "$(cargo fuzz --version 2>/dev/null)" = "cargo-fuzz $cargo_fuzz" ] ||
    cargo install --locked --version "$cargo_fuzz" cargo-fuzz
cargo "+$nightly" fuzz build -a

summary=()
for target in "${targets[@]}"; do
    case $target in
        answer | chunked | framings) max_len=16384 ;;
        *) max_len=1024 ;;
    esac
    mkdir -p "corpus/$target"
    log="target/fuzz-$target.log"
    mkdir -p target
    echo "== $target: ${seconds}s, -max_len=$max_len, jobs=$jobs"
    # -a: debug assertions (overflow checks) on, as in the tests.
    if ! cargo "+$nightly" fuzz run -a "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -max_len="$max_len" -print_final_stats=1 "${parallel[@]}" \
        >"$log" 2>&1; then
        tail -40 "$log"
        echo "fuzz target $target FAILED (log: fuzz/$log, input: fuzz/artifacts/$target/)"
        exit 1
    fi
    if [ "$jobs" -gt 1 ]; then
        cat fuzz-*.log >>"$log" 2>/dev/null || true
        rm -f fuzz-*.log
    fi
    execs=$(grep -h 'stat::number_of_executed_units' "$log" | awk '{s += $2} END {print s + 0}')
    units=$(find "corpus/$target" -type f | wc -l)
    summary+=("$target: $execs executions in ${seconds}s, corpus $units inputs, no failure")
done
printf '%s\n' "${summary[@]}"
