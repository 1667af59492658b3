#!/usr/bin/env bash
# Neighbor Discovery (RFC 4861) with hosts that never saw the router: neighbour caches flushed, then
# h1 pings the router's global and link-local addresses and h2 through it. The router answers the
# hosts' multicast solicitations (NA from the target address with R, S, O and its MAC in the target
# link-layer option, hop limit 255, good checksum), resolves h2 itself with a multicast NS from its
# link-local address to h2's solicited-node group carrying its MAC, and both ends end up in each
# other's caches: `ip -6 neigh` on the hosts shows the router's MAC (flagged "router") REACHABLE or STALE,
# the router's telemetry /dprouter/neighbors shows the hosts. Crafted solicitations: unicast NS
# answered, DAD probes (source ::) answered to ff02::1 with S clear, and no answer for hop limit 254,
# a target that is not ours, or the wan address asked on the lan.
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
lab_test_router
R1=$DPR_R1_ADDR6

in_h1 ip -6 neigh flush dev "$DPR_IF_H1"
in_h2 ip -6 neigh flush dev "$DPR_IF_H2"
n=$(in_h1 ip -6 neigh show dev "$DPR_IF_H1" | grep -c lladdr)
if ((n == 0)); then pass "h1 starts with no IPv6 neighbours"; else fail "h1's IPv6 neighbour cache is not empty" "$(in_h1 ip -6 neigh)"; fi

cap="$LAB_TMP/nd-h1.pcap"
cap2="$LAB_TMP/nd-h2.pcap"
start_capture "$DPR_NS_H1" "$DPR_IF_H1" "$cap" "icmp6" || fatal "tcpdump on $DPR_IF_H1"
start_capture_bg "$DPR_NS_H2" "$DPR_IF_H2" "$cap2" "icmp6" || fatal "tcpdump on $DPR_IF_H2"
check "ping -6 h1 -> router $R1 (h1 resolves it on the lan)" ping6_ok "$DPR_NS_H1" "$R1" 2
# h1_has_router ADDR: h1's cache holds the router's MAC for ADDR with the router flag (the NA's R bit), usable
h1_has_router() {
    local a=$1 e
    e=$(in_h1 ip -6 neigh show "$a" dev "$DPR_IF_H1")
    if grep -qE "^$a lladdr $DPR_R1_MAC router (REACHABLE|STALE|DELAY)" <<<"$e"; then pass "h1: ip -6 neigh: $e"
    else fail "h1: expected '$a lladdr $DPR_R1_MAC router REACHABLE|STALE'" "$(in_h1 ip -6 neigh show dev "$DPR_IF_H1")"; fi
}
h1_has_router "$R1"
# The router may have resolved h1 in turn, with an NS from its link-local address carrying its MAC, which
# gives h1 a (STALE) entry for that address: flush again so that h1 must resolve the link-local itself.
in_h1 ip -6 neigh flush dev "$DPR_IF_H1"
check "ping -6 h1 -> router $DPR_R1_LL6%$DPR_IF_H1 (h1 resolves it)" ping6_ok "$DPR_NS_H1" "$DPR_R1_LL6%$DPR_IF_H1" 2
check "ping -6 h1 -> h2 (h1 uses its default gateway $DPR_R1_LL6; the router resolves h2)" ping6_ok "$DPR_NS_H1" "$DPR_H2_ADDR6" 2
stop_capture
stop_capture_bg "$BG_CAPTURE_PID"

# RFC 4861 7.2.3: an NS with a source link-layer option SHOULD create or update the solicitor's entry,
# so the router answers h1's first echo request without a solicitation of its own.
own=$(tshark_fields "$cap" -Y "icmpv6.type == 135 && eth.src == $DPR_R1_MAC && icmpv6.nd.ns.target_address == $DPR_H1_ADDR6" -e frame.number)
if [[ -z "$own" ]]; then pass "the router learnt h1 ($DPR_H1_ADDR6) from h1's solicitation: no NS of its own for it (RFC 4861 7.2.3)"
else fail "the router solicited $DPR_H1_ADDR6 although h1's NS had told it h1's MAC (RFC 4861 7.2.3 SHOULD)" "$(tshark -n -r "$cap" 2>/dev/null | head -8)"; fi

h1_has_router "$DPR_R1_LL6"
# h2 learnt the router from its solicitation (STALE, no router flag yet: an NS has no R bit), used the
# entry for its reply (DELAY), and 5 s later confirms it with a unicast NS of its own (PROBE, RFC 4861
# 7.3.3), which the router must answer: REACHABLE with the router flag.
if lab_wait_for 12 bash -c "ip netns exec '$DPR_NS_H2' ip -6 neigh show '$DPR_R2_LL6' dev '$DPR_IF_H2' | grep -q '^$DPR_R2_LL6 lladdr $DPR_R2_MAC router REACHABLE'"; then
    pass "h2: ip -6 neigh: $(in_h2 ip -6 neigh show "$DPR_R2_LL6" dev "$DPR_IF_H2") (after h2's unicast probe was answered)"
else
    fail "h2: expected '$DPR_R2_LL6 lladdr $DPR_R2_MAC router REACHABLE' within 12 s (h2's unicast NUD probe answered)" \
        "$(in_h2 ip -6 neigh show dev "$DPR_IF_H2")"
fi

# The router's advertisements in answer to h1's multicast solicitations: from the target, to h1, flags
# R S O, target link-layer option = the router's MAC, hop limit 255 (RFC 4861 7.2.4, 4.4).
na=$(tshark_fields "$cap" -Y "icmpv6.type == 136 && eth.src == $DPR_R1_MAC" -e ipv6.src -e icmpv6.nd.na.target_address \
    -e ipv6.hlim -e icmpv6.nd.na.flag.r -e icmpv6.nd.na.flag.s -e icmpv6.nd.na.flag.o -e icmpv6.opt.target_linkaddr \
    -e icmpv6.checksum.status -e ipv6.dst | sed 's/\tTrue/\t1/g; s/\tFalse/\t0/g')
for a in "$R1" "$DPR_R1_LL6"; do
    line=$(awk -F'\t' -v a="$a" '$2 == a' <<<"$na" | head -1)
    IFS=$'\t' read -r src tgt hl r s o tll ck dst <<<"$line"
    if [[ $src == "$a" && $hl == 255 && $r == 1 && $s == 1 && $o == 1 && $tll == "$DPR_R1_MAC" && $ck == 1 && ($dst == "$DPR_H1_ADDR6" || $dst == "$DPR_H1_LL6") ]]; then
        pass "NA for $a: from $a to $dst, hop limit 255, flags R S O, target link-layer $tll, checksum good"
    else
        fail "NA for $a: expected from $a to h1, hop limit 255, R S O set, target link-layer $DPR_R1_MAC, checksum good" \
            "src target hlim R S O tll checksum dst:"$'\n'"$na"
    fi
done

# The router resolved h2 itself (h2's cache was empty and h2 had sent nothing).
ns=$(tshark_fields "$cap2" -Y "icmpv6.type == 135 && eth.src == $DPR_R2_MAC" -e eth.dst -e ipv6.src -e ipv6.dst \
    -e icmpv6.nd.ns.target_address -e ipv6.hlim -e icmpv6.opt.src_linkaddr -e icmpv6.checksum.status | head -1)
want=$(printf '33:33:ff:00:00:02\t%s\tff02::1:ff00:2\t%s\t255\t%s\t1' "$DPR_R2_LL6" "$DPR_H2_ADDR6" "$DPR_R2_MAC")
if [[ "$ns" == "$want" ]]; then
    pass "router's NS for h2: multicast to ff02::1:ff00:2 from $DPR_R2_LL6, hop limit 255, source link-layer $DPR_R2_MAC, checksum good"
else
    fail "router's NS for h2: expected (eth.dst src dst target hlim sll checksum)"$'\n'"$want" "$ns"
fi

# The router's own neighbour table (DPDK telemetry): both hosts, with their MACs.
if [[ -z "${LAB_SKIP_TELEMETRY:-}" ]]; then
    nb=$(tel_query /dprouter/neighbors)
    for t in "$DPR_H1_ADDR6 $DPR_H1_MAC" "$DPR_H2_ADDR6 $DPR_H2_MAC"; do
        read -r a mac <<<"$t"
        if "$LAB_PY" -c 'import json, sys
d = json.loads(sys.argv[1])["/dprouter/neighbors"]
items = d if isinstance(d, list) else [f"{k} {v}" for k, v in d.items()]
sys.exit(0 if any(sys.argv[2] in str(e).split() and sys.argv[3] in str(e) for e in items) else 1)' "$nb" "$a" "$mac" 2>/dev/null; then
            pass "/dprouter/neighbors has $a at $mac"
        else
            fail "/dprouter/neighbors should list $a with $mac" "$nb"
        fi
    done
fi

# Crafted solicitations from h1 (scapy), each with h1's MAC in the source link-layer option.
ns_h1() {  # ns_h1 NAME ETH-DST 'IPv6(...)' TARGET: send one NS, capture what the router answers
    local name=$1 edst=$2 ip=$3 tgt=$4
    CAP="$LAB_TMP/$name.pcap"
    start_capture "$DPR_NS_H1" "$DPR_IF_H1" "$CAP" "icmp6 and ip6[40] == 136 and ether src $DPR_R1_MAC" || fatal "tcpdump"
    sendf_ok "$DPR_NS_H1" pkt --iface "$DPR_IF_H1" --dst-mac "$edst" \
        --ip "$ip/ICMPv6ND_NS(tgt='$tgt')/ICMPv6NDOptSrcLLAddr(lladdr='$DPR_H1_MAC')"
    sleep 0.5
    stop_capture
    NA=$(tshark_fields "$CAP" -e ipv6.src -e ipv6.dst -e icmpv6.nd.na.target_address -e icmpv6.nd.na.flag.s \
        -e icmpv6.checksum.status | sed 's/\tTrue/\t1/g; s/\tFalse/\t0/g')
}
ns_h1 unicast "$DPR_R1_MAC" "IPv6(src='$DPR_H1_ADDR6', dst='$R1', hlim=255)" "$R1"
if [[ "$NA" == "$R1"$'\t'"$DPR_H1_ADDR6"$'\t'"$R1"$'\t'1$'\t'1 ]]; then pass "unicast NS for $R1 answered: solicited NA to h1"
else fail "unicast NS for $R1: expected one solicited NA from $R1 to $DPR_H1_ADDR6" "$NA"; fi

ns_h1 hlim254 33:33:ff:00:00:01 "IPv6(src='$DPR_H1_ADDR6', dst='ff02::1:ff00:1', hlim=254)" "$R1"
if [[ -z "$NA" ]]; then pass "NS with hop limit 254 ignored (RFC 4861 7.1.1)"; else fail "NS with hop limit 254 was answered" "$NA"; fi

ns_h1 notours 33:33:ff:00:00:77 "IPv6(src='$DPR_H1_ADDR6', dst='ff02::1:ff00:77', hlim=255)" 2001:db8:1::77
if [[ -z "$NA" ]]; then pass "NS for 2001:db8:1::77 (not ours) not answered"; else fail "NS for an address not ours was answered" "$NA"; fi

ns_h1 wanonlan 33:33:ff:00:00:01 "IPv6(src='$DPR_H1_ADDR6', dst='ff02::1:ff00:1', hlim=255)" "$DPR_R2_ADDR6"
if [[ -z "$NA" ]]; then pass "NS on the lan for the wan address $DPR_R2_ADDR6 not answered (not an address of that link)"
else fail "NS on the lan for the wan address was answered" "$NA"; fi

# DAD probe (RFC 4862 5.4.2, RFC 4861 7.2.4): source ::, no link-layer option; the owner answers to
# all-nodes with S clear.
CAP="$LAB_TMP/dad.pcap"
start_capture "$DPR_NS_H1" "$DPR_IF_H1" "$CAP" "icmp6 and ip6[40] == 136 and ether src $DPR_R1_MAC" || fatal "tcpdump"
sendf_ok "$DPR_NS_H1" pkt --iface "$DPR_IF_H1" --dst-mac 33:33:ff:00:00:01 \
    --ip "IPv6(src='::', dst='ff02::1:ff00:1', hlim=255)/ICMPv6ND_NS(tgt='$R1')"
sleep 0.5
stop_capture
NA=$(tshark_fields "$CAP" -e eth.dst -e ipv6.src -e ipv6.dst -e icmpv6.nd.na.target_address -e icmpv6.nd.na.flag.s \
    -e icmpv6.nd.na.flag.o -e icmpv6.opt.target_linkaddr -e icmpv6.checksum.status | sed 's/\tTrue/\t1/g; s/\tFalse/\t0/g')
if [[ "$NA" == 33:33:00:00:00:01$'\t'"$R1"$'\t'ff02::1$'\t'"$R1"$'\t'0$'\t'1$'\t'"$DPR_R1_MAC"$'\t'1 ]]; then
    pass "DAD probe for $R1 answered to ff02::1 with S clear, O set and the target link-layer option"
else
    fail "DAD probe for $R1: expected one NA to ff02::1 (eth 33:33:00:00:00:01), S=0, O=1, tll $DPR_R1_MAC" "$NA"
fi

check "router still running" router_alive
check "router stops cleanly on SIGTERM (exit 0)" router_stop
finish
