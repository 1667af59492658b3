#!/usr/bin/env bash
# shellcheck disable=SC2034  # ROUTER_LOG, DPR_LAB_PMD: read by scripts/lab-lib.sh
# A static neighbour in the config reaches a host that never answers ARP; without it the router cannot
# resolve that host and nothing gets through.
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"

# h2 never answers ARP and knows the router's wan MAC statically.
h2_silent() {
    in_h2 ip link set "$DPR_IF_H2" arp off &&
    in_h2 ip neigh replace "$DPR_R2_ADDR" lladdr "$DPR_R2_MAC" dev "$DPR_IF_H2" nud permanent
}
check "h2: arp off, permanent neighbour $DPR_R2_ADDR -> $DPR_R2_MAC" h2_silent

# Negative first: plain lab config, the router has to ARP for h2 and gets no answer.
lab_test_router "$LAB_CONFIG"
check_not "without a static neighbour, ping h1 -> h2 fails (h2 never answers ARP)" \
    ping_ok "$DPR_NS_H1" "$DPR_H2_ADDR" 3
# The router gives up after its ARP requests go unanswered and says so: host unreachable (3/1), quoting
# the datagram as it arrived (TTL not decremented).
sleep 6   # let the failed neighbour entry expire, so the next datagram starts a fresh resolution
cap="$LAB_TMP/hu.pcap"
if start_capture "$DPR_NS_H1" "$DPR_IF_H1" "$cap" "icmp and ether src $DPR_R1_MAC"; then
    px_h1 --save "$LAB_TMP/hu.hex" --ip "IP(dst='$DPR_H2_ADDR', id=5001, ttl=17)/UDP(sport=7001, dport=9)/Raw(b'q'*40)"
    lab_wait_for 8 bash -c "[[ \$(tshark -r '$cap' -n 2>/dev/null | grep -c .) -ge 1 ]]"
    stop_capture
    out=$(icmp_check --pcap "$cap" --type 3 --code 1 --count 1 --src "$DPR_R1_ADDR" --dst "$DPR_H1_ADDR" --sent "$LAB_TMP/hu.hex" 2>&1)
    if [[ $? -eq 0 ]]; then pass "ARP failure: host unreachable 3/1 from $DPR_R1_ADDR, quote with TTL as it arrived"; else fail "ARP failure: expected one host unreachable 3/1" "$out"$'\n'"$(icmp_check --pcap "$cap" --list 2>&1)"; fi
else
    fail "tcpdump on $DPR_IF_H1"
fi
out=$(in_h1 ping -n -c 1 -W 6 "$DPR_H2_ADDR" 2>&1)
if grep -q "From $DPR_R1_ADDR .*Destination Host Unreachable" <<<"$out"; then pass "ping shows Destination Host Unreachable from $DPR_R1_ADDR"; else fail "ping h1 -> h2 with h2 silent: expected 'From $DPR_R1_ADDR ... Destination Host Unreachable'" "$out"; fi
if tel_snapshot "$LAB_TMP/tn.json"; then
    f=$("$LAB_PY" -c "import json,sys; d=[json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')][0]['/dprouter/stats']; print(d['arp']['failed'])" "$LAB_TMP/tn.json" 2>&1)
    if [[ "$f" =~ ^[0-9]+$ ]] && ((f >= 1)); then pass "telemetry arp.failed = $f"; else fail "telemetry arp.failed should be >= 1" "$f"; fi
fi
check "router stops cleanly on SIGTERM (exit 0)" router_stop

# With the static neighbour.
cfg="$LAB_TMP/lab-static.yaml"
cp "$LAB_CONFIG" "$cfg"
cat >>"$cfg" <<EOT
neighbors:
  - address: $DPR_H2_ADDR
    mac: "$DPR_H2_MAC"
    interface: wan
EOT
if grep -q '^neighbors:' "$LAB_CONFIG"; then fail "lab.yaml already has neighbors:, the variant is invalid"; fi
# The variant must still be valid for --check (when the binary implements it).
check "variant config passes --check" "$LAB_BIN" --config "$cfg" --check
ROUTER_LOG="$LAB_TMP/router-static.log"
lab_test_router "$cfg"
check "with static neighbour $DPR_H2_ADDR on wan, ping h1 -> h2 works (0% loss)" ping_ok "$DPR_NS_H1" "$DPR_H2_ADDR" 5
check "h2 still has ARP off" bash -c "ip netns exec '$DPR_NS_H2' ip link show '$DPR_IF_H2' | grep -q NOARP"
check "router stops cleanly on SIGTERM (exit 0)" router_stop
finish
