#!/usr/bin/env bash
# The lab harness checks itself (no router needed; BIN is only passed on). A lab test that cannot fail is
# a defect, and these are the ways the helpers once let one pass or leave debris behind:
#   - fatal/finish cleared the EXIT trap, so a test's own cleanup never ran when it stopped early
#     (test_redirect_host left its h3 namespace behind): lab_on_cleanup hooks must run on every path;
#   - cfg_variant without python3-yaml wrote nothing, and the checks went on with a missing file:
#     it must stop the test;
#   - router_reload called any SIGHUP a success, even when the router refused the file (or the file
#     did not exist): it must report the router's verdict.
# Each case runs a small child test in its own namespaces (prefix ${DPR_LAB_PREFIX}hx-).
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
CHILD_PREFIX="${DPR_LAB_PREFIX}hx-"

# child NAME BODY: run BODY as a lab test of its own (lab_test_init done); output in $LAB_TMP/NAME.out,
# exit status in $child_rc.
child() {
    local name=$1 body=$2 f="$LAB_TMP/$1.sh"
    printf '%s\n' 'set -u' "source '$LAB_TEST_DIR/lib.sh'" 'lab_test_init "$@"' "$body" 'finish' >"$f"
    env -u DPR_NS_H1 -u DPR_NS_H2 -u DPR_NS_R -u DPR_FILE_PREFIX DPR_LAB_PREFIX="$CHILD_PREFIX" \
        ${CHILD_ENV:-} timeout 60 bash "$f" "$LAB_BIN" >"$LAB_TMP/$name.out" 2>&1 </dev/null
    child_rc=$?
}
ns_exists() { ip netns list | awk '{print $1}' | grep -qx -- "$1"; }

# 1. fatal runs the test's cleanup hooks and removes the lab.
child fatal '
ip netns add "${DPR_LAB_PREFIX}dpr-extra" || exit 3
lab_on_cleanup "ip netns del ${DPR_LAB_PREFIX}dpr-extra"
fatal "stopping on purpose"
pass "after fatal (must not print)"'
out=$(cat "$LAB_TMP/fatal.out")
if ((child_rc == 1)) && grep -q "1 failed" <<<"$out" && ! grep -q "must not print" <<<"$out"; then
    pass "fatal stops the test with status 1 and a failed tally"
else
    fail "fatal: expected status 1, '0 passed, 1 failed', nothing after it (status $child_rc)" "$out"
fi
if ns_exists "${CHILD_PREFIX}dpr-extra"; then
    fail "fatal did not run the cleanup hook: ${CHILD_PREFIX}dpr-extra is still there"
    ip netns del "${CHILD_PREFIX}dpr-extra"
else
    pass "fatal ran the test's cleanup hook (its extra namespace is gone)"
fi
leftover=$(ip netns list | awk '{print $1}' | grep -- "^${CHILD_PREFIX}" | tr '\n' ' ')
if [[ -z "$leftover" ]]; then pass "fatal removed the lab's namespaces"; else fail "namespaces left behind: $leftover"; fi

# 2. a test that ends normally runs its hooks too.
child normal '
ip netns add "${DPR_LAB_PREFIX}dpr-extra" || exit 3
lab_on_cleanup "ip netns del ${DPR_LAB_PREFIX}dpr-extra"
pass "something"'
if ((child_rc == 0)) && ! ns_exists "${CHILD_PREFIX}dpr-extra"; then pass "finish runs the cleanup hooks"; else
    fail "finish: status $child_rc, extra namespace $(ns_exists "${CHILD_PREFIX}dpr-extra" && echo left || echo gone)" "$(cat "$LAB_TMP/normal.out")"
    ip netns del "${CHILD_PREFIX}dpr-extra" 2>/dev/null
fi

# 3. cfg_variant without a working yaml module (as on a machine without python3-yaml) stops the test.
mkdir -p "$LAB_TMP/noyaml"
echo 'raise ModuleNotFoundError("No module named yaml (simulated)")' >"$LAB_TMP/noyaml/yaml.py"
CHILD_ENV="PYTHONPATH=$LAB_TMP/noyaml" child noyaml '
cfg_variant "$LAB_TMP/v.yaml" --route "10.77.0.0/16 prohibit"
pass "after cfg_variant (must not print)"'
out=$(cat "$LAB_TMP/noyaml.out")
if ((child_rc == 1)) && grep -q "FAIL: cfg_variant" <<<"$out" && ! grep -q "must not print" <<<"$out"; then
    pass "cfg_variant that cannot write its file stops the test"
else
    fail "cfg_variant without yaml: expected FAIL and a stop (status $child_rc)" "$out"
fi

# 4. cfg_edit that edits nothing (or a missing file) stops the test.
child edit '
cfg_variant "$LAB_TMP/v.yaml"
cfg_edit "$LAB_TMP/v.yaml" "/no-such-line/d"
pass "after cfg_edit (must not print)"'
if ((child_rc == 1)) && ! grep -q "must not print" "$LAB_TMP/edit.out"; then pass "cfg_edit that changes nothing stops the test"; else
    fail "cfg_edit: expected a stop (status $child_rc)" "$(cat "$LAB_TMP/edit.out")"
fi

# 5. router_reload reports the router's verdict. A stand-in "router" answers SIGHUP the way
#    Router::reload logs it (src/control/router.cpp): it reads the file and rejects it unless it has "good".
fake_router() {  # VERDICT-SCRIPT: start a stand-in as ROUTER_PID
    ROUTER_LOG="$LAB_TMP/fake.log"; : >"$ROUTER_LOG"
    ROUTER_CONFIG="$LAB_TMP/fake.yaml"; echo good >"$ROUTER_CONFIG"
    bash -c 'trap "'"$1"'" HUP; while :; do sleep 0.05; done' >>"$ROUTER_LOG" 2>&1 &
    ROUTER_PID=$!
    sleep 0.2
}
stop_fake() { kill "$ROUTER_PID" 2>/dev/null; wait "$ROUTER_PID" 2>/dev/null; ROUTER_PID=""; }
fake_router 'echo SIGHUP: reloading; if grep -q good '"$LAB_TMP"'/fake.yaml; then echo configuration reloaded; else echo reload rejected; fi'
good="$LAB_TMP/good.yaml" bad="$LAB_TMP/bad.yaml"
echo "good: 1" >"$good"; echo "broken: 1" >"$bad"
check "router_reload of a file the router accepts succeeds" router_reload "$good" 3
check_not "router_reload of a file the router refuses fails" router_reload "$bad" 3
[[ "$ROUTER_RELOAD" == rejected ]] && pass "... and says rejected" || fail "ROUTER_RELOAD is '$ROUTER_RELOAD', expected rejected"
check "router_reload_refused of a file the router refuses succeeds" router_reload_refused "$bad" 3
check_not "router_reload_refused of a file the router accepts fails" router_reload_refused "$good" 3
check_not "router_reload of a missing file fails" router_reload "$LAB_TMP/no-such.yaml" 3
[[ "$ROUTER_RELOAD" == nofile ]] && pass "... and says nofile" || fail "ROUTER_RELOAD is '$ROUTER_RELOAD', expected nofile"
: >"$LAB_TMP/empty.yaml"
check_not "router_reload of an empty file fails" router_reload "$LAB_TMP/empty.yaml" 3
stop_fake
fake_router 'true'   # a router that never answers
check_not "router_reload without a verdict in time fails" router_reload "$good" 1
[[ "$ROUTER_RELOAD" == silent ]] && pass "... and says silent" || fail "ROUTER_RELOAD is '$ROUTER_RELOAD', expected silent"
stop_fake
finish
