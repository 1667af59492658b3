#!/usr/bin/env bash
# Installs what is missing, builds (warnings are errors), and runs every test:
#   1. unit tests (GoogleTest, EAL in memory, no NIC) on the release build
#   2. the same unit tests built with AddressSanitizer + UndefinedBehaviorSanitizer, and a short run
#      of each libFuzzer target (clang, scripts/fuzz.sh)
#   3. lab tests: the real binary between network namespaces (needs root)
# Ends with one line "N passed, M failed" and exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh || { echo "dependency installation failed"; exit 1; }

passed=0
failed=0
count_gtest() {  # $1: log of a gtest run
    local p f
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$1" | tail -1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$1" | tail -1)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
}

build() {  # $1: dir, rest: meson options
    local dir=$1; shift
    if [ -d "$dir" ]; then
        meson setup --reconfigure "$dir" --werror "$@" >/dev/null
    else
        meson setup "$dir" --werror "$@" >/dev/null
    fi && ninja -C "$dir" -j"$(nproc)"
}

echo "== release build"
if ! build build; then echo "release build failed"; echo "0 passed, 1 failed"; exit 1; fi

echo "== unit tests"
log=$(mktemp)
./build/tests/unit/unit_tests >"$log" 2>&1
rc=$?
grep -E '^\[  FAILED  \]|^\[  PASSED  \]|^\[==========\]' "$log"
[ "$rc" -eq 0 ] || { grep -q '^\[  FAILED  \]' "$log" || { tail -30 "$log"; failed=$((failed + 1)); }; }
count_gtest "$log"

echo "== fuzzing: a short run of each libFuzzer target (docs/fuzzing.md)"
fuzz_log=$(mktemp)
bash scripts/fuzz.sh --seconds 60 all >"$fuzz_log" 2>&1
fuzz_rc=$?
cat "$fuzz_log"
fp=$(grep -c '^fuzz [a-z]*: ok' "$fuzz_log")
ff=$(grep -c '^fuzz [a-z]*: FINDING' "$fuzz_log")
[ "$fuzz_rc" -ne 0 ] && [ "$ff" -eq 0 ] && ff=1  # the build failed
echo "fuzz: $fp passed, $ff failed"
passed=$((passed + fp))
failed=$((failed + ff))
rm -f "$fuzz_log"

echo "== unit tests under ASan + UBSan"
if build build-asan -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false; then
    # DPDK's own allocations live for the whole process and are not ours to report.
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ./build-asan/tests/unit/unit_tests >"$log" 2>&1
    rc=$?
    grep -E '^\[  FAILED  \]|^\[  PASSED  \]|^\[==========\]|ERROR: |runtime error' "$log"
    [ "$rc" -eq 0 ] || { grep -q '^\[  FAILED  \]' "$log" || { tail -30 "$log"; failed=$((failed + 1)); }; }
    count_gtest "$log"
else
    echo "ASan build failed"; failed=$((failed + 1))
fi

echo "== lab tests"
if [ "$(id -u)" -eq 0 ]; then
    bash tests/lab/run.sh "$PWD/build/dprouter" 2>&1 | tee "$log"
    lp=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$log" | tail -1)
    lf=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$log" | tail -1)
    if [ -z "$lp" ]; then failed=$((failed + 1)); else passed=$((passed + lp)); failed=$((failed + lf)); fi
else
    echo "lab tests skipped: they need root (network namespaces)"
fi
rm -f "$log"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
