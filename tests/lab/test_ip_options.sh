#!/usr/bin/env bash
# shellcheck disable=SC2034  # ROUTER_LOG, DPR_LAB_PMD: read by scripts/lab-lib.sh
# IP options the router fills in (RFC 791 3.1, RFC 1812 5.3.13.5/6, RFC 1122 3.2.2.6), seen by real
# tools: `ping -R` (Record Route) and `ping -T` (Internet Timestamp) through the router and to it, a
# crafted datagram whose options are decoded by tshark on the far side, and parameter problems for
# options that cannot be filled in (pointer 22/23: the octet at fault), quoting the datagram as sent.
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
lab_test_router
H1=$DPR_H1_ADDR H2=$DPR_H2_ADDR R1=$DPR_R1_ADDR R2=$DPR_R2_ADDR
check "warm-up ping h1 -> h2" ping_ok "$DPR_NS_H1" "$H2" 2
check "warm-up ping h2 -> h1" ping_ok "$DPR_NS_H2" "$H1" 2
have_tel=0; tel_snapshot "$LAB_TMP/t0.json" && have_tel=1

# The addresses a ping's reply reports under "RR:" (iputils prints one per line), space-separated.
recorded_route() { awk '/^RR:/ {rr = 1; sub(/^RR:/, "")} rr && NF == 0 {rr = 0} rr {printf "%s ", $1}' <<<"$1"; }
# expect_rr DESC NS DST EXPECTED: `ping -R` from NS to DST answered, with exactly EXPECTED recorded.
expect_rr() {
    local desc=$1 ns=$2 dst=$3 want=$4 out got
    out=$(ip netns exec "$ns" ping -n -R -c 1 -W 2 "$dst" 2>&1)
    got=$(recorded_route "$out")
    if grep -q " 0% packet loss" <<<"$out" && [[ "$got" == "$want " ]]; then
        pass "$desc: RR $want"
    else
        fail "$desc: expected a reply recording $want" "$out"
    fi
}

# --- Record Route ---------------------------------------------------------------------------------
# Each Linux host records itself when it sends and, as destination, on receipt and in the reply; the
# router records the address of the interface each way leaves by.
expect_rr "ping -R h1 -> h2 (router: $R2 out, $R1 back)" "$DPR_NS_H1" "$H2" "$H1 $R2 $H2 $H2 $R1 $H1"
expect_rr "ping -R h2 -> h1 (router: $R1 out, $R2 back)" "$DPR_NS_H2" "$H1" "$H2 $R1 $H1 $H1 $R2 $H2"
# An echo reply of the router's own: the pinged address, once (RFC 1122 3.2.2.6).
expect_rr "ping -R h1 -> router $R1" "$DPR_NS_H1" "$R1" "$H1 $R1 $H1"
expect_rr "ping -R h1 -> router far address $R2" "$DPR_NS_H1" "$R2" "$H1 $R2 $H1"

# --- Internet Timestamp ---------------------------------------------------------------------------
# tsonly: six stamps (h1, router, h2 twice, router, h1), in milliseconds since midnight UT: the first
# is close to the clock of this machine, and each later one within a second of the one before.
utc_ms=$(( ($(date -u +%s%3N)) % 86400000 ))
out=$(in_h1 ping -n -T tsonly -c 1 -W 2 "$H2" 2>&1)
stamps=$(awk '/^TS:/ {ts = 1; sub(/^TS:/, "")} ts && NF == 0 {ts = 0} ts {print $1}' <<<"$out")
first=$(head -n 1 <<<"$stamps")
if grep -q " 0% packet loss" <<<"$out" && [[ $(wc -l <<<"$stamps") -eq 6 ]] &&
        (( first - utc_ms > -2000 && first - utc_ms < 5000 )) &&
        ! tail -n +2 <<<"$stamps" | awk '$1 < -1000 || $1 > 1000 {bad = 1} END {exit !bad}'; then
    pass "ping -T tsonly h1 -> h2: 6 timestamps, ms since midnight UT ($first, clock here $utc_ms)"
else
    fail "ping -T tsonly h1 -> h2: expected 6 timestamps near $utc_ms ms since midnight UT" "$out"
fi

# tsandaddr: room for four entries: h1, the router's wan address, h2 twice. On the way back the area
# is full: the router counts itself in the overflow, and so does h1: two unrecorded hops.
# The addresses of a ping's reply's "TS:" entries (tsandaddr), space-separated.
stamped_addresses() { awk '/^TS:/ {ts = 1; sub(/^TS:/, "")} ts && $1 !~ /^[0-9.]+$/ {ts = 0} ts && NF >= 2 {printf "%s ", $1}' <<<"$1"; }
out=$(in_h1 ping -n -T tsandaddr -c 1 -W 2 "$H2" 2>&1)
addrs=$(stamped_addresses "$out")
if grep -q " 0% packet loss" <<<"$out" && [[ "$addrs" == "$H1 $R2 $H2 $H2 " ]] && grep -q "Unrecorded hops: 2" <<<"$out"; then
    pass "ping -T tsandaddr h1 -> h2: $H1 $R2 $H2 $H2, then 2 unrecorded hops (router and h1)"
else
    fail "ping -T tsandaddr h1 -> h2: expected entries $H1 $R2 $H2 $H2 and 'Unrecorded hops: 2'" "$out"
fi

out=$(in_h1 ping -n -T tsandaddr -c 1 -W 2 "$R1" 2>&1)
addrs=$(stamped_addresses "$out")
if grep -q " 0% packet loss" <<<"$out" && [[ "$addrs" == "$H1 $R1 $H1 " ]]; then
    pass "ping -T tsandaddr h1 -> router $R1: $H1 $R1 $H1"
else
    fail "ping -T tsandaddr h1 -> router $R1: expected entries $H1 $R1 $H1" "$out"
fi

# --- a crafted datagram, decoded where it arrives -----------------------------------------------------
# Record Route with two free slots, timestamp-and-address with two, and an unknown option that must
# travel on unchanged; at h2: pointers moved on by one entry, the router's wan address in both, TTL
# one less, header checksum good, the unknown option's octets as sent.
cap="$LAB_TMP/transit.pcap"
start_capture "$DPR_NS_H2" "$DPR_IF_H2" "$cap" "udp and dst port 33999" || fatal "tcpdump"
px_h1 --ip "IP(dst='$H2', id=3001, ttl=20, options=[IPOption(b'\\x07\\x0b\\x04' + bytes(8)), IPOption(b'\\x44\\x14\\x05\\x01' + bytes(16)), IPOption(b'\\x9e\\x04\\xab\\xcd'), IPOption(b'\\x00')])/UDP(sport=5001, dport=33999)/Raw(b'o'*64)"
stop_capture
f=$(tshark_fields "$cap" -o ip.check_checksum:TRUE -e ip.ttl -e ip.checksum.status -e ip.opt.ptr \
    -e ip.rec_rt -e ip.opt.time_stamp_addr -e ip.hdr_len | tr '\t' ' ')
# The unknown option sits after RR (11 octets) and TS (20) in the header (20), behind Ethernet (14).
raw=$("$LAB_PY" -c 'import sys; from scapy.all import rdpcap
print(sum(bytes(p)[65:69] == bytes.fromhex("9e04abcd") for p in rdpcap(sys.argv[1])))' "$cap" 2>&1)
want="19 1 8,13 $R2 $R2,0.0.0.0 56"
if [[ "$f" == "$want" && "$raw" -ge 1 ]]; then
    pass "transit RR + TS + unknown option: pointers 8 and 13, $R2 recorded in both, TTL 19, checksum good, unknown option intact"
else
    fail "transit RR + TS at h2: expected ttl cksum pointers rr ts-addrs hdrlen = $want, and 9e 04 ab cd in the header" "$f (unknown option seen: $raw)"
fi

# --- parameter problems ------------------------------------------------------------------------------
expect_param_problem() {
    local desc=$1 pointer=$2 opt=$3 name=$4 out
    local sent="$LAB_TMP/$name.hex" cap="$LAB_TMP/$name.pcap"
    start_capture "$DPR_NS_H1" "$DPR_IF_H1" "$cap" "icmp and ether src $DPR_R1_MAC" || fatal "tcpdump"
    px_h1 --save "$sent" --ip "IP(dst='$H2', id=4001, options=[IPOption($opt)])/UDP(sport=5002, dport=33434)/Raw(b'p'*40)"
    stop_capture
    if out=$(icmp_check --pcap "$cap" --type 12 --code 0 --count 1 --src "$R1" --dst "$H1" --sent "$sent" \
            --word2 "$(printf '0x%02x000000' "$pointer")" 2>&1); then
        pass "$desc: parameter problem pointing at octet $pointer, quote as sent"
    else
        fail "$desc: expected parameter problem 12/0 pointer $pointer from $R1" "$out"
    fi
}
expect_param_problem "RR with pointer 3" 22 "b'\\x07\\x07\\x03' + bytes(5)" rr_ptr
expect_param_problem "RR with 3 octets left for an address" 22 "b'\\x07\\x0b\\x09' + bytes(8)" rr_room
expect_param_problem "TS whose overflow counter is full (15) and area too" 23 "b'\\x44\\x08\\x09\\xf0' + bytes(4)" ts_oflw
expect_param_problem "TS with undefined flags 2" 23 "b'\\x44\\x0c\\x05\\x02' + bytes(8)" ts_flags

if ((have_tel)) && tel_snapshot "$LAB_TMP/t1.json"; then
    expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" drops.ipv4_bad_options 4 4
fi

check "router still running" router_alive
check "router stops cleanly on SIGTERM (exit 0)" router_stop
finish
