#!/usr/bin/env bash
# Run every lab test against a router binary:  tests/lab/run.sh build/dprouter [TEST-NAME...]
# Each tests/lab/test_*.sh gets BIN as $1, builds its own namespaces and removes them. Prints
# "ok NAME (S s)" / "FAIL NAME (S s)" per test as it finishes (a failing test's output above its FAIL
# line), then "checks: K passed, L failed" (the sum of the tests' own "NAME: X passed, Y failed"
# tallies) and finally exactly "N passed, M failed" (tests). Exit status 1 when any test failed. Needs root.
#
# Environment: LAB_TEST_TIMEOUT (seconds per test, default 300), LAB_VERBOSE=1 prints every test's output.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-}
if [[ -z "$bin" ]]; then echo "usage: $0 PATH/TO/dprouter [TEST-NAME...]" >&2; exit 2; fi
shift
if [[ ! -x "$bin" ]]; then echo "$0: $bin is not an executable" >&2; exit 2; fi
bin=$(readlink -f "$bin")
timeout_s=${LAB_TEST_TIMEOUT:-300}

tests=()
if (($#)); then
    for t in "$@"; do t=${t%.sh}; tests+=("$here/${t##*/}.sh"); done
else
    for t in "$here"/test_*.sh; do [[ -e "$t" ]] && tests+=("$t"); done
fi

passed=0 failed=0 cpassed=0 cfailed=0 ctests=0
out=$(mktemp /tmp/dprouter-lab-run-XXXXXX)
tpid=""
trap 'rm -f "$out"' EXIT
# timeout(1) puts the test in its own process group; on Ctrl-C pass the signal on to that group (the
# test's traps remove its namespaces), wait for it, then stop.
interrupted() {
    echo "interrupted"
    if [[ -n "$tpid" ]]; then kill -TERM -- -"$tpid" 2>/dev/null || kill -TERM "$tpid" 2>/dev/null; wait "$tpid"; fi
    exit 130
}
trap interrupted INT TERM
for t in "${tests[@]}"; do
    name=$(basename "$t" .sh)
    start=$SECONDS
    timeout -k 15 "$timeout_s" bash "$t" "$bin" >"$out" 2>&1 </dev/null &
    tpid=$!
    wait "$tpid"
    rc=$?
    tpid=""
    tally=$(sed -n "s/^$name: \([0-9]*\) passed, \([0-9]*\) failed\$/\1 \2/p" "$out" | tail -1)
    if [[ -n "$tally" ]]; then cpassed=$((cpassed + ${tally% *})) cfailed=$((cfailed + ${tally#* })) ctests=$((ctests + 1)); fi
    if ((rc == 0)); then
        [[ -n "${LAB_VERBOSE:-}" ]] && cat "$out"
        echo "ok $name ($((SECONDS - start)) s${tally:+, ${tally% *} checks})"
        passed=$((passed + 1))
    else
        sed 's/^/    /' "$out"
        ((rc == 124)) && echo "    (timed out after ${timeout_s}s)"
        echo "    (exit status $rc after $((SECONDS - start))s)"
        echo "FAIL $name ($((SECONDS - start)) s)"
        failed=$((failed + 1))
    fi
done
echo "checks: $cpassed passed, $cfailed failed (in the $ctests of ${#tests[@]} tests that count theirs)"
echo "$passed passed, $failed failed"
((failed == 0))
