#!/usr/bin/env bash
# shellcheck disable=SC2034  # ROUTER_LOG, DPR_LAB_PMD: read by scripts/lab-lib.sh
# What the router must not forward: frames to a MAC that is not its own, IP headers with a bad checksum,
# destinations on unreachable/blackhole/prohibit routes.
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
lab_test_router

# Warm up ARP both ways so crafted frames are not held (or lost) waiting for resolution.
check "warm-up ping h1 -> h2" ping_ok "$DPR_NS_H1" "$DPR_H2_ADDR" 2

# ICMP ids of the crafted echo requests; every one distinct.
ID_FOREIGN=4101 ID_CONTROL=4102 ID_BADSUM=4103 ID_GOODSUM=4104 ID_BCAST=4105
cap="$LAB_TMP/drops.pcap"
have_tel=0
if tel_snapshot "$LAB_TMP/tel0.json"; then have_tel=1; elif [[ -z "${LAB_SKIP_TELEMETRY:-}" ]]; then fail "telemetry /dprouter/stats" "$(cat "$LAB_TMP/tel0.json")"; fi
if start_capture "$DPR_NS_H2" "$DPR_IF_H2" "$cap" "icmp and icmp[icmptype] = icmp-echo"; then
    sendf_ok "$DPR_NS_H1" icmp --iface "$DPR_IF_H1" --dst "$DPR_H2_ADDR" --dst-mac 02:00:00:00:99:99 --id $ID_FOREIGN --count 3
    sendf_ok "$DPR_NS_H1" icmp --iface "$DPR_IF_H1" --dst "$DPR_H2_ADDR" --dst-mac "$DPR_R1_MAC" --id $ID_CONTROL --count 3
    sendf_ok "$DPR_NS_H1" icmp --iface "$DPR_IF_H1" --dst "$DPR_H2_ADDR" --dst-mac "$DPR_R1_MAC" --id $ID_BADSUM --count 3 --bad-checksum
    sendf_ok "$DPR_NS_H1" icmp --iface "$DPR_IF_H1" --dst "$DPR_H2_ADDR" --dst-mac "$DPR_R1_MAC" --id $ID_GOODSUM --count 3
    # RFC 1812 5.3.4: a unicast datagram in a link-layer broadcast frame is never forwarded.
    sendf_ok "$DPR_NS_H1" icmp --iface "$DPR_IF_H1" --dst "$DPR_H2_ADDR" --dst-mac ff:ff:ff:ff:ff:ff --id $ID_BCAST --count 3
    sleep 0.5
    stop_capture
    ids=$(tshark_fields "$cap" -e icmp.ident | tr -d ' ' | sort | uniq -c)
    count_id() { local n; n=$(tshark_fields "$cap" -e icmp.ident | grep -cx "$1"); echo "${n:-0}"; }
    n_foreign=$(count_id $ID_FOREIGN); n_control=$(count_id $ID_CONTROL)
    n_bad=$(count_id $ID_BADSUM); n_good=$(count_id $ID_GOODSUM); n_bcast=$(count_id $ID_BCAST)
    detail="echo requests captured at h2 by ICMP id (count id):"$'\n'"${ids:-(none)}"
    if ((n_control == 3)); then pass "control: 3 frames to the router MAC forwarded to h2"; else fail "control: expected 3 frames with id $ID_CONTROL at h2, saw $n_control" "$detail"; fi
    if ((n_foreign == 0)); then pass "frames to foreign MAC 02:00:00:00:99:99 not forwarded"; else fail "frames to foreign MAC 02:00:00:00:99:99 were forwarded ($n_foreign of 3)" "$detail"; fi
    if ((n_good == 3)); then pass "good-checksum control forwarded (3)"; else fail "expected 3 good-checksum frames with id $ID_GOODSUM at h2, saw $n_good" "$detail"; fi
    if ((n_bad == 0)); then pass "bad IP header checksum not forwarded"; else fail "packets with a bad IP header checksum were forwarded ($n_bad of 3)" "$detail"; fi
    if ((n_bcast == 0)); then pass "unicast IP in a broadcast frame not forwarded"; else fail "unicast IP in an Ethernet broadcast frame was forwarded ($n_bcast of 3; RFC 1812 5.3.4)" "$detail"; fi
    # anything forwarded must have TTL 63 (scapy sent 64) and a good checksum
    f=$(tshark_fields "$cap" -o ip.check_checksum:TRUE -e icmp.ident -e ip.ttl -e ip.checksum.status)
    if ! awk -F'\t' '$2 != 63 || $3 != 1' <<<"$f" | grep -q .; then
        pass "forwarded crafted frames have TTL 63 and a good checksum"
    else
        fail "forwarded crafted frames should have TTL 63 and a good checksum" "id ttl cksum-status:"$'\n'"$f"
    fi
    if ((have_tel)) && tel_snapshot "$LAB_TMP/tel1.json"; then
        expect_delta "$LAB_TMP/tel0.json" "$LAB_TMP/tel1.json" drops.eth_foreign_unicast 3 3
        expect_delta "$LAB_TMP/tel0.json" "$LAB_TMP/tel1.json" drops.ipv4_bad_checksum 3 3
        expect_delta "$LAB_TMP/tel0.json" "$LAB_TMP/tel1.json" drops.link_broadcast_not_forwarded 3 3
        expect_delta "$LAB_TMP/tel0.json" "$LAB_TMP/tel1.json" events.forwarded 6
    fi
else
    fail "tcpdump on $DPR_IF_H2"
fi

# Routes that do not forward: no echo reply (ICMP errors are checked elsewhere).
check "ping 10.66.0.1 (unreachable route): no echo reply" ping_none "$DPR_NS_H1" 10.66.0.1 2
check "ping 10.67.0.1 (blackhole route): no echo reply" ping_none "$DPR_NS_H1" 10.67.0.1 2
check "ping 10.68.0.1 (prohibit route): no echo reply" ping_none "$DPR_NS_H1" 10.68.0.1 2
# No route at all (the lab config has no default route).
check "ping 192.0.2.1 (no route): no echo reply" ping_none "$DPR_NS_H1" 192.0.2.1 2
# Nothing for those destinations may leave on the wan side.
cap3="$LAB_TMP/unreach.pcap"
if start_capture "$DPR_NS_H2" "$DPR_IF_H2" "$cap3" "icmp and (net 10.66.0.0/16 or net 10.67.0.0/16 or net 10.68.0.0/16 or host 192.0.2.1)"; then
    for d in 10.66.0.1 10.67.0.1 10.68.0.1 192.0.2.1; do in_h1 ping -n -c 1 -W 1 "$d" >/dev/null 2>&1; done
    stop_capture
    n=$(tshark_fields "$cap3" -e frame.number | grep -c .)
    if ((n == 0)); then pass "no packet for unreachable/blackhole/prohibit/no-route destinations leaves on wan"; else fail "$n packet(s) to non-forwarded destinations appeared on wan" "$(tshark -r "$cap3" -n 2>/dev/null)"; fi
else
    fail "tcpdump on $DPR_IF_H2"
fi

if ((have_tel)) && tel_snapshot "$LAB_TMP/tel2.json"; then
    # 2 pings each from ping_none plus 1 each during the capture
    expect_delta "$LAB_TMP/tel1.json" "$LAB_TMP/tel2.json" drops.route_unreachable 3 3
    expect_delta "$LAB_TMP/tel1.json" "$LAB_TMP/tel2.json" drops.route_blackhole 3 3
    expect_delta "$LAB_TMP/tel1.json" "$LAB_TMP/tel2.json" drops.route_prohibit 3 3
    expect_delta "$LAB_TMP/tel1.json" "$LAB_TMP/tel2.json" drops.no_route 3 3
fi

check "forwarding still works afterwards" ping_ok "$DPR_NS_H1" "$DPR_H2_ADDR" 3
check "router stops cleanly on SIGTERM (exit 0)" router_stop
finish
