#!/usr/bin/env bash
# IPv6 Path MTU Discovery through the router (RFC 8200 5, RFC 4443 3.2, RFC 8201) with the wan MTU
# at 1400 on the router (h2 keeps 1500, as in a network whose narrow link is in the middle, so TCP
# needs PMTUD): a packet of exactly 1400 bytes passes, one of 1401 gets Packet Too Big with MTU 1400
# and is never fragmented; `ping -6 -M do -s 1452` prints "Packet too big: mtu=1400", after which
# `ip -6 route get` on h1 shows mtu 1400; tracepath -6 reports pmtu 1400; an 8 MiB TCP transfer over
# IPv6 completes through PMTUD, intact. The Packet Too Big messages are checked byte by byte
# (icmp6_check.py) and in the telemetry.
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
MTU=1400
H2=$DPR_H2_ADDR6 R1=$DPR_R1_ADDR6 H1=$DPR_H1_ADDR6
cfg="$LAB_TMP/lab-wan$MTU.yaml"
cfg_variant "$cfg" --mtu "wan=$MTU"
lab_test_router "$cfg"

route_mtu() { in_h1 ip -6 route get "$H2" 2>&1; }
in_h1 ip -6 route flush cache
out=$(route_mtu)
if ! grep -q " mtu " <<<"$out"; then pass "h1 starts with no path MTU for $H2"; else fail "h1 has a path MTU before the test" "$out"; fi
check "the router's wan veth got MTU $MTU" bash -c "ip -n '$DPR_NS_R' link show '$DPR_IF_R2' | grep -q 'mtu $MTU '"

cap="$LAB_TMP/ptb.pcap"
cap2="$LAB_TMP/h2.pcap"
start_capture "$DPR_NS_H1" "$DPR_IF_H1" "$cap" "ip6 and not (icmp6 and ip6[40] >= 133 and ip6[40] <= 137)" || fatal "tcpdump"
start_capture_bg "$DPR_NS_H2" "$DPR_IF_H2" "$cap2" "ip6 and src host $H1 and greater 1415" || fatal "tcpdump on h2"
check "ping -6 -M do with exactly $MTU bytes ($((MTU - 48)) of data) reaches h2" ping6_ok "$DPR_NS_H1" "$H2" 2 -M do -s $((MTU - 48))
out=$(in_h1 ping -6 -n -c 1 -W 2 -M do -s 1452 "$H2" 2>&1)
if grep -q "From $R1 icmp_seq=1 Packet too big: mtu=$MTU" <<<"$out"; then
    pass "ping -6 -M do -s 1452: 'From $R1 icmp_seq=1 Packet too big: mtu=$MTU'"
else
    fail "ping -6 -M do -s 1452: expected 'From $R1 icmp_seq=1 Packet too big: mtu=$MTU'" "$out"
fi
out=$(route_mtu)
if grep -q "mtu $MTU" <<<"$out"; then pass "ip -6 route get $H2 on h1 now shows mtu $MTU: $(head -1 <<<"$out" | tr -s ' ')"
else fail "ip -6 route get $H2 on h1: expected 'mtu $MTU'" "$out"; fi
out=$(in_h1 ping -6 -n -c 1 -W 2 -M do -s 1452 "$H2" 2>&1)
if grep -qE "message too long, mtu[=:] ?$MTU" <<<"$out" && ! grep -q "From $R1" <<<"$out"; then
    pass "the next 1500-byte ping is refused by h1 itself (mtu=$MTU)"
else
    fail "the next 1500-byte ping: expected h1's own 'message too long, mtu=$MTU'" "$out"
fi
# a 1401-byte packet after a flush: one byte too many
in_h1 ip -6 route flush cache
out=$(in_h1 ping -6 -n -c 1 -W 2 -M do -s $((MTU - 47)) "$H2" 2>&1)
if grep -q "Packet too big: mtu=$MTU" <<<"$out"; then pass "a $((MTU + 1))-byte packet gets Packet too big: mtu=$MTU"
else fail "a $((MTU + 1))-byte packet: expected Packet too big" "$out"; fi
# without DF (IPv6 has no DF: ping -M dont only lets h1 fragment itself; a router never does)
in_h1 ip -6 route flush cache
in_h1 ping -6 -n -c 1 -W 2 -M dont -s 1452 "$H2" >/dev/null 2>&1
stop_capture
stop_capture_bg "$BG_CAPTURE_PID"
expect_icmp6 "3 Packet Too Big (type 2) from $R1 with MTU $MTU, hop limit 64, checksum good, quoting the first 1232 bytes of the packet as sent" \
    "$cap" --type 2 --code 0 --src "$R1" --dst "$H1" --word2 "$MTU" --count 3
big=$(tshark_fields "$cap2" -e ipv6.plen -e ipv6.nxt)
if [[ -z "$big" ]]; then pass "nothing larger than $MTU bytes left the router towards h2 (no router fragmentation)"
else fail "packets larger than $MTU bytes reached h2" "$big"; fi
f=$(tshark_fields "$cap" -Y "icmpv6.type == 2" -E occurrence=f -e icmpv6.mtu -e icmpv6.checksum.status -e ipv6.plen | head -1)
if [[ "$f" == "$MTU"$'\t'1$'\t'1240 ]]; then pass "tshark: icmpv6.mtu $MTU, checksum Good, payload length 1240 (1280 bytes in all)"
else fail "tshark on the first Packet Too Big: expected mtu $MTU, checksum status 1, plen 1240" "$f"; fi

# tracepath -6 finds it too (cache flushed: it must learn it itself)
in_h1 ip -6 route flush cache
out=$(in_h1 timeout 30 tracepath -6 -n -m 5 "$H2" 2>&1)
if grep -q "Resume: pmtu $MTU " <<<"$out" && grep -q "reached" <<<"$out"; then pass "tracepath -6 reaches $H2 and reports pmtu $MTU"
else fail "tracepath -6 -n $H2: expected 'reached' and 'Resume: pmtu $MTU'" "$out"; fi

# 8 MiB over TCP (Linux: every IPv6 TCP segment is too big to fragment on the way), h1 -> h2.
in_h1 ip -6 route flush cache
data="$LAB_TMP/data.bin"
head -c 8388608 /dev/urandom >"$data"
tel_snapshot "$LAB_TMP/t0.json"
start_capture "$DPR_NS_H1" "$DPR_IF_H1" "$cap" "icmp6 and ip6[40] == 2" || fatal "tcpdump"
srv_out="$LAB_TMP/recv.bin"
in_h2 "$LAB_PY" "$LAB_REPO/scripts/pmtud/tcp_bulk.py" server --bind :: --port 5001 --out "$srv_out" --idle 15 --deadline 60 \
    --ready "$LAB_TMP/ready" >"$LAB_TMP/server.log" 2>&1 &
srv=$!
lab_on_cleanup "kill $srv"
lab_wait_for 10 test -e "$LAB_TMP/ready" || fail "the TCP server listens on [::]:5001 in h2"
cl=$(in_h1 timeout 70 "$LAB_PY" "$LAB_REPO/scripts/pmtud/tcp_bulk.py" client --host "$H2" --port 5001 --file "$data" --deadline 60 2>&1)
crc=$?
wait "$srv"; src=$?
stop_capture
if ((crc == 0 && src == 0)) && cmp -s "$data" "$srv_out"; then
    pass "8 MiB over TCP/IPv6 h1 -> h2 through PMTUD, intact: $cl / $(cat "$LAB_TMP/server.log")"
else
    fail "8 MiB over TCP/IPv6: client $crc, server $src, data equal: $(cmp -s "$data" "$srv_out" && echo yes || echo no)" "$cl"$'\n'"$(cat "$LAB_TMP/server.log")"
fi
n=$(tshark_fields "$cap" -Y "icmpv6.type == 2 && icmpv6.mtu == $MTU && icmpv6.checksum.status == 1 && tcp.dstport == 5001" -e frame.number | grep -c .)
if ((n >= 1)); then pass "h1 got $n Packet Too Big about its TCP segments"; else fail "no Packet Too Big about the TCP segments reached h1"; fi
out=$(route_mtu)
if grep -q "mtu $MTU" <<<"$out"; then pass "after the transfer, ip -6 route get shows mtu $MTU"; else fail "after the transfer: expected mtu $MTU" "$out"; fi
if tel_snapshot "$LAB_TMP/t1.json"; then
    expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" icmp_sent.icmp6_packet_too_big "$n"
    expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" drops.ipv6_too_big "$n"
elif [[ -z "${LAB_SKIP_TELEMETRY:-}" ]]; then
    fail "telemetry answers" "$(cat "$LAB_TMP/t1.json")"
fi

check "router still running" router_alive
check "router stops cleanly on SIGTERM (exit 0)" router_stop
finish
