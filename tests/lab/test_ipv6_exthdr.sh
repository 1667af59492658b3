#!/usr/bin/env bash
# IPv6 extension headers at the router, with crafted packets from h1 (RFC 8200 4, RFC 5095, RFC 4443
# 3.4): to the router, an unknown Next Header gets Parameter Problem code 1 pointing at that field, and
# a type 0 Routing Header with segments left gets code 0 pointing at its type (RFC 5095 3); in transit,
# Hop-by-Hop options are processed by their action bits (RFC 8200 4.2): 00 skipped (the packet leaves
# unchanged but for the hop limit), 01 dropped silently, 10 dropped with Parameter Problem code 2
# pointing at the option; a fragment and a Destination Options header travel unchanged (routers do not
# reassemble). Errors checked byte by byte (icmp6_check.py), forwarded packets compared with what h1
# sent (send_frames.py --save, then the bytes at h2).
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
lab_test_router
H1=$DPR_H1_ADDR6 H2=$DPR_H2_ADDR6 R1=$DPR_R1_ADDR6

# crafted NAME EXPR...: send the expressions from h1 while capturing h1's IPv6 (errors and what was sent)
# into $LAB_TMP/NAME.pcap, and h2's into $LAB_TMP/NAME-h2.pcap
crafted() {
    local name=$1 a=(); shift
    local e
    for e in "$@"; do a+=(--ip "$e"); done
    start_capture "$DPR_NS_H1" "$DPR_IF_H1" "$LAB_TMP/$name.pcap" "ip6 and not (icmp6 and ip6[40] >= 133 and ip6[40] <= 137)" || fatal "tcpdump"
    start_capture_bg "$DPR_NS_H2" "$DPR_IF_H2" "$LAB_TMP/$name-h2.pcap" "ip6 and src host $H1" || fatal "tcpdump on h2"
    sendf_ok "$DPR_NS_H1" pkt --iface "$DPR_IF_H1" --dst-mac "$DPR_R1_MAC" --save "$LAB_TMP/$name.hex" "${a[@]}"
    sleep 0.5
    stop_capture_bg "$BG_CAPTURE_PID"
    stop_capture
}
# arrived NAME: the IPv6 packets of NAME-h2.pcap, hex, one a line
arrived() { "$LAB_PY" -c 'import sys
from scapy.all import rdpcap
for f in rdpcap(sys.argv[1]):
    b = bytes(f)
    if b[12:14] == b"\x86\xdd": print(b[14:14 + 40 + int.from_bytes(b[18:20], "big")].hex())' "$LAB_TMP/$1-h2.pcap"; }
# same_but_hlim SENT-HEX ARRIVED-HEX: identical but for the hop limit (byte 7), one less
same_but_hlim() {
    "$LAB_PY" -c 'import sys
s, a = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2])
sys.exit(0 if len(s) == len(a) and s[:7] == a[:7] and s[8:] == a[8:] and a[7] == s[7] - 1 else 1)' "$1" "$2"
}

# -- to the router -------------------------------------------------------------------------------------
crafted nxt "IPv6(src='$H1', dst='$R1', nh=253)/Raw(b'unknown next header'*3)"
expect_icmp6 "unknown Next Header 253 to $R1: Parameter Problem 4/1, pointer 6 (the Next Header field)" \
    "$LAB_TMP/nxt.pcap" --type 4 --code 1 --src "$R1" --dst "$H1" --word2 6 --count 1
crafted rh0 "IPv6(src='$H1', dst='$R1')/IPv6ExtHdrRouting(type=0, segleft=1, addresses=['$H2'])/ICMPv6EchoRequest(id=0x6610)"
expect_icmp6 "Routing Header type 0 with segments left 1 to $R1: Parameter Problem 4/0, pointer 42 (its type)" \
    "$LAB_TMP/rh0.pcap" --type 4 --code 0 --src "$R1" --dst "$H1" --word2 42 --count 1

# -- in transit: Hop-by-Hop option actions ---------------------------------------------------------------
crafted hbh \
    "IPv6(src='$H1', dst='$H2')/IPv6ExtHdrHopByHop(options=[HBHOptUnknown(otype=0x1e, optdata=b'ab')])/ICMPv6EchoRequest(id=0x6611)" \
    "IPv6(src='$H1', dst='$H2')/IPv6ExtHdrHopByHop(options=[HBHOptUnknown(otype=0x5e, optdata=b'ab')])/ICMPv6EchoRequest(id=0x6612)" \
    "IPv6(src='$H1', dst='$H2')/IPv6ExtHdrHopByHop(options=[HBHOptUnknown(otype=0x9e, optdata=b'ab')])/ICMPv6EchoRequest(id=0x6613)"
mapfile -t sent <"$LAB_TMP/hbh.hex"
mapfile -t got < <(arrived hbh)
if ((${#got[@]} == 1)) && same_but_hlim "${sent[0]}" "${got[0]}"; then
    pass "Hop-by-Hop option 0x1e (action 00, skip): forwarded, unchanged but for the hop limit; 0x5e and 0x9e not"
else
    fail "Hop-by-Hop: expected exactly the 0x1e packet at h2, unchanged but for the hop limit" "sent:"$'\n'"$(printf '%s\n' "${sent[@]}")"$'\n'"at h2:"$'\n'"$(printf '%s\n' "${got[@]}")"
fi
expect_icmp6 "Hop-by-Hop option 0x9e (action 10): Parameter Problem 4/2, pointer 42 (the option); none for 0x5e (action 01)" \
    "$LAB_TMP/hbh.pcap" --type 4 --code 2 --src "$R1" --dst "$H1" --word2 42 --count 1
n=$(icmp6_check --pcap "$LAB_TMP/hbh.pcap" --list | grep -c "^icmp6 [1-4]/.* $R1 -> ")
if ((n == 1)); then pass "exactly one error from the router for the three packets"; else fail "expected one ICMPv6 error, got $n" "$(icmp6_check --pcap "$LAB_TMP/hbh.pcap" --list)"; fi

# -- in transit: a fragment and Destination Options travel unchanged ----------------------------------
crafted frag \
    "IPv6(src='$H1', dst='$H2')/IPv6ExtHdrFragment(id=0x6614, offset=0, m=1)/ICMPv6EchoRequest(id=0x6614, data=b'f'*64)" \
    "IPv6(src='$H1', dst='$H2')/IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x9e, optdata=b'cd')])/ICMPv6EchoRequest(id=0x6615)"
mapfile -t sent <"$LAB_TMP/frag.hex"
mapfile -t got < <(arrived frag)
ok=0
for i in 0 1; do for g in "${got[@]}"; do same_but_hlim "${sent[i]}" "$g" && ok=$((ok + 1)) && break; done; done
if ((ok == 2 && ${#got[@]} == 2)); then
    pass "a first fragment and a Destination Options header (with an option a router must not look at) reach h2 unchanged but for the hop limit"
else
    fail "fragment / Destination Options in transit: expected both at h2, unchanged but for the hop limit ($ok matched)" \
        "sent:"$'\n'"$(printf '%s\n' "${sent[@]}")"$'\n'"at h2:"$'\n'"$(printf '%s\n' "${got[@]}")"
fi
n=$(icmp6_check --pcap "$LAB_TMP/frag.pcap" --list | grep -c "^icmp6 [1-4]/.* $R1 -> ")
if ((n == 0)); then pass "no error from the router for them"; else fail "no ICMPv6 error from the router expected, got $n" "$(icmp6_check --pcap "$LAB_TMP/frag.pcap" --list)"; fi

check "router still running" router_alive
check "router stops cleanly on SIGTERM (exit 0)" router_stop
finish
