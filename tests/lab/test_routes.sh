#!/usr/bin/env bash
# shellcheck disable=SC2034  # ROUTER_LOG, DPR_LAB_PMD: read by scripts/lab-lib.sh
# Route lookup: a default route, longest prefix match between forward and unreachable/prohibit routes,
# host routes, and a gateway found through the connected routes.
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
H1=$DPR_H1_ADDR H2=$DPR_H2_ADDR
cfg="$LAB_TMP/lab-routes.yaml"
cfg_variant "$cfg" --route "0.0.0.0/0 via $H2" --route "10.68.0.5/32 via $H2" --route "10.66.128.0/17 via $H2"
check "config with a default route passes --check" "$LAB_BIN" --config "$cfg" --check
lab_test_router "$cfg"
check "warm-up ping h1 -> h2" ping_ok "$DPR_NS_H1" "$H2" 2

cap="$LAB_TMP/routes.pcap"
start_capture "$DPR_NS_H2" "$DPR_IF_H2" "$cap" "ip and src host $H1 and not icmp[icmptype] = icmp-echoreply" || fatal "tcpdump"
px_h1 --ip "IP(dst='192.0.2.1', id=7001)/UDP(sport=8001, dport=9)" \
      --ip "IP(dst='8.8.8.8', id=7002)/UDP(sport=8002, dport=9)" \
      --ip "IP(dst='10.68.0.5', id=7003)/UDP(sport=8003, dport=9)" \
      --ip "IP(dst='10.68.0.6', id=7004)/UDP(sport=8004, dport=9)" \
      --ip "IP(dst='10.66.200.1', id=7005)/UDP(sport=8005, dport=9)" \
      --ip "IP(dst='10.66.1.1', id=7006)/UDP(sport=8006, dport=9)" \
      --ip "IP(dst='10.67.0.1', id=7007)/UDP(sport=8007, dport=9)"
stop_capture
seen() { tshark_fields "$cap" -e ip.id | while IFS=, read -r id _; do [[ -n "$id" ]] && echo $((id)); done | grep -cx "$1"; }
expect_seen() {  # ID N DESC
    local n; n=$(seen "$1")
    if ((n == $2)); then pass "$3"; else fail "$3 (datagram id $1 seen $n times at h2, expected $2)"; fi
}
expect_seen 7001 1 "default route: 192.0.2.1 forwarded to h2"
expect_seen 7002 1 "default route: 8.8.8.8 forwarded to h2"
expect_seen 7003 1 "host route 10.68.0.5/32 beats prohibit 10.68.0.0/16"
expect_seen 7004 0 "10.68.0.6 still prohibited (not forwarded)"
expect_seen 7005 1 "10.66.128.0/17 forward beats 10.66.0.0/16 unreachable"
expect_seen 7006 0 "10.66.1.1 still unreachable (not forwarded)"
expect_seen 7007 0 "10.67.0.0/16 blackhole beats the default route"
out=$(in_h1 ping -n -c 1 -W 1 10.68.0.6 2>&1)
grep -q "Packet filtered" <<<"$out" && pass "ping 10.68.0.6: Packet filtered" || fail "ping 10.68.0.6: expected Packet filtered" "$out"
check "router stops cleanly on SIGTERM (exit 0)" router_stop
finish
