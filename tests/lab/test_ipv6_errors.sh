#!/usr/bin/env bash
# ICMPv6 errors of the router as a Linux host sees them (RFC 4443 3, RFC 4861 7.2.2): destination
# unreachable code 0 (no route, `unreachable` route), 1 (prohibit route), 2 (link-local source to a
# global destination), 3 (Neighbor Discovery of the next hop fails, after 3 multicast solicitations),
# 4 (UDP to a router address); nothing for a blackhole route; time exceeded for hop limit 1 in transit
# while packets to the router are answered at any hop limit; TCP to the router gets a RST; no error
# about an ICMPv6 error or a multicast destination (2.4(e)). ping -6 must print the right message;
# every error is checked byte by byte (icmp6_check.py: checksum over the pseudo-header, hop limit 64,
# source, second word, at most 1280 bytes, the quote = the packet h1 sent).
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
lab_test_router
H1=$DPR_H1_ADDR6 R1=$DPR_R1_ADDR6 R2=$DPR_R2_ADDR6

# on_h1 NAME CMD...: capture h1's IPv6 while CMD runs in h1; the capture is $LAB_TMP/NAME.pcap, CMD's
# output in OUT.
on_h1() {
    local name=$1; shift
    CAP="$LAB_TMP/$name.pcap"
    start_capture "$DPR_NS_H1" "$DPR_IF_H1" "$CAP" "ip6" || fatal "tcpdump on $DPR_IF_H1"
    OUT=$(in_h1 "$@" 2>&1)
    stop_capture
}
# errors_in PCAP: how many ICMPv6 errors (types 1-4) the capture holds
errors_in() { icmp6_check --pcap "$1" --list | grep -c "^icmp6 [1-4]/"; }
expect_out() {  # expect_out DESC REGEX: OUT (the command's output) matches
    if grep -qE "$2" <<<"$OUT"; then pass "$1"; else fail "$1" "$OUT"; fi
}

# -- destination unreachable, codes 0 and 1 ----------------------------------------------------------
on_h1 noroute ping -6 -n -c 1 -W 2 2001:db8:ff::1
expect_out "ping -6 to 2001:db8:ff::1 (no route): 'From $R1 icmp_seq=1 Destination unreachable: No route'" \
    "From $R1 icmp_seq=1 Destination unreachable: No route"
expect_icmp6 "no route: ICMPv6 1/0 from $R1 to $H1, byte by byte" "$CAP" --type 1 --code 0 --src "$R1" --dst "$H1" --word2 0 --count 1

on_h1 unreach ping -6 -n -c 1 -W 2 2001:db8:66::1
expect_out "unreachable route 2001:db8:66::/48: 'Destination unreachable: No route'" "From $R1 icmp_seq=1 Destination unreachable: No route"
expect_icmp6 "unreachable route: ICMPv6 1/0, byte by byte" "$CAP" --type 1 --code 0 --src "$R1" --dst "$H1" --word2 0 --count 1

on_h1 prohibit ping -6 -n -c 1 -W 2 2001:db8:68::1
expect_out "prohibit route 2001:db8:68::/48: 'Destination unreachable: Administratively prohibited'" \
    "From $R1 icmp_seq=1 Destination unreachable: Administratively prohibited"
expect_icmp6 "prohibit route: ICMPv6 1/1, byte by byte" "$CAP" --type 1 --code 1 --src "$R1" --dst "$H1" --word2 0 --count 1

on_h1 blackhole ping -6 -n -c 2 -i 0.3 -W 2 2001:db8:67::1
n=$(errors_in "$CAP")
if ((n == 0)) && grep -q " 0 received" <<<"$OUT"; then pass "blackhole route 2001:db8:67::/48: no reply, no ICMPv6 error"
else fail "blackhole route: expected silence, got $n ICMPv6 errors" "$OUT"$'\n'"$(icmp6_check --pcap "$CAP" --list)"; fi

# -- code 3: the next hop (on the wan link) never answers Neighbor Discovery --------------------------
cap2="$LAB_TMP/ns-wan.pcap"
start_capture_bg "$DPR_NS_H2" "$DPR_IF_H2" "$cap2" "icmp6" || fatal "tcpdump on $DPR_IF_H2"
on_h1 addrunreach ping -6 -n -c 1 -W 8 2001:db8:2::99
stop_capture_bg "$BG_CAPTURE_PID"
expect_out "2001:db8:2::99 (on the wan link, nobody there): 'Destination unreachable: Address unreachable'" \
    "From $R1 icmp_seq=1 Destination unreachable: Address unreachable"
expect_icmp6 "address unreachable: ICMPv6 1/3 from $R1, quoting the held packet as h1 sent it" "$CAP" \
    --type 1 --code 3 --src "$R1" --dst "$H1" --word2 0 --count 1
# RFC 4861 7.2.2: MAX_MULTICAST_SOLICIT (3) solicitations RetransTimer (1 s) apart, then failure.
delay=$(tshark_fields "$CAP" -Y "icmpv6.type == 128 || (icmpv6.type == 1 && icmpv6.code == 3)" -e frame.time_relative |
    awk 'NR == 1 { t = $1 } END { printf "%.2f", $1 - t }')
if awk -v d="$delay" 'BEGIN { exit !(d >= 2.0 && d <= 6.0) }'; then pass "address unreachable came ${delay} s after the echo request (3 solicitations 1 s apart)"
else fail "address unreachable after ${delay} s, expected about 3 s (RFC 4861 7.2.2)"; fi
ns=$(tshark_fields "$cap2" -Y "icmpv6.type == 135 && icmpv6.nd.ns.target_address == 2001:db8:2::99" \
    -e eth.dst -e ipv6.src -e ipv6.dst -e ipv6.hlim -e icmpv6.opt.src_linkaddr -e icmpv6.checksum.status)
want=$(printf '33:33:ff:00:00:99\t%s\tff02::1:ff00:99\t255\t%s\t1' "$DPR_R2_LL6" "$DPR_R2_MAC")
if [[ $(grep -c . <<<"$ns") == 3 ]] && ! grep -qv -F -x "$want" <<<"$ns"; then
    pass "the router sent 3 multicast NS for 2001:db8:2::99: to its solicited-node group, from $DPR_R2_LL6, hop limit 255, its MAC in the source link-layer option, checksum good"
else
    fail "router's NS for 2001:db8:2::99 on the wan link: expected 3 lines of:"$'\n'"$want" "$ns"
fi

# -- time exceeded; the router itself answers whatever the hop limit ---------------------------------
on_h1 hlim1 ping -6 -n -c 1 -W 2 -t 1 "$DPR_H2_ADDR6"
expect_out "ping -6 -t 1 to h2: 'From $R1 icmp_seq=1 Time exceeded: Hop limit'" "From $R1 icmp_seq=1 Time exceeded: Hop limit"
expect_icmp6 "hop limit exceeded: ICMPv6 3/0 from $R1, byte by byte" "$CAP" --type 3 --code 0 --src "$R1" --dst "$H1" --word2 0 --count 1
check "ping -6 -t 2 to h2 arrives (hop limit 1 at h2 is fine)" ping6_ok "$DPR_NS_H1" "$DPR_H2_ADDR6" 2 -t 2
check "ping -6 -t 1 to the router's wan address $R2 is answered (not transit)" ping6_ok "$DPR_NS_H1" "$R2" 2 -t 1

# -- code 2: a link-local source must not leave its link ----------------------------------------------
on_h1 scope "$LAB_PY" "$LAB_TEST_DIR/send_frames.py" pkt --iface "$DPR_IF_H1" --dst-mac "$DPR_R1_MAC" \
    --ip "IPv6(src='$DPR_H1_LL6', dst='$DPR_H2_ADDR6')/ICMPv6EchoRequest(id=0x6602, data=b'scope'*8)"
expect_icmp6 "link-local source to a global destination: ICMPv6 1/2 (beyond scope) from the lan link-local $DPR_R1_LL6" \
    "$CAP" --type 1 --code 2 --src "$DPR_R1_LL6" --dst "$DPR_H1_LL6" --word2 0 --count 1

# -- code 4 and RST: datagrams and connections to the router's addresses -----------------------------
# to each address from h1: the error comes from the address the datagram was sent to (RFC 4443 2.2(a))
for t in "$R1 $H1 33434" "$R2 $H1 33435" "$DPR_R1_LL6%$DPR_IF_H1 $DPR_H1_LL6 33436"; do
    read -r dst me port <<<"$t"
    on_h1 "udp$port" "$LAB_PY" -c 'import socket, sys
a = socket.getaddrinfo(sys.argv[1], int(sys.argv[2]), socket.AF_INET6, socket.SOCK_DGRAM)[0]
socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).sendto(b"port unreachable?" * 3, a[4])' "$dst" "$port"
    sleep 0.3
    expect_icmp6 "UDP to [$dst]:$port: port unreachable 1/4 from ${dst%%%*} to $me, byte by byte" "$CAP" \
        --type 1 --code 4 --src "${dst%%%*}" --dst "$me" --word2 0 --count 1
done
on_h1 tcp timeout 10 "$LAB_PY" -c 'import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM); s.settimeout(5)
try:
    s.connect((sys.argv[1], 22)); print("connected?!"); sys.exit(1)
except ConnectionRefusedError: print("refused"); sys.exit(0)
except OSError as e: print("error:", e); sys.exit(1)' "$R1"
rst=$(tshark_fields "$CAP" -o tcp.check_checksum:TRUE -Y "tcp.flags.reset == 1" -e ipv6.src -e tcp.srcport -e tcp.flags.ack -e tcp.ack -e tcp.checksum.status)
syn=$(tshark_fields "$CAP" -o tcp.relative_sequence_numbers:FALSE -Y "tcp.flags.syn == 1" -e tcp.seq | head -1)
rst_ack=$(tshark_fields "$CAP" -o tcp.relative_sequence_numbers:FALSE -Y "tcp.flags.reset == 1" -e tcp.ack | head -1)
if grep -q "^refused" <<<"$OUT" && [[ $(cut -f1,2,3,5 <<<"$rst" | head -1) == "$R1"$'\t'22$'\t'1$'\t'1 ]] && [[ -n "$syn" && $rst_ack == $((syn + 1)) ]]; then
    pass "TCP to [$R1]:22: connection refused by a RST+ACK from $R1 acknowledging the SYN, checksum good"
else
    fail "TCP to [$R1]:22: expected a RST+ACK (ack = SYN seq + 1) from $R1" "$OUT"$'\n'"src port ack-flag ack checksum: $rst"$'\n'"syn seq $syn, rst ack $rst_ack"
fi

# -- RFC 4443 2.4(e): no error about an error, nor about a multicast destination ----------------------
on_h1 noerr "$LAB_PY" "$LAB_TEST_DIR/send_frames.py" pkt --iface "$DPR_IF_H1" --dst-mac "$DPR_R1_MAC" \
    --ip "IPv6(src='$H1', dst='2001:db8:ff::1')/ICMPv6DestUnreach(code=4)/IPv6(src='2001:db8:ff::1', dst='$H1')/UDP(sport=9, dport=7)" \
    --ip "IPv6(src='$H1', dst='$DPR_H2_ADDR6', hlim=1)/ICMPv6TimeExceeded()/IPv6(src='$DPR_H2_ADDR6', dst='$H1')/UDP()" \
    --ip "IPv6(src='$H1', dst='ff0e::1:2', hlim=1)/UDP(sport=9, dport=7)/Raw(b'multicast')" \
    --ip "IPv6(src='$H1', dst='2001:db8:ff::2')/ICMPv6EchoRequest(id=0x6603)"
sleep 0.5
list=$(icmp6_check --pcap "$CAP" --list | grep "^icmp6 [1-4]/" | grep "$R1")
if [[ $(grep -c . <<<"$list") == 1 ]] && grep -q "^icmp6 1/0 " <<<"$list"; then
    pass "no error about an ICMPv6 error (no route, hop limit 1) nor a multicast destination; the control (echo to 2001:db8:ff::2) got its 1/0"
else
    fail "expected exactly one error from the router (1/0 for the control echo request)" "$list"
fi

check "router still running" router_alive
check "router stops cleanly on SIGTERM (exit 0)" router_stop
finish
