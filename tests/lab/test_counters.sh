#!/usr/bin/env bash
# shellcheck disable=SC2034  # ROUTER_LOG: read by scripts/lab-lib.sh
# Counters that tell the truth (docs/architecture.md, "Counters"): after a mix of traffic (forwarded
# both ways, pings and UDP to the router, traceroute, unreachable and missing routes, a next hop that
# never answers ARP, a TTL-1 flood over many flows) and once nothing is held, every packet received
# counts exactly one outcome: rx = forwarded + dropped + local_delivered + punted, read from
# /dprouter/stats; and `forwarded` is no more than what the ports sent.
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
lab_test_router
H2=$DPR_H2_ADDR

check "warm-up ping h1 -> h2" ping_ok "$DPR_NS_H1" "$H2" 2
tel_snapshot "$LAB_TMP/t0.json" || fatal "telemetry /dprouter/stats" "$(cat "$LAB_TMP/t0.json")"

check "ping h1 -> h2 (forwarded both ways)" ping_ok "$DPR_NS_H1" "$H2" 20 -i 0.05
check "ping the router (delivered locally)" ping_ok "$DPR_NS_H1" "$DPR_R1_ADDR" 5
in_h1 timeout 20 traceroute -n -q 1 -w 1 -m 3 "$H2" >/dev/null 2>&1   # expiries, then UDP to h2
in_h1 timeout 10 traceroute -n -q 1 -w 1 -m 2 "$DPR_R2_ADDR" >/dev/null 2>&1  # UDP to a closed port of ours
check "no echo reply through an unreachable route" ping_none "$DPR_NS_H1" 10.66.0.1 2
check "no echo reply without a route" ping_none "$DPR_NS_H1" 192.0.2.1 2
# 10.2.0.99 is on the wan link and nobody answers ARP: held, then refused (host unreachable).
check "no echo reply from a neighbour that never answers" ping_none "$DPR_NS_H1" 10.2.0.99 3
out=$(in_h1 "$LAB_PY" "$LAB_TEST_DIR/udp_flows.py" --dst "$H2" --ttl 1 --flows 32 --rate 2000 --seconds 1 2>&1) ||
    fail "TTL-1 flood sender" "$out"
echo "  (TTL-1 flood: $out)"

# Nothing may be held when the figures are read: the next hop that never answers gives up after
# its three requests (about 3 s).
held_total() { tel_query /dprouter/neighbors | "$LAB_PY" -c '
import json, re, sys
d = json.loads(sys.stdin.read())["/dprouter/neighbors"]
print(sum(int(m.group(1)) for e in d for m in [re.search(r" held (\d+)$", e)] if m))'; }
nothing_held() { [[ "$(held_total)" == 0 ]]; }
if lab_wait_for 15 nothing_held; then
    pass "nothing held for a next hop"
else
    fail "packets still held after 15 s" "$(tel_query /dprouter/neighbors)"
fi

expect_counters_identity
cp "$LAB_TMP/identity.json" "$LAB_TMP/t1.json"
expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" events.forwarded 44
expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" events.local_delivered 5
expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" drops.ttl_expired 1000
expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" drops.neighbor_failed 3 3
expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" drops.route_unreachable 2 2
expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" drops.no_route 2 2
expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" drops.local_udp_closed_port 1
expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" drops.tx_full 0 0

check "router stops cleanly on SIGTERM (exit 0)" router_stop
finish
