#!/usr/bin/env bash
# shellcheck disable=SC2034  # ROUTER_LOG: read by scripts/lab-lib.sh
# SIGHUP with a file that yaml-cpp 0.7.0 cannot parse (",": it loops in LoadAll and grows without
# bound, issue 8 section 4) leaves the running router as it was: same memory, still forwarding,
# and still stopped by SIGTERM. A SIGTERM that arrives while a large file is being checked stops
# the router at once (the checking child is killed, none is left behind).
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
H2=$DPR_H2_ADDR
lab_test_router
check "warm-up ping h1 -> h2" ping_ok "$DPR_NS_H1" "$H2" 2
good=$(cat "$ROUTER_CONFIG")

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$ROUTER_PID/status"; }
# sighup_with TEXT-FILE: the router's file becomes TEXT-FILE, then SIGHUP
sighup_with() { cp "$1" "$ROUTER_CONFIG" && kill -HUP "$ROUTER_PID"; }
wait_log() {  # wait_log PATTERN SECONDS FROM-BYTE
    local deadline=$((SECONDS + $2))
    while ((SECONDS < deadline)); do
        tail -c +"$(($3 + 1))" "$ROUTER_LOG" | grep -q -- "$1" && return 0
        sleep 0.1
    done
    return 1
}

rss0=$(rss_kb)
for text in ',' ',,' '--- ,'; do
    printf '%s' "$text" >"$LAB_TMP/hostile.yaml"
    from=$(wc -c <"$ROUTER_LOG")
    sighup_with "$LAB_TMP/hostile.yaml"
    if wait_log "reload rejected" 10 "$from"; then
        pass "SIGHUP with '$text': reload rejected within 10 s"
    else
        fail "SIGHUP with '$text': no 'reload rejected' in the log" "$(tail -c +"$((from + 1))" "$ROUTER_LOG")"
    fi
    msg=$(tail -c +"$((from + 1))" "$ROUTER_LOG" | grep -- "error: unexpected ','" || true)
    if [[ -n $msg ]]; then pass "the log says where: $msg"; else fail "no FILE:LINE:COL error for '$text' in the log"; fi
done
rss1=$(rss_kb)
if ((rss1 < rss0 + 65536)); then
    pass "router memory unchanged by the hostile reloads (RSS ${rss0} kB -> ${rss1} kB)"
else
    fail "router RSS grew from ${rss0} kB to ${rss1} kB"
fi
check "still forwarding h1 -> h2 after the hostile reloads" ping_ok "$DPR_NS_H1" "$H2" 2

# The good file again: reloads still work.
printf '%s\n' "$good" >"$LAB_TMP/good.yaml"
from=$(wc -c <"$ROUTER_LOG")
sighup_with "$LAB_TMP/good.yaml"
if wait_log "configuration reloaded" 10 "$from"; then pass "a valid file reloads afterwards"; else fail "valid reload after the hostile ones not logged"; fi

# SIGTERM while a big file (300,000 YAML routes: seconds of yaml-cpp) is being checked.
{
    printf '%s\n' "$good" | sed '/^routes:/,$d'
    echo "routes:"
    /usr/bin/python3 -c '
for i in range(300000):
    print("  - {prefix: 11.%d.%d.0/24, action: blackhole}" % (i >> 8, i & 255))'
} >"$LAB_TMP/big.yaml"
from=$(wc -c <"$ROUTER_LOG")
sighup_with "$LAB_TMP/big.yaml"
wait_log "SIGHUP: reloading" 5 "$from" || true
sleep 0.5
child=$(pgrep -P "$ROUTER_PID" | tr '\n' ' ')
if [[ -n $child ]]; then pass "the big file is being checked in a child (pid $child)"; else fail "no checking child seen 0.5 s after SIGHUP"; fi
t0=$(date +%s%N)
check "SIGTERM during the check: router stops cleanly (exit 0)" router_stop
ms=$((($(date +%s%N) - t0) / 1000000))
if ((ms < 3000)); then pass "it stopped in $ms ms"; else fail "stopping took $ms ms"; fi
for p in $child; do
    if kill -0 "$p" 2>/dev/null; then fail "checking child $p outlived the router"; else pass "checking child $p is gone"; fi
done
finish
