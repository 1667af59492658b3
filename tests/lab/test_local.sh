#!/usr/bin/env bash
# shellcheck disable=SC2034  # ROUTER_LOG, DPR_LAB_PMD: read by scripts/lab-lib.sh
# The router's own addresses: echo replies on both addresses from both hosts; ARP answered for our
# addresses with the configured MAC, never for an address we do not own.
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
lab_test_router

check "h1 pings router lan address $DPR_R1_ADDR" ping_ok "$DPR_NS_H1" "$DPR_R1_ADDR" 5
check "h1 pings router wan address $DPR_R2_ADDR" ping_ok "$DPR_NS_H1" "$DPR_R2_ADDR" 5
check "h2 pings router wan address $DPR_R2_ADDR" ping_ok "$DPR_NS_H2" "$DPR_R2_ADDR" 5
check "h2 pings router lan address $DPR_R1_ADDR" ping_ok "$DPR_NS_H2" "$DPR_R1_ADDR" 5

# Echo reply comes from the pinged address, with id/seq/data unchanged (ping checks id/seq and data).
cap="$LAB_TMP/reply.pcap"
if start_capture "$DPR_NS_H1" "$DPR_IF_H1" "$cap" "icmp"; then
    in_h1 ping -n -c 2 -i 0.2 -W 1 -w 5 -p 5aa5 -s 100 "$DPR_R2_ADDR" >/dev/null 2>&1
    stop_capture
    f=$(tshark_fields "$cap" -o ip.check_checksum:TRUE \
        -Y "icmp.type == 0" -e ip.src -e ip.dst -e ip.checksum.status -e icmp.checksum.status -e eth.src)
    if [[ -n "$f" ]] && ! awk -F'\t' -v s="$DPR_R2_ADDR" -v d="$DPR_H1_ADDR" -v m="$DPR_R1_MAC" \
            '$1 != s || $2 != d || $3 != 1 || $4 != 1 || $5 != m' <<<"$f" | grep -q .; then
        pass "echo replies from $DPR_R2_ADDR (pinged on lan): source = pinged address, checksums good, eth src $DPR_R1_MAC"
    else
        fail "echo replies for $DPR_R2_ADDR: expected src $DPR_R2_ADDR dst $DPR_H1_ADDR, good IP/ICMP checksums, eth src $DPR_R1_MAC" \
            "ip.src ip.dst ip-cksum icmp-cksum eth.src:"$'\n'"$f"
    fi
else
    fail "tcpdump on $DPR_IF_H1"
fi

# ARP through the kernel: flush, ping, look at the neighbour entry.
in_h1 ip neigh flush dev "$DPR_IF_H1" || fatal "ip neigh flush on h1"
check "h1 pings $DPR_R1_ADDR after neighbour flush" ping_ok "$DPR_NS_H1" "$DPR_R1_ADDR" 2
neigh=$(in_h1 ip neigh show "$DPR_R1_ADDR" dev "$DPR_IF_H1")
if grep -Eq "lladdr $DPR_R1_MAC (REACHABLE|STALE|DELAY|PROBE)" <<<"$neigh"; then
    pass "h1 resolved $DPR_R1_ADDR to $DPR_R1_MAC"
else
    fail "h1 neighbour entry for $DPR_R1_ADDR should be lladdr $DPR_R1_MAC REACHABLE/STALE/DELAY" "$neigh"
fi
in_h2 ip neigh flush dev "$DPR_IF_H2" || fatal "ip neigh flush on h2"
check "h2 pings $DPR_R2_ADDR after neighbour flush" ping_ok "$DPR_NS_H2" "$DPR_R2_ADDR" 2
neigh=$(in_h2 ip neigh show "$DPR_R2_ADDR" dev "$DPR_IF_H2")
if grep -Eq "lladdr $DPR_R2_MAC (REACHABLE|STALE|DELAY|PROBE)" <<<"$neigh"; then
    pass "h2 resolved $DPR_R2_ADDR to $DPR_R2_MAC"
else
    fail "h2 neighbour entry for $DPR_R2_ADDR should be lladdr $DPR_R2_MAC REACHABLE/STALE/DELAY" "$neigh"
fi

# ARP with scapy.
out=$(sendf "$DPR_NS_H1" arp --iface "$DPR_IF_H1" --target "$DPR_R1_ADDR" --timeout 2 2>&1)
if grep -q "is-at $DPR_R1_MAC eth-src $DPR_R1_MAC eth-dst $DPR_H1_MAC pdst $DPR_H1_ADDR" <<<"$out"; then
    pass "scapy ARP who-has $DPR_R1_ADDR: is-at $DPR_R1_MAC, unicast back to h1"
else
    fail "scapy ARP who-has $DPR_R1_ADDR: expected is-at $DPR_R1_MAC (eth src $DPR_R1_MAC, dst $DPR_H1_MAC, pdst $DPR_H1_ADDR)" "$out"
fi
out=$(sendf "$DPR_NS_H2" arp --iface "$DPR_IF_H2" --target "$DPR_R2_ADDR" --timeout 2 2>&1)
if grep -q "is-at $DPR_R2_MAC" <<<"$out"; then
    pass "scapy ARP who-has $DPR_R2_ADDR on wan: is-at $DPR_R2_MAC"
else
    fail "scapy ARP who-has $DPR_R2_ADDR on wan: expected is-at $DPR_R2_MAC" "$out"
fi
out=$(sendf "$DPR_NS_H1" arp --iface "$DPR_IF_H1" --target 10.1.0.77 --timeout 2 2>&1)
if grep -q "^no reply" <<<"$out"; then
    pass "no ARP reply for 10.1.0.77 (not ours)"
else
    fail "ARP request for 10.1.0.77 (not ours) was answered" "$out"
fi
# The wan address is the router's, but not on the lan interface: RFC 826 / 1122 say answer only for
# addresses the interface owns (Linux answers by default; arp_ignore=0).
out=$(sendf "$DPR_NS_H1" arp --iface "$DPR_IF_H1" --target "$DPR_R2_ADDR" --timeout 2 2>&1)
if grep -q "^no reply" <<<"$out"; then
    pass "no ARP reply on lan for the wan address $DPR_R2_ADDR"
else
    fail "ARP request on lan for the wan address $DPR_R2_ADDR was answered (duties: answer on the interface that owns it)" "$out"
fi

check "router still running" router_alive
check "router stops cleanly on SIGTERM (exit 0)" router_stop
finish
