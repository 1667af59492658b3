#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan, in build-fuzz/) if needed and runs them on
# their seed corpora (docs/fuzzing.md).
#
#   scripts/fuzz.sh [--seconds N | --runs N] [--jobs N] pipeline|config|netlink|all
#
# New inputs go to build-fuzz/corpus/TARGET (the seeds in tests/fuzz/corpus stay untouched);
# findings to build-fuzz/findings/TARGET/. Prints one line per target, "fuzz TARGET: ok, ..." or
# "fuzz TARGET: FINDING ...", and exits non-zero if any target found something.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD

limit=(-max_total_time=60)
jobs=1
targets=()
while (($#)); do
    case $1 in
        --seconds) limit=(-max_total_time="$2"); shift 2 ;;
        --runs) limit=(-runs="$2"); shift 2 ;;
        --jobs) jobs=$2; shift 2 ;;
        pipeline|config|netlink) targets+=("$1"); shift ;;
        all) targets+=(pipeline config netlink); shift ;;
        *) echo "usage: $0 [--seconds N | --runs N] [--jobs N] pipeline|config|netlink|all" >&2; exit 2 ;;
    esac
done
((${#targets[@]})) || { echo "usage: $0 [--seconds N | --runs N] [--jobs N] pipeline|config|netlink|all" >&2; exit 2; }

dir=build-fuzz
if [ ! -d "$dir" ]; then
    CXX=clang++ meson setup "$dir" --werror -Dbuildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false >/dev/null ||
        { echo "fuzz: meson setup failed (is clang installed?)"; exit 1; }
fi
ninja -C "$dir" tests/fuzz/fuzz_pipeline tests/fuzz/fuzz_config tests/fuzz/fuzz_netlink >/dev/null || { echo "fuzz: build failed"; exit 1; }

status=0
for t in "${targets[@]}"; do
    corpus=$dir/corpus/$t findings=$dir/findings/$t log=$dir/fuzz-$t.log
    mkdir -p "$corpus" "$findings"
    extra=()
    # The parser must answer every file within a second or so; 5 s is a hang.
    [ "$t" = config ] && extra=(-timeout=5 -max_len=4096)
    [ "$t" = pipeline ] && extra=(-timeout=10 -max_len=20000)
    [ "$t" = netlink ] && extra=(-timeout=5 -max_len=16384)
    # DPDK's EAL keeps allocations for the whole process; per-input leaks are what the target checks.
    # With --jobs N libFuzzer runs N processes and writes their logs to fuzz-K.log in the current
    # directory: build-fuzz/ here.
    ((jobs > 1)) && extra+=(-jobs="$jobs" -workers="$jobs")
    (cd "$dir" && ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$top/$dir/tests/fuzz/fuzz_$t" "${limit[@]}" "${extra[@]}" -print_final_stats=1 \
        -artifact_prefix="$top/$findings/" "$top/$corpus" "$top/tests/fuzz/corpus/$t") >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
    if [ "$rc" -eq 0 ]; then
        echo "fuzz $t: ok, ${runs:-?} inputs, ${rate:-?} exec/s, ${cov:-cov: ?}"
    else
        echo "fuzz $t: FINDING (exit $rc) after ${runs:-?} inputs; see $log and $findings/"
        grep -E '^fuzz_|ERROR|runtime error|SUMMARY' "$log" | head -5
        status=1
    fi
done
exit "$status"
