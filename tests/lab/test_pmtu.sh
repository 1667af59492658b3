#!/usr/bin/env bash
# shellcheck disable=SC2034  # ROUTER_LOG, DPR_LAB_PMD: read by scripts/lab-lib.sh
# MTU handling with the wan link at 1300 (both ends): fragmentation of DF-clear datagrams (RFC 791,
# RFC 1812 5.2.6), frag needed for DF datagrams (RFC 1191: 3/4 with the next-hop MTU), Path MTU Discovery
# as a Linux host sees it (ip route get, tracepath, TCP). Fragments the router receives (re-fragmenting
# them, TTL expiry) are in test_fragments_wire.sh.
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
MTU=1300
in_h2 ip link set "$DPR_IF_H2" mtu $MTU || fatal "set h2 mtu $MTU"   # one link, one MTU: the router sets r-h2 to 1300 as well
cfg="$LAB_TMP/lab-mtu.yaml"
cfg_variant "$cfg" --mtu wan=$MTU
lab_test_router "$cfg"
H1=$DPR_H1_ADDR H2=$DPR_H2_ADDR R1=$DPR_R1_ADDR
check "warm-up ping h1 -> h2" ping_ok "$DPR_NS_H1" "$H2" 2
have_tel=0; tel_snapshot "$LAB_TMP/t0.json" && have_tel=1

# --- fragmentation --------------------------------------------------------------------------------
cap="$LAB_TMP/frag.pcap" sent="$LAB_TMP/frag.hex"
start_capture "$DPR_NS_H2" "$DPR_IF_H2" "$cap" "ip and src host $H1" || fatal "tcpdump"
px_h1 --save "$sent" \
    --ip "IP(dst='$H2', id=4001, tos=0x28)/UDP(sport=6001, dport=9)/Raw(bytes(range(256))*5 + b'tail')" \
    --ip "IP(dst='$H2', id=4002, options=[IPOption(b'\\x9e\\x04\\xaa\\xbb'), IPOption(b'\\x1e\\x04\\xcc\\xdd')])/UDP(sport=6002, dport=9)/Raw(b'o'*1400)" \
    --ip "IP(dst='$H2', id=4003)/UDP(sport=6003, dport=9)/Raw(b'e'*($MTU - 28))" \
    --ip "IP(dst='$H2', id=4004)/ICMP(type=8, id=4004)/Raw(b'i'*1465)"
stop_capture
out=$(frag_check --pcap "$cap" --sent "$sent" --mtu $MTU 2>&1)
if [[ $? -eq 0 ]]; then pass "DF-clear datagrams over $MTU fragmented right (sizes, offsets, MF, TTL, checksums, copied options only); exactly $MTU bytes not fragmented"; else fail "fragmentation" "$out"; fi
check "ping -M dont -s 1400 h1 -> h2 (fragmented by the router), 0% loss" ping_ok "$DPR_NS_H1" "$H2" 3 -M dont -s 1400
if ((have_tel)) && tel_snapshot "$LAB_TMP/t1.json"; then
    expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" events.fragmented 6
    expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" events.fragments_created 12
fi

# --- frag needed ----------------------------------------------------------------------------------
cap="$LAB_TMP/fn-h1.pcap" cap2="$LAB_TMP/fn-h2.pcap"
start_capture "$DPR_NS_H2" "$DPR_IF_H2" "$cap2" "ip and src host $H1" || fatal "tcpdump"
start_capture_h1() { start_capture "$DPR_NS_H1" "$DPR_IF_H1" "$cap" "icmp and ether src $DPR_R1_MAC"; }
# two captures at once: keep the h2 one's pid aside
CAP2_PID=$CAPTURE_PID; CAPTURE_PID=""
start_capture_h1 || fatal "tcpdump"
px_h1 --save "$LAB_TMP/fit.hex"  --ip "IP(dst='$H2', id=4101, flags='DF')/UDP(sport=6004, dport=9)/Raw(b'f'*($MTU - 28))"
px_h1 --save "$LAB_TMP/over.hex" --ip "IP(dst='$H2', id=4102, flags='DF')/UDP(sport=6005, dport=9)/Raw(b'g'*($MTU - 27))"
px_h1 --save "$LAB_TMP/over.hex" --ip "IP(dst='$H2', id=4103, flags='DF', tos=0x04)/TCP(sport=6006, dport=80, flags='A')/Raw(b'h'*1440)"
stop_capture
CAPTURE_PID=$CAP2_PID; stop_capture
n_fit=$(tshark_fields "$cap2" -Y "ip.id == 4101" -e ip.len); n_over=$(tshark_fields "$cap2" -Y "ip.id == 4102 || ip.id == 4103" -e ip.len)
if [[ "$n_fit" == "$MTU" ]]; then pass "DF datagram of exactly $MTU bytes forwarded whole"; else fail "DF datagram of exactly $MTU bytes: expected it whole at h2" "ip.len seen: '$n_fit'"; fi
if [[ -z "$n_over" ]]; then pass "DF datagrams over $MTU not forwarded"; else fail "DF datagrams over $MTU reached h2" "$n_over"; fi
out=$(icmp_check --pcap "$cap" --type 3 --code 4 --count 2 --src "$R1" --dst "$H1" --word2 "0x$(printf '%08x' $MTU)" --sent "$LAB_TMP/over.hex" 2>&1)
if [[ $? -eq 0 ]]; then pass "frag needed 3/4 with next-hop MTU $MTU (word 0x$(printf '%08x' $MTU)) for 1301 and 1480 bytes"; else fail "frag needed" "$out"; fi

# --- Path MTU Discovery from a Linux host ---------------------------------------------------------
in_h1 ip route flush cache >/dev/null 2>&1
out=$(in_h1 ping -n -c 1 -W 2 -M "do" -s 1400 "$H2" 2>&1)
if grep -q "Frag needed and DF set (mtu = $MTU)" <<<"$out"; then pass "ping -M do -s 1400: 'Frag needed and DF set (mtu = $MTU)'"; else fail "ping -M do -s 1400: expected Frag needed (mtu = $MTU)" "$out"; fi
out=$(in_h1 ip route get "$H2" 2>&1)
if grep -q "mtu $MTU" <<<"$out"; then pass "h1 caches the path MTU: ip route get shows mtu $MTU"; else fail "ip route get $H2: expected mtu $MTU" "$out"; fi
in_h1 ip route flush cache >/dev/null 2>&1
out=$(in_h1 timeout 20 tracepath -n -m 5 "$H2" 2>&1)
if grep -q "pmtu $MTU" <<<"$(tail -n 2 <<<"$out")" && grep -q "reached" <<<"$out"; then pass "tracepath reaches $H2 with pmtu $MTU"; else fail "tracepath -n $H2: expected 'reached' and final pmtu $MTU" "$out"; fi
check "ping -M do -s $((MTU - 28)) (exactly the MTU) h1 -> h2" ping_ok "$DPR_NS_H1" "$H2" 3 -M "do" -s $((MTU - 28))

# TCP with DF across the smaller hop, both ways
in_h1 ip route flush cache >/dev/null 2>&1
head -c 400000 /dev/urandom >"$LAB_TMP/blob"
tcp_copy() {  # FROM-NS TO-NS TO-ADDR
    local from=$1 to=$2 addr=$3
    rm -f "$LAB_TMP/blob.out"
    ip netns exec "$to" timeout 20 nc -l 5001 >"$LAB_TMP/blob.out" &
    local lpid=$!
    lab_wait_for 5 ip netns exec "$to" sh -c "ss -ltn | grep -q ':5001 '"
    ip netns exec "$from" timeout 15 nc -N -w 5 "$addr" 5001 <"$LAB_TMP/blob"
    local rc=$?
    wait $lpid
    [[ $rc -eq 0 ]] && cmp -s "$LAB_TMP/blob" "$LAB_TMP/blob.out"
}
check "TCP 400 kB h2 -> h1 across the $MTU link, intact" tcp_copy "$DPR_NS_H2" "$DPR_NS_H1" "$H1"
# For PMTUD proper, h2 must advertise an MSS above the path MTU: give h2-eth0 1500 for a moment (only
# h2's small ACKs cross the wan towards the router, so the mismatch does not matter in this direction).
in_h2 ip link set "$DPR_IF_H2" mtu 1500 || fatal "set h2 mtu 1500"
in_h1 ip route flush cache >/dev/null 2>&1
check "TCP 400 kB h1 -> h2 (MSS 1460, DF) through the $MTU hop: PMTUD, intact" tcp_copy "$DPR_NS_H1" "$DPR_NS_H2" "$H2"
out=$(in_h1 ip route get "$H2" 2>&1)
grep -q "mtu $MTU" <<<"$out" && pass "after the transfer, h1's route to h2 has mtu $MTU" || fail "after TCP with MSS 1460, expected h1 to cache mtu $MTU" "$out"
in_h2 ip link set "$DPR_IF_H2" mtu $MTU || fatal "set h2 mtu $MTU"
check "router stops cleanly on SIGTERM (exit 0)" router_stop

finish
