#!/usr/bin/env bash
# shellcheck disable=SC2034  # ROUTER_LOG, DPR_LAB_PMD: read by scripts/lab-lib.sh
# IPv6 through and to the router with ping -6 (RFC 8200 3, RFC 4443 4): pings both ways between the
# hosts and to every router address (global on both ports, link-local on the host's own link); at h2
# the forwarded echo requests have their hop limit decremented by exactly one and everything else
# (traffic class, payload, ICMPv6 checksum) as h1 sent it; the router's echo replies come from the
# pinged address with hop limit 64, a valid checksum and the request's data.
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
lab_test_router

check "ping -6 h1 -> h2 ($DPR_H2_ADDR6), 5 pings, 0% loss" ping6_ok "$DPR_NS_H1" "$DPR_H2_ADDR6" 5
check "ping -6 h2 -> h1 ($DPR_H1_ADDR6), 5 pings, 0% loss" ping6_ok "$DPR_NS_H2" "$DPR_H1_ADDR6" 5
check "ping -6 h1 -> h2 with 1452 bytes of data (a 1500-byte packet, the lan and wan MTU)" \
    ping6_ok "$DPR_NS_H1" "$DPR_H2_ADDR6" 3 -s 1452 -M do
check "ping -6 h2 -> h1 with 1452 bytes of data" ping6_ok "$DPR_NS_H2" "$DPR_H1_ADDR6" 3 -s 1452 -M do

# Every router address from each host: both global addresses (the far one through the router's own
# delivery, not forwarding) and the link-local address of the host's own link (with its zone).
for t in "$DPR_NS_H1 $DPR_IF_H1 $DPR_R1_ADDR6" "$DPR_NS_H1 $DPR_IF_H1 $DPR_R2_ADDR6" "$DPR_NS_H1 $DPR_IF_H1 $DPR_R1_LL6%$DPR_IF_H1" \
    "$DPR_NS_H2 $DPR_IF_H2 $DPR_R2_ADDR6" "$DPR_NS_H2 $DPR_IF_H2 $DPR_R1_ADDR6" "$DPR_NS_H2 $DPR_IF_H2 $DPR_R2_LL6%$DPR_IF_H2"; do
    read -r ns ifname dst <<<"$t"
    check "ping -6 ${ns#"$DPR_LAB_PREFIX"} -> router $dst, 0% loss" ping6_ok "$ns" "$dst" 3
    # The replies as they arrive: from the pinged address, hop limit 64 (RFC 4443 4.2 and 2.2(a);
    # the router is the first hop, so nothing decremented it), good checksum, the request's data.
    cap="$LAB_TMP/reply-${ifname}-${dst//[:%]/_}.pcap"
    if start_capture "$ns" "$ifname" "$cap" "icmp6 and (ip6[40] == 128 or ip6[40] == 129)"; then
        out=$(ip netns exec "$ns" ping -6 -n -c 2 -i 0.2 -W 1 -w 6 -s 200 -p 5a17c3 "$dst" 2>&1)
        stop_capture
        want=${dst%%%*}
        reqs=$(tshark_fields "$cap" -Y "icmpv6.type == 128" -e data.data)
        reps=$(tshark_fields "$cap" -Y "icmpv6.type == 129" -e ipv6.src -e ipv6.hlim -e icmpv6.checksum.status -e data.data)
        n=$(grep -c . <<<"$reps")
        bad=$(awk -F'\t' -v s="$want" '$1 != s || $2 != 64 || $3 != 1' <<<"$reps" | grep -c .)
        if ((n == 2 && bad == 0)) && ! grep -q "wrong data" <<<"$out"; then
            pass "echo replies to $dst: from $want, hop limit 64, checksum good ($n)"
        else
            fail "echo replies to $dst: expected 2 from $want with hop limit 64 and a good checksum" \
                "src<TAB>hlim<TAB>checksum-status<TAB>data:"$'\n'"$reps"$'\n'"$out"
        fi
        # the data of each reply is the data of a request (ping numbers them; both carry the pattern)
        if [[ -n "$reqs" ]] && diff <(sort <<<"$reqs") <(cut -f4 <<<"$reps" | sort) >/dev/null && grep -q 5a17c35a17c3 <<<"$reqs"; then
            pass "echo replies to $dst carry the requests' 200 bytes of data unchanged"
        else
            fail "echo replies to $dst: data differs from the requests'" "requests:"$'\n'"$reqs"$'\n'"replies:"$'\n'"$(cut -f4 <<<"$reps")"
        fi
    else
        fail "tcpdump on $ns/$ifname"
    fi
done

# Forwarded echo requests at h2: hop limit 64 -> 63 exactly, traffic class 0x28 kept, checksum good
# (the hop limit is outside the ICMPv6 checksum: nothing to fix, RFC 8200 8.1), data as sent.
cap="$LAB_TMP/fwd.pcap"
if start_capture "$DPR_NS_H2" "$DPR_IF_H2" "$cap" "icmp6 and ip6[40] == 128 and src host $DPR_H1_ADDR6"; then
    out=$(in_h1 ping -6 -n -c 3 -i 0.2 -W 1 -w 8 -t 64 -Q 0x28 -s 300 -p c0ffee "$DPR_H2_ADDR6" 2>&1)
    stop_capture
    f=$(tshark_fields "$cap" -e ipv6.hlim -e ipv6.tclass -e icmpv6.checksum.status -e ipv6.plen -e data.data)
    n=$(grep -c . <<<"$f")
    bad=$(awk -F'\t' '$1 != 63 || ($2 != "0x28" && $2 != "0x00000028") || $3 != 1 || $4 != 308 || $5 !~ /c0ffeec0ffee/' <<<"$f" | grep -c .)
    if ((n == 3 && bad == 0)); then
        pass "3 echo requests sent with hop limit 64 and tclass 0x28 arrive at h2 with hop limit 63, tclass 0x28, payload length 308, checksum good"
    else
        fail "forwarded echo requests at h2: expected 3 with hlim 63, tclass 0x28, plen 308, checksum good" \
            "hlim<TAB>tclass<TAB>checksum-status<TAB>plen:"$'\n'"$(cut -f1-4 <<<"$f")"$'\n'"$out"
    fi
else
    fail "tcpdump on $DPR_IF_H2"
fi
# the replies h2 -> h1 likewise
cap="$LAB_TMP/fwd2.pcap"
if start_capture "$DPR_NS_H1" "$DPR_IF_H1" "$cap" "icmp6 and ip6[40] == 129 and src host $DPR_H2_ADDR6"; then
    in_h1 ping -6 -n -c 2 -i 0.2 -W 1 -w 6 "$DPR_H2_ADDR6" >/dev/null 2>&1
    stop_capture
    f=$(tshark_fields "$cap" -e ipv6.hlim -e icmpv6.checksum.status)
    if [[ $(grep -c . <<<"$f") == 2 ]] && ! awk -F'\t' '$1 != 63 || $2 != 1' <<<"$f" | grep -q .; then
        pass "echo replies h2 -> h1 arrive with hop limit 63 and a good checksum"
    else
        fail "echo replies h2 -> h1: expected 2 with hop limit 63 and a good checksum" "$f"
    fi
else
    fail "tcpdump on $DPR_IF_H1"
fi

# IPv4 still works beside it.
check "ping h1 -> h2 over IPv4 still works (dual-stack)" ping_ok "$DPR_NS_H1" "$DPR_H2_ADDR" 3
check "router still running" router_alive
check "router stops cleanly on SIGTERM (exit 0)" router_stop
finish
