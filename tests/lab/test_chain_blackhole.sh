#!/usr/bin/env bash
# Chain walk-through 4 (docs/pmtud-lab.md "Chains of routers"): h1 -1500- r1 -1400- r2 -1200- r3 -1500- h2
# with a black hole in the middle: r2's link3 port has pmtud_blackhole: true, so segments too big for
# its 1200-byte link vanish without a frag needed. h1 learns 1400 from r1 and then stalls: TCP does not
# get through. tcp_mtu_probing=2 on h1 (probe from tcp_base_mss 1024) recovers it; so does MSS clamping
# on the first router (r1's link2 port clamps SYNs to 1160 = 1200 - 40), with h1 at its defaults.
# CHAIN_ROUTERS=4: r3's link4 port is the black hole (tests/lab/chain_lib.sh).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/chain_lib.sh"
chain_test_init "$@"

chain_up --mtus "$CHAIN_MTUS" --set r$RB.link$RC.pmtud_blackhole=true
check "r$RB's link$RC port is the black hole" grep -q "pmtud_blackhole: true" "$(chain_state)/r$RB.yaml"
chain_tel "r$RB" "$LAB_TMP/r2-0.json" || fatal "telemetry of r$RB answers"
tcp_transfer stall "$H2" 6
if ((XFER_DONE)); then fail "TCP stalls at the black hole (it completed)" "$XFER_INFO"; else pass "TCP stalls at the black hole ($XFER_INFO)"; fi
chain_tel "r$RB" "$LAB_TMP/r2-1.json" || fatal "telemetry of r$RB answers"
expect_delta "$LAB_TMP/r2-0.json" "$LAB_TMP/r2-1.json" drops.pmtud_blackhole 1
expect_delta "$LAB_TMP/r2-0.json" "$LAB_TMP/r2-1.json" icmp_sent.frag_needed 0 0
check "h1 learnt only r$RA's mtu 1400" bash -c "ip netns exec $(chain_ns h1) ip route get $H2 | grep -q 'mtu 1400'"

in_node h1 sysctl -qw net.ipv4.tcp_mtu_probing=2
in_node h1 ip route flush cache
tcp_transfer probing "$H2" 30
if ((XFER_DONE)); then pass "with tcp_mtu_probing=2 on h1 the transfer completes through the black hole"; else fail "tcp_mtu_probing=2 recovers the transfer" "$XFER_INFO"; fi

# A fresh chain (h1 back at tcp_mtu_probing=0), the same black hole, and MSS clamping on r1.
chain_up --mtus "$CHAIN_MTUS" --set r$RB.link$RC.pmtud_blackhole=true --set r1.link2.tcp_mss_clamp=1160
check "h1 is back at tcp_mtu_probing=0" bash -c "[[ \$(ip netns exec $(chain_ns h1) sysctl -n net.ipv4.tcp_mtu_probing) == 0 ]]"
chain_tel "r$RB" "$LAB_TMP/r2-2.json" || fatal "telemetry of r$RB answers"
start_capture "$(chain_ns h2)" eth0 "$LAB_TMP/h2.pcap" "tcp[tcpflags] & tcp-syn != 0" || fatal "tcpdump on h2"
tcp_transfer clamped "$H2" 30
stop_capture
if ((XFER_DONE)); then pass "with tcp_mss_clamp 1160 on r1 the transfer completes through the black hole"; else fail "MSS clamping on r1 recovers the transfer" "$XFER_INFO"; fi
mss=$(tshark_fields "$LAB_TMP/h2.pcap" -Y "tcp.flags.syn==1 && tcp.flags.ack==0" -e tcp.options.mss_val | sort -u)
check "h2 received h1's SYN with MSS 1160 (r1 clamped it)" test "$mss" = 1160
chain_tel "r$RB" "$LAB_TMP/r2-3.json" || fatal "telemetry of r$RB answers"
expect_delta "$LAB_TMP/r2-2.json" "$LAB_TMP/r2-3.json" drops.pmtud_blackhole 0 0
finish
