#!/usr/bin/env bash
# shellcheck disable=SC2034  # ROUTER_LOG, DPR_LAB_PMD: read by scripts/lab-lib.sh
# Clean stop: SIGTERM (and SIGINT) end the router with exit status 0, and it prints its counters on exit.
# Also reads the counters through DPDK telemetry while it runs.
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
lab_test_router

check "ping h1 -> h2 before stopping" ping_ok "$DPR_NS_H1" "$DPR_H2_ADDR" 5

# Telemetry: /dprouter/stats through dpdk-telemetry.py (the socket lives under /var/run/dpdk/PREFIX).
if [[ -n "${LAB_SKIP_TELEMETRY:-}" ]]; then
    echo "  (telemetry check skipped: LAB_SKIP_TELEMETRY is set)"
elif ! command -v dpdk-telemetry.py >/dev/null; then
    fail "dpdk-telemetry.py not installed"
else
    tel=$(echo /dprouter/stats | timeout 10 /usr/bin/python3 "$(command -v dpdk-telemetry.py)" -f "$DPR_FILE_PREFIX" 2>&1)
    if grep -q '"/dprouter/stats"' <<<"$tel"; then
        pass "telemetry /dprouter/stats answers"
    else
        fail "telemetry /dprouter/stats (dpdk-telemetry.py -f $DPR_FILE_PREFIX) gave no answer" "$tel"
    fi
fi

lines_before=$(wc -l <"$ROUTER_LOG")
check "SIGTERM: router exits with status 0 within ${DPR_ROUTER_STOP_TIMEOUT}s" router_stop
tail_log=$(tail -n +"$((lines_before + 1))" "$ROUTER_LOG")
if grep -Eiq 'counter|stats|statistics' <<<"$tail_log"; then
    pass "counters printed on exit"
else
    fail "no counters printed on exit (looked for counter/stats in the log lines written after SIGTERM)" "$tail_log"
fi
# The counters must reflect the traffic: some number >= 5 on a line after SIGTERM (5 pings each way).
if grep -Eq '(^|[^0-9.:-])([5-9]|[1-9][0-9]+)([^0-9.:]|$)' <<<"$tail_log"; then
    pass "counters on exit show traffic (a count >= 5)"
else
    fail "counters on exit do not show the 5+ forwarded packets" "$tail_log"
fi
if in_r ip link show "$DPR_IF_R1" >/dev/null 2>&1; then pass "router-side interfaces still exist after stop"; else fail "$DPR_IF_R1 vanished"; fi

# SIGINT works the same way. (A background job of a non-interactive shell starts with SIGINT ignored;
# the router must install its own handler, as DPDK apps do.)
ROUTER_LOG="$LAB_TMP/router-int.log"
lab_test_router
pid=$ROUTER_PID
kill -INT "$pid"
deadline=$((SECONDS + DPR_ROUTER_STOP_TIMEOUT))
while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
    fail "SIGINT: router still running after ${DPR_ROUTER_STOP_TIMEOUT}s"
    router_stop >/dev/null 2>&1
else
    wait "$pid"; st=$?; ROUTER_PID=""
    if ((st == 0)); then pass "SIGINT: router exits with status 0"; else fail "SIGINT: router exit status $st (expected 0)" "$(tail -n 20 "$ROUTER_LOG")"; fi
fi

# A restart on the same ports works (ports were released).
ROUTER_LOG="$LAB_TMP/router-restart.log"
lab_test_router
check "after a restart, ping h1 -> h2 works" ping_ok "$DPR_NS_H1" "$DPR_H2_ADDR" 3
check "router stops cleanly on SIGTERM (exit 0)" router_stop
finish
