#!/usr/bin/env bash
# Chain walk-through 5 (docs/pmtud-lab.md "Chains of routers"): the chain dual-stack,
# h1 -1500- r1 -1400- r2 -1300- r3 -1500- h2 (1200 is below the IPv6 minimum link MTU 1280, RFC 8200 5,
# so the IPv6 chain narrows to 1300). ping -6 -M "do" hears Packet Too Big "mtu=1400" from r1, then
# "mtu=1300" from r2; `ip -6 route get` steps down with it; tracepath -6 shows both; IPv4 across the
# same chain still works. CHAIN_ROUTERS=4: r2 and r3 narrow (tests/lab/chain_lib.sh).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/chain_lib.sh"
chain_test_init "$@"
chain_up --mtus "$CHAIN_MTUS6"
H2=$H2_6
route_mtu() { in_node h1 ip -6 route get "$H2" | grep -o 'mtu [0-9]*'; }
check "h1 starts with no IPv6 path MTU cached for h2" bash -c "! ip netns exec $(chain_ns h1) ip -6 route get $H2 | grep -q ' mtu '"
check "IPv4 across the same chain: h1 pings h2 (10.0.$NLINKS.2)" ping_ok "$(chain_ns h1)" "10.0.$NLINKS.2" 3

out=$(in_node h1 ping -6 -n -M "do" -s 1452 -c 1 -W 2 "$H2" 2>&1)
echo "$out" | sed -n 2p | sed 's/^/    /'
check "a 1500-byte ping -6: r$RA (2001:db8:0:$RA::2) answers Packet too big: mtu=1400" \
    grep -q "From 2001:db8:0:$RA::2 icmp_seq=1 Packet too big: mtu=1400" <<<"$out"
check "ip -6 route get steps down to mtu 1400" test "$(route_mtu)" = "mtu 1400"
out=$(in_node h1 ping -6 -n -M "do" -s 1352 -c 1 -W 2 "$H2" 2>&1)
echo "$out" | sed -n 2p | sed 's/^/    /'
check "a 1400-byte ping -6 passes r$RA; r$RB (2001:db8:0:$RB::2) answers Packet too big: mtu=1300" \
    grep -q "From 2001:db8:0:$RB::2 icmp_seq=1 Packet too big: mtu=1300" <<<"$out"
check "ip -6 route get steps down to mtu 1300" test "$(route_mtu)" = "mtu 1300"
check "a 1300-byte ping -6 crosses the whole chain" ping6_ok "$(chain_ns h1)" "$H2" 3 -M "do" -s 1252

in_node h1 ip -6 route flush cache
out=$(in_node h1 timeout 30 tracepath -6 -n "$H2" 2>&1)
echo "$out" | sed 's/^/    /'
check "tracepath -6: r$RA (2001:db8:0:$RA::2) reports pmtu 1400" grep -qE "^ *[0-9]+: +2001:db8:0:$RA::2 .*pmtu 1400" <<<"$out"
check "tracepath -6: r$RB (2001:db8:0:$RB::2) reports pmtu 1300" grep -qE "^ *[0-9]+: +2001:db8:0:$RB::2 .*pmtu 1300" <<<"$out"
# The hop count tracepath prints is the TTL of the probe that reached h2: $NLINKS when every error
# came back before the next probe, more when a late one (an earlier probe's Packet Too Big, read by
# tracepath as the answer to a later TTL) moved it on; a CI run on a loaded machine printed "hops 6".
check "tracepath -6: h2 ($H2) reached, Resume: pmtu 1300, hops >= $NLINKS" tracepath_resume_ok "$out" "$H2" 1300

finish
