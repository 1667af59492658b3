#!/usr/bin/env bash
# Installs what is missing, builds (warnings are errors), and runs every test:
#   0. deps: scripts/check-deps.py, every module/command the tests use comes from a listed package (1 test)
#   1. unit tests (GoogleTest, EAL in memory, no NIC) on the release build in build/
#   2. the same unit tests built with AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/
#   3. fuzz: a 60 s run of each libFuzzer target (clang, scripts/fuzz.sh, docs/fuzzing.md)
#   4. lab tests: the real binary between network namespaces (needs root)
# Each step says how long it took; long ones show progress. At the end: a line per step (unit and lab
# counted apart, lab checks too), then alone on the last line "N passed, M failed" (N: the deps check,
# every GoogleTest case of both builds, each fuzz target and every lab test script). Exits non-zero if anything failed.
#
# An existing build/ or build-asan/ is reused as it is (only --werror is switched on if it was off).
# Environment: TEST_ALL_STEPS (default "deps unit asan fuzz lab": the steps to run), LAB_TESTS (lab test names
# for tests/lab/run.sh, default all), and what tests/lab/run.sh reads (LAB_TEST_TIMEOUT, LAB_VERBOSE).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
steps=" ${TEST_ALL_STEPS:-deps unit asan fuzz lab} "
want() { [[ "$steps" == *" $1 "* ]]; }

t_all=$SECONDS
passed=0 failed=0
summary=()
log=$(mktemp /tmp/dprouter-test-all-XXXXXX)
trap 'rm -f "$log"' EXIT

step_start() { t_step=$SECONDS; echo; echo "== $* ($(date +%H:%M:%S))"; }
took() { echo "$((SECONDS - t_step)) s"; }
step_end() { echo "== $1: $2 ($(took))"; summary+=("$(printf '%-13s %s (%s)' "$1:" "$2" "$(took)")"); }

# tick PID LABEL CMD...: while PID runs, print "LABEL: <output of CMD> (N s)" every 15 s.
tick() {
    local pid=$1 label=$2; shift 2
    local t0=$SECONDS
    while kill -0 "$pid" 2>/dev/null; do
        sleep 1
        if (((SECONDS - t0) % 15 == 0)) && kill -0 "$pid" 2>/dev/null; then echo "   $label: $("$@") ($((SECONDS - t0)) s)"; fi
    done
}

# build DIR [MESON-OPTIONS...]: configure DIR unless it already is (never from scratch), build it.
build() {
    local dir=$1; shift
    if [[ -f "$dir/build.ninja" && -d "$dir/meson-private" ]]; then
        local werror
        werror=$(meson introspect "$dir" --buildoptions 2>/dev/null |
            /usr/bin/python3 -c 'import json, sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "werror"][0])' 2>/dev/null)
        if [[ "$werror" != True ]]; then
            echo "   $dir: configured without --werror; switching it on (this rebuilds)"
            meson configure "$dir" -Dwerror=true >"$log" 2>&1 || { cat "$log"; return 1; }
        else
            echo "   $dir: already configured, reusing it"
        fi
    else
        echo "   meson setup $dir --werror $*"
        meson setup "$dir" --werror "$@" >"$log" 2>&1 || { cat "$log"; return 1; }
    fi
    # ninja prints [done/total] as it goes, and nothing at all when everything is up to date.
    ninja -C "$dir" -j"$(nproc)"
}

# unit DIR LABEL [ENV...]: run DIR's unit tests with a progress line; add to the totals.
unit() {
    local dir=$1 label=$2; shift 2
    env "$@" "./$dir/tests/unit/unit_tests" --gtest_color=no >"$log" 2>&1 &
    local pid=$!
    tick "$pid" "$label" bash -c "echo \"\$(grep -c '^\[ \{7\}OK \]' '$log') tests passed so far\""
    wait "$pid"
    local rc=$? p f
    grep -E '^\[  FAILED  \]|^\[  PASSED  \]|^\[==========\]|ERROR: |runtime error' "$log"
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
    p=${p:-0} f=${f:-0}
    # A crash (sanitizer abort, signal) ends the run without a FAILED line: count it as one failure.
    if ((rc != 0 && f == 0)); then tail -30 "$log"; f=1; echo "   (unit_tests exited with status $rc)"; fi
    passed=$((passed + p)) failed=$((failed + f))
    step_end "$label" "$p passed, $f failed"
}

step_start "install dependencies (scripts/install-deps.sh)"
bash scripts/install-deps.sh || { echo "dependency installation failed"; echo "0 passed, 1 failed"; exit 1; }
step_end install "done"

if want deps; then
    step_start "dependency check (scripts/check-deps.py)"
    if /usr/bin/python3 scripts/check-deps.py; then passed=$((passed + 1)); r="1 passed, 0 failed"
    else failed=$((failed + 1)); r="0 passed, 1 failed"; fi
    step_end deps "$r"
fi

if want unit || want lab; then
    step_start "release build (build/)"
    if ! build build; then
        echo "release build failed"; echo "$passed passed, $((failed + 1)) failed"; exit 1
    fi
    step_end build "ok"
fi

if want unit; then
    step_start "unit tests (build/tests/unit/unit_tests)"
    unit build unit
fi

if want asan; then
    step_start "ASan + UBSan build (build-asan/)"
    if build build-asan -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false; then
        step_end "build (asan)" "ok"
        step_start "unit tests under ASan + UBSan"
        # DPDK's own allocations live for the whole process and are not ours to report.
        unit build-asan "unit (asan)" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    else
        echo "ASan build failed"; failed=$((failed + 1))
        step_end "unit (asan)" "build failed"
    fi
fi

if want fuzz; then
    step_start "fuzzing: a 60 s run of each libFuzzer target (scripts/fuzz.sh)"
    bash scripts/fuzz.sh --seconds "${FUZZ_SECONDS:-60}" all >"$log" 2>&1
    rc=$?
    cat "$log"
    fp=$(grep -c '^fuzz [a-z]*: ok' "$log")
    ff=$(grep -c '^fuzz [a-z]*: FINDING' "$log")
    ((rc != 0 && ff == 0)) && ff=1  # the fuzz build failed
    passed=$((passed + fp)) failed=$((failed + ff))
    step_end fuzz "$fp passed, $ff failed"
fi

if want lab; then
    step_start "lab tests (tests/lab/run.sh, one line per test as it finishes)"
    if [[ "$(id -u)" -eq 0 ]]; then
        # shellcheck disable=SC2086  # LAB_TESTS is a list of names
        bash tests/lab/run.sh "$PWD/build/dprouter" ${LAB_TESTS:-} 2>&1 | tee "$log"
        lp=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$log" | tail -1)
        lf=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$log" | tail -1)
        checks=$(sed -n 's/^checks: \([0-9]*\) passed, \([0-9]*\) failed.*/\1 passed, \2 failed/p' "$log" | tail -1)
        if [[ -z "$lp" ]]; then
            failed=$((failed + 1)); step_end lab "run.sh gave no tally"
        else
            passed=$((passed + lp)) failed=$((failed + lf))
            step_end lab "$lp tests passed, $lf failed${checks:+ (checks: $checks)}"
        fi
    else
        echo "lab tests skipped: they need root (network namespaces)"
        step_end lab "skipped (not root)"
    fi
fi

echo
echo "== summary ($((SECONDS - t_all)) s in all)"
printf '%s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
