#!/usr/bin/env bash
# shellcheck disable=SC2034  # ROUTER_LOG, DPR_LAB_PMD: read by scripts/lab-lib.sh
# ICMP errors the router originates (RFC 1812 4.3.2, RFC 792): time exceeded, the destination unreachable
# codes, protocol/port unreachable and TCP reset for datagrams to the router, and the cases where no error
# may be sent. Every error is checked field by field: checksums, DF clear, TTL 64, precedence 6, source =
# address of the interface it leaves by, quote = the offender as it arrived (TTL as received) up to 576 bytes.
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
lab_test_router
check "warm-up ping h1 -> h2" ping_ok "$DPR_NS_H1" "$DPR_H2_ADDR" 2
check "warm-up ping h2 -> h1" ping_ok "$DPR_NS_H2" "$DPR_H1_ADDR" 2
have_tel=0; tel_snapshot "$LAB_TMP/t0.json" && have_tel=1
H1=$DPR_H1_ADDR H2=$DPR_H2_ADDR R1=$DPR_R1_ADDR R2=$DPR_R2_ADDR

# expect_icmp DESC PCAP ARGS...: icmp_check with a pass/fail record.
expect_icmp() {
    local desc=$1; shift
    local out
    if out=$(icmp_check "$@" 2>&1); then pass "$desc"; else fail "$desc" "$out"$'\n'"capture: $(icmp_check --pcap "$2" --list 2>&1)"; fi
}
# One bucket per destination holds 10 errors; give it time to refill between sections.
refill() { sleep 1.2; }

# --- time exceeded (11/0) -------------------------------------------------------------------------
cap="$LAB_TMP/te.pcap" sent="$LAB_TMP/te.hex"
start_capture "$DPR_NS_H1" "$DPR_IF_H1" "$cap" "icmp and ether src $DPR_R1_MAC" || fatal "tcpdump"
px_h1 --save "$sent" \
    --ip "IP(dst='$H2', ttl=1, tos=0x10, id=1001)/UDP(sport=5001, dport=33434)/Raw(b'a'*100)" \
    --ip "IP(dst='$H2', ttl=1, tos=0x10, id=1002)/UDP(sport=5002, dport=33434)/Raw(b'b'*1400)" \
    --ip "IP(dst='$H2', ttl=0, tos=0x10, id=1003)/ICMP(type=8, id=1003)/Raw(b'c'*20)"
stop_capture
expect_icmp "time exceeded for TTL 1 and TTL 0 transit datagrams: 3 errors from $R1, quote as arrived (576 max), TOS 0xd0" \
    --pcap "$cap" --type 11 --code 0 --count 3 --src "$R1" --dst "$H1" --sent "$sent" --offender-tos 0x10
refill

# traceroute (UDP, ICMP): 3 answers from the router at hop 1, then the host
for mode in "" "-I"; do
    out=$(in_h1 timeout 30 traceroute -n -q 3 -w 2 -m 4 $mode "$H2" 2>&1)
    hop1=$(awk '$1 == "1"' <<<"$out"); hop2=$(awk '$1 == "2"' <<<"$out")
    if [[ $(grep -o "$R1" <<<"$hop1" | wc -l) -ge 1 && "$hop1" != *"*"* && "$hop2" == *"$H2"* && "$hop2" != *"*"* ]]; then
        pass "traceroute ${mode:-(UDP)}: hop 1 $R1 with 3 answers, hop 2 $H2"
    else
        fail "traceroute ${mode:-(UDP)} to $H2: expected hop 1 = $R1 (3 answers), hop 2 = $H2" "$out"
    fi
    refill
done

# --- destination unreachable ----------------------------------------------------------------------
cap="$LAB_TMP/du.pcap"
start_capture "$DPR_NS_H1" "$DPR_IF_H1" "$cap" "icmp and ether src $DPR_R1_MAC" || fatal "tcpdump"
px_h1 --save "$LAB_TMP/net.hex"  --ip "IP(dst='192.0.2.1', id=2001)/UDP(sport=5003, dport=9)/Raw(b'n'*30)"
px_h1 --save "$LAB_TMP/host.hex" --ip "IP(dst='10.66.1.2', id=2002)/UDP(sport=5004, dport=9)/Raw(b'h'*30)"
px_h1 --save "$LAB_TMP/prohibit.hex" --ip "IP(dst='10.68.1.2', id=2003)/UDP(sport=5005, dport=9)/Raw(b'p'*30)"
px_h1 --save "$LAB_TMP/blackhole.hex" --ip "IP(dst='10.67.1.2', id=2004)/UDP(sport=5006, dport=9)/Raw(b'k'*30)"
px_h1 --save "$LAB_TMP/port.hex" --ip "IP(dst='$R1', id=2005)/UDP(sport=5007, dport=33434)/Raw(b'u'*30)"
px_h1 --save "$LAB_TMP/proto.hex" --ip "IP(dst='$R1', id=2006, proto=253)/Raw(b'x'*30)"
stop_capture
expect_icmp "no route: net unreachable 3/0 from $R1" --pcap "$cap" --type 3 --code 0 --count 1 --src "$R1" --dst "$H1" --sent "$LAB_TMP/net.hex"
expect_icmp "unreachable route: host unreachable 3/1 from $R1" --pcap "$cap" --type 3 --code 1 --count 1 --src "$R1" --dst "$H1" --sent "$LAB_TMP/host.hex"
expect_icmp "prohibit route: admin prohibited 3/13 from $R1" --pcap "$cap" --type 3 --code 13 --count 1 --src "$R1" --dst "$H1" --sent "$LAB_TMP/prohibit.hex"
expect_icmp "UDP to the router: port unreachable 3/3 from $R1" --pcap "$cap" --type 3 --code 3 --count 1 --src "$R1" --dst "$H1" --sent "$LAB_TMP/port.hex"
expect_icmp "unknown protocol to the router: protocol unreachable 3/2 from $R1" --pcap "$cap" --type 3 --code 2 --count 1 --src "$R1" --dst "$H1" --sent "$LAB_TMP/proto.hex"
n=$(icmp_check --pcap "$cap" --list | grep -c "^icmp 3/")
if ((n == 5)); then pass "blackhole route: no error (5 unreachables for the 6 datagrams)"; else fail "expected exactly 5 destination unreachables (none for the blackhole route), got $n" "$(icmp_check --pcap "$cap" --list)"; fi
refill

# The far address: RFC 1812 4.3.2.4 wants the address of the interface the error leaves by (lan, $R1);
# Linux answers from the address that was probed ($R2), and so does dprouter, on purpose (docs/icmp.md,
# "Where dprouter differs"): traceroute to the far address then ends showing that address.
cap="$LAB_TMP/far.pcap"
start_capture "$DPR_NS_H1" "$DPR_IF_H1" "$cap" "icmp and ether src $DPR_R1_MAC" || fatal "tcpdump"
px_h1 --save "$LAB_TMP/far.hex" --ip "IP(dst='$R2', id=2007)/UDP(sport=5008, dport=33434)/Raw(b'f'*30)"
stop_capture
expect_icmp "UDP to the far address $R2: port unreachable from $R2 (the address probed, as Linux)" \
    --pcap "$cap" --type 3 --code 3 --count 1 --src "$R2" --dst "$H1" --sent "$LAB_TMP/far.hex"

# TCP to the router: reset (connection refused), at once.
out=$(in_h1 timeout 5 nc -z -v -w 3 "$R1" 80 2>&1)
if grep -q "refused" <<<"$out"; then pass "TCP to $R1:80 refused (RST)"; else fail "TCP to $R1:80: expected connection refused" "$out"; fi
out=$(in_h2 timeout 5 nc -z -v -w 3 "$R2" 22 2>&1)
if grep -q "refused" <<<"$out"; then pass "TCP to $R2:22 refused (RST)"; else fail "TCP to $R2:22: expected connection refused" "$out"; fi
# ping reports the errors the way users see them
out=$(in_h1 ping -n -c 1 -W 2 192.0.2.1 2>&1); grep -q "From $R1.*Destination Net Unreachable" <<<"$out" && pass "ping 192.0.2.1: Destination Net Unreachable from $R1" || fail "ping 192.0.2.1: expected 'From $R1 ... Destination Net Unreachable'" "$out"
out=$(in_h1 ping -n -c 1 -W 2 10.68.0.1 2>&1); grep -q "From $R1.*Packet filtered" <<<"$out" && pass "ping 10.68.0.1: Packet filtered from $R1" || fail "ping 10.68.0.1: expected 'From $R1 ... Packet filtered'" "$out"
refill

# --- suppression (RFC 1812 4.3.2.7) ---------------------------------------------------------------
cap="$LAB_TMP/sup.pcap"
start_capture "$DPR_NS_H1" "$DPR_IF_H1" "$cap" "icmp and ether src $DPR_R1_MAC" || fatal "tcpdump"
# an ICMP error with TTL 1 in transit: no error about an error
px_h1 --ip "IP(dst='$H2', ttl=1, id=3001)/ICMP(type=3, code=3)/Raw(bytes(IP(src='$H2', dst='$H1')/UDP(sport=1, dport=2)))"
px_h1 --ip "IP(dst='$H2', ttl=1, id=3002)/ICMP(type=11, code=0)/Raw(bytes(IP(src='$H2', dst='$H1')/UDP(sport=1, dport=2)))"
# an unknown ICMP type counts as an error message too (docs/icmp.md)
px_h1 --ip "IP(dst='$H2', ttl=1, id=3003)/ICMP(type=99, code=0)"
# TTL 1 in an Ethernet broadcast frame; TTL 1 to a directed broadcast; no route for a broadcast frame
sendf_ok "$DPR_NS_H1" pkt --iface "$DPR_IF_H1" --dst-mac ff:ff:ff:ff:ff:ff --ip "IP(dst='$H2', ttl=1, id=3004)/UDP(sport=5009, dport=9)"
px_h1 --ip "IP(dst='10.2.0.255', ttl=1, id=3005)/UDP(sport=5010, dport=9)"
px_h1 --ip "IP(dst='10.2.0.255', id=3006)/UDP(sport=5011, dport=9)"
px_h1 --ip "IP(dst='255.255.255.255', id=3007)/UDP(sport=5012, dport=9)"
px_h1 --ip "IP(dst='224.1.1.1', ttl=1, id=3008)/UDP(sport=5013, dport=9)"
sendf_ok "$DPR_NS_H1" pkt --iface "$DPR_IF_H1" --dst-mac 01:00:5e:01:01:01 --ip "IP(dst='192.0.2.9', id=3009)/UDP(sport=5014, dport=9)"
# control: an echo request (a query, not an error) with TTL 1 does get time exceeded
px_h1 --save "$LAB_TMP/ctl.hex" --ip "IP(dst='$H2', ttl=1, id=3010)/ICMP(type=8, id=3010)"
stop_capture
list=$(icmp_check --pcap "$cap" --list)
n=$(grep -c . <<<"$list")
if ((n == 1)); then pass "no error about ICMP errors, link broadcasts, directed/limited broadcasts or multicasts"; else fail "expected exactly one ICMP error (the control), got $n" "$list"; fi
expect_icmp "control: time exceeded for an echo request with TTL 1" --pcap "$cap" --type 11 --code 0 --count 1 --src "$R1" --sent "$LAB_TMP/ctl.hex"

if ((have_tel)) && tel_snapshot "$LAB_TMP/t1.json"; then
    expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" icmp_suppressed_reason.offender_icmp_error 3 3
    expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" icmp_sent.net_unreachable 2 2
    expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" icmp_sent.admin_prohibited 2 2
fi

check "forwarding still works" ping_ok "$DPR_NS_H1" "$H2" 3
check "router stops cleanly on SIGTERM (exit 0)" router_stop
finish
