#!/usr/bin/env bash
# Chain walk-through 3 (docs/pmtud-lab.md "Chains of routers"): h1 -1500- r1 -1400- r2 -1200- r3 -1500- h2.
# A 4 MiB TCP transfer h1 -> h2 starts at MSS 1460 (h2's 1500-byte link), and completes intact through
# two PMTU reductions: r1 turns back the 1500-byte segments (frag needed, mtu 1400), then r2 the
# 1400-byte ones (mtu 1200). Afterwards h1 caches mtu 1200 for h2.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/chain_lib.sh"
chain_test_init "$@"
chain_up --mtus "$CHAIN_MTUS"

check "h1 starts with no path MTU cached for h2" bash -c "! ip netns exec $(chain_ns h1) ip route get $H2 | grep -q ' mtu '"
for r in "r$RA" "r$RB" "r$RC"; do chain_tel "$r" "$LAB_TMP/$r-before.json" || fatal "telemetry of $r answers"; done
start_capture "$(chain_ns h1)" eth0 "$LAB_TMP/h1.pcap" "icmp" || fatal "tcpdump on h1"
tcp_transfer bulk "$H2" 30
stop_capture
if ((XFER_DONE)); then pass "the 4 MiB transfer h1 -> h2 completed, sha256 equal at both ends"; else fail "TCP transfer across the chain" "$XFER_INFO"; fi
for r in "r$RA" "r$RB" "r$RC"; do chain_tel "$r" "$LAB_TMP/$r-after.json" || fatal "telemetry of $r answers"; done
echo "    r$RA (mtu 1400 ahead), r$RB (mtu 1200 ahead), r$RC (nothing narrower ahead):"
expect_delta "$LAB_TMP/r$RA-before.json" "$LAB_TMP/r$RA-after.json" icmp_sent.frag_needed 1
expect_delta "$LAB_TMP/r$RB-before.json" "$LAB_TMP/r$RB-after.json" icmp_sent.frag_needed 1
expect_delta "$LAB_TMP/r$RC-before.json" "$LAB_TMP/r$RC-after.json" icmp_sent.frag_needed 0 0
mtus=$(tshark_fields "$LAB_TMP/h1.pcap" -Y "icmp.type==3 && icmp.code==4 && tcp" -E occurrence=f -e ip.src -e icmp.mtu | sort -u)
echo "$mtus" | sed 's/^/    frag needed about TCP: /'
check "h1 heard 'mtu 1400' from r$RA (10.0.$RA.2) about its TCP segments" grep -qP "^10\\.0\\.$RA\\.2\t1400\$" <<<"$mtus"
check "h1 heard 'mtu 1200' from r$RB (10.0.$RB.2) about its TCP segments" grep -qP "^10\\.0\\.$RB\\.2\t1200\$" <<<"$mtus"
check "h1 caches mtu 1200 for h2 afterwards" bash -c "ip netns exec $(chain_ns h1) ip route get $H2 | grep -q 'mtu 1200'"
finish
