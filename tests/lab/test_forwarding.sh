#!/usr/bin/env bash
# shellcheck disable=SC2034  # ROUTER_LOG, DPR_LAB_PMD: read by scripts/lab-lib.sh
# Forwarding between the two hosts: pings both ways; TTL decremented by exactly one with a valid header
# checksum at the far host (tcpdump capture checked with tshark).
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
lab_test_router

check "ping h1 -> h2 (10.2.0.2), 5 pings, 0% loss" ping_ok "$DPR_NS_H1" "$DPR_H2_ADDR" 5
check "ping h2 -> h1 (10.1.0.2), 5 pings, 0% loss" ping_ok "$DPR_NS_H2" "$DPR_H1_ADDR" 5

# TTL and checksum as seen at h2.
cap="$LAB_TMP/ttl.pcap"
if start_capture "$DPR_NS_H2" "$DPR_IF_H2" "$cap" "icmp and icmp[icmptype] = icmp-echo and src host $DPR_H1_ADDR"; then
    out=$(in_h1 ping -n -c 3 -i 0.2 -W 1 -w 8 -t 64 "$DPR_H2_ADDR" 2>&1)
    stop_capture
    fields=$(tshark_fields "$cap" -o ip.check_checksum:TRUE -e ip.ttl -e ip.checksum.status)
    n=$(grep -c . <<<"$fields")
    if ((n >= 1)); then pass "captured $n echo request(s) at h2"; else fail "no echo request from h1 captured at h2" "$out"; fi
    bad_ttl=$(awk -F'\t' '$1 != 63' <<<"$fields" | grep -c .)
    # tshark: ip.checksum.status 0 = bad, 1 = good, 2 = unverified
    bad_sum=$(awk -F'\t' '$2 != 1' <<<"$fields" | grep -c .)
    if ((n >= 1 && bad_ttl == 0)); then pass "TTL 64 arrives as 63 at h2"; else fail "TTL at h2 is not 63 (sent 64)" "ttl<TAB>checksum-status:"$'\n'"$fields"; fi
    if ((n >= 1 && bad_sum == 0)); then pass "IP header checksum valid at h2"; else fail "IP header checksum not good at h2 (status 0 bad, 2 unverified)" "ttl<TAB>checksum-status:"$'\n'"$fields"; fi
    # the reverse direction: replies arrive at h1 with the TTL h2 used (64) minus one
    cap2="$LAB_TMP/ttl2.pcap"
    if start_capture "$DPR_NS_H1" "$DPR_IF_H1" "$cap2" "icmp and icmp[icmptype] = icmp-echoreply and src host $DPR_H2_ADDR"; then
        in_h1 ping -n -c 2 -i 0.2 -W 1 -w 6 "$DPR_H2_ADDR" >/dev/null 2>&1
        stop_capture
        f2=$(tshark_fields "$cap2" -o ip.check_checksum:TRUE -e ip.ttl -e ip.checksum.status)
        if [[ -n "$f2" ]] && ! awk -F'\t' '$1 != 63 || $2 != 1' <<<"$f2" | grep -q .; then
            pass "echo replies h2 -> h1 arrive with TTL 63 and a good checksum"
        else
            fail "echo replies h2 -> h1: expected TTL 63 and good checksum" "$f2"
        fi
    else
        fail "tcpdump on $DPR_IF_H1"
    fi
else
    fail "tcpdump on $DPR_IF_H2"
fi

# larger packets (1400 bytes of payload) fit the 1500 MTU on both sides
check "ping h1 -> h2 with 1400-byte payload" ping_ok "$DPR_NS_H1" "$DPR_H2_ADDR" 3 -s 1400

check "router still running" router_alive
check "router stops cleanly on SIGTERM (exit 0)" router_stop
finish
