#!/usr/bin/env bash
# scripts/systemd/dprouter.service and dprouter@.service: `systemd-analyze verify` finds nothing to say,
# and the unit's own command lines (their paths pointed at this build and the lab's config) do what the
# unit promises with the real router in the lab:
#   - ExecStartPre passes a good file (the lab's, config/nic.yaml) and stops a bad one with
#     FILE:LINE:COL errors and the exit status that RestartPreventExitStatus names (so a bad file is
#     not restarted in a loop);
#   - ExecReload, run as systemd runs it (in order, stopping at the first failure, $MAINPID the router),
#     reloads a good file (the new route answers), and with a bad file fails at its check without
#     signalling the router at all (no "reload rejected" in the log; the router keeps running).
# No systemd runs here as PID 1, so nothing is started through systemctl.
#
#   tests/lab/test_systemd_unit.sh build/dprouter
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
UNITS=$LAB_REPO/scripts/systemd
ETC=$LAB_TMP/etc
mkdir -p "$ETC"

# A unit as installed, but with this build's binary and $ETC for /etc/dprouter.
unit_copy() { sed -e "s#/usr/local/bin/dprouter#$LAB_BIN#g" -e "s#/etc/dprouter/#$ETC/#g" "$UNITS/$1" >"$LAB_TMP/$1"; }
for u in dprouter.service dprouter@.service; do
    unit_copy "$u"
    instance=$u
    [[ $u == *@.service ]] && instance=${u/@/@lab}
    out=$( cd "$LAB_TMP" && systemd-analyze verify "$instance" 2>&1 )
    if [[ $? -eq 0 && -z $out ]]; then pass "systemd-analyze verify $instance: clean"; else fail "systemd-analyze verify $instance: clean" "$out"; fi
done

# exec_lines UNIT KEY INSTANCE PID: the unit's KEY= command lines, one a line, with %i and $MAINPID filled in.
exec_lines() { sed -n "s/^$2=//p" "$LAB_TMP/$1" | sed -e "s/%i/$3/g" -e "s/\\\$MAINPID/$4/g"; }
# run_lines: runs each line of stdin as a command (no shell quoting in the units), stopping at the
# first failure as systemd does; the exit status of the last one run.
run_lines() {
    local line words rc=0
    while IFS= read -r line; do
        read -r -a words <<<"$line"
        "${words[@]}" </dev/null || { rc=$?; break; }
    done
    return $rc
}

lab_test_router
cp "$ROUTER_CONFIG" "$ETC/dprouter.yaml"
cp "$ROUTER_CONFIG" "$ETC/lab.yaml"
cp "$LAB_REPO/config/nic.yaml" "$ETC/nic.yaml"    # the example docs/deployment.md installs
bad_src=$LAB_TEST_DIR/bad-configs/bad-mac.yaml
cp "$bad_src" "$ETC/bad.yaml"

# --- ExecStartPre ----------------------------------------------------------------------------------
for u in dprouter.service:dprouter dprouter@.service:lab dprouter@.service:nic; do
    if exec_lines "${u%%:*}" ExecStartPre "${u#*:}" 0 | run_lines >"$LAB_TMP/out" 2>&1; then
        pass "${u%%:*} ExecStartPre passes $ETC/${u#*:}.yaml"
    else fail "${u%%:*} ExecStartPre passes $ETC/${u#*:}.yaml" "$(cat "$LAB_TMP/out")"; fi
done
prevent=$(sed -n 's/^RestartPreventExitStatus=//p' "$LAB_TMP/dprouter.service")
exec_lines dprouter@.service ExecStartPre bad 0 | run_lines >"$LAB_TMP/out" 2>&1
rc=$?
if [[ $rc == "$prevent" ]] && grep -Eq "^$ETC/bad.yaml:[0-9]+:[0-9]+: error: " "$LAB_TMP/out"; then
    pass "ExecStartPre stops a bad file: exit $rc = RestartPreventExitStatus, $(head -1 "$LAB_TMP/out" | sed "s#$ETC/##")"
else fail "ExecStartPre stops a bad file with exit $prevent (RestartPreventExitStatus) and FILE:LINE:COL" "exit $rc: $(cat "$LAB_TMP/out")"; fi

# --- ExecReload ------------------------------------------------------------------------------------
# The router reads $ROUTER_CONFIG; the unit copy points at it for these runs.
sed -i "s#$ETC/dprouter.yaml#$ROUTER_CONFIG#g" "$LAB_TMP/dprouter.service"
out=$(in_h1 ping -n -c 1 -W 1 10.77.0.1 2>&1)
grep -q "Packet filtered" <<<"$out" && fail "10.77.0.1 is not prohibited before the reload" "$out"
cfg_variant "$LAB_TMP/v1.yaml" --route "10.77.0.0/16 prohibit"
lab_config "$LAB_TMP/v1.yaml" "$ROUTER_CONFIG"
before=$(wc -c <"$ROUTER_LOG")
if exec_lines dprouter.service ExecReload x "$ROUTER_PID" | run_lines >"$LAB_TMP/out" 2>&1; then
    pass "ExecReload with a good file: both lines succeed"
else fail "ExecReload with a good file: both lines succeed" "$(cat "$LAB_TMP/out")"; fi
reloaded() { tail -c +"$((before + 1))" "$ROUTER_LOG" | grep -q "configuration reloaded"; }
check "ExecReload: the router logs 'configuration reloaded'" lab_wait_for 5 reloaded
filtered() { in_h1 ping -n -c 1 -W 1 10.77.0.1 2>&1 | grep -q "Packet filtered"; }
check "ExecReload: the new route answers (10.77.0.1: Packet filtered)" lab_wait_for 5 filtered

cp "$bad_src" "$ROUTER_CONFIG"
before=$(wc -c <"$ROUTER_LOG")
if exec_lines dprouter.service ExecReload x "$ROUTER_PID" | run_lines >"$LAB_TMP/out" 2>&1; then
    fail "ExecReload with a bad file fails (systemctl reload reports it)" "$(cat "$LAB_TMP/out")"
elif grep -Eq "^$ROUTER_CONFIG:[0-9]+:[0-9]+: error: " "$LAB_TMP/out"; then
    pass "ExecReload with a bad file fails at its check, with FILE:LINE:COL"
else fail "ExecReload with a bad file fails at its check, with FILE:LINE:COL" "$(cat "$LAB_TMP/out")"; fi
sleep 1
if tail -c +"$((before + 1))" "$ROUTER_LOG" | grep -q -e "reload rejected" -e "configuration reloaded"; then
    fail "no SIGHUP reached the router after the failed check" "$(tail -c +"$((before + 1))" "$ROUTER_LOG")"
else pass "no SIGHUP reached the router after the failed check"; fi
check "the router still runs and forwards" ping_ok "$DPR_NS_H1" "$DPR_H2_ADDR" 2
check "the old tables stay (10.77.0.1: Packet filtered)" filtered

finish
