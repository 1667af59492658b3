#!/usr/bin/env bash
# Route import from the kernel (control_plane.import_routes), against a real kernel and without
# DPDK: tests/tools/kernel_routes_probe runs the importer with a recording RouteSink in a namespace
# whose interfaces are named like the router's (lan = index 0, wan = index 1; mgmt is not a mirror),
# and rewrites a file with the route set it holds after every change. Each kernel change made with
# `ip` must show up there (or go away) within a second: single routes of both families, replace and
# delete, an IPv6 link-local gateway, ECMP, nexthop objects and groups, blackhole/unreachable/
# prohibit, and none of the kernel's connected routes, other tables or other interfaces. A link
# that goes down (the kernel flushes its IPv4 routes without a message) and a notification overrun
# (ENOBUFS: 100,000 routes added while the probe is stopped) are repaired by a full resync. Then
# FRR (Debian's frr 8.4): zebra + staticd install static routes through nexthop objects, with an
# IPv6 link-local gateway, and bgpd learns prefixes over eBGP (IPv4 and IPv6 sessions) from a peer
# namespace; the probe imports them, and drops them when they are withdrawn.
#
#   tests/lab/run.sh build/dprouter test_kernel_import    (BIN only locates the build directory)
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/frr_lib.sh"

LAB_BIN=$(readlink -f "${1:?usage: $0 PATH/TO/dprouter}")
[[ $EUID -eq 0 ]] || { echo "$LAB_NAME: must run as root" >&2; exit 2; }
PROBE=$(dirname "$LAB_BIN")/tests/tools/kernel_routes_probe
[[ -x "$PROBE" ]] || { echo "$LAB_NAME: no $PROBE (ninja -C build tests/tools/kernel_routes_probe)" >&2; exit 2; }
LAB_TMP=$(mktemp -d "/tmp/dprouter-${LAB_NAME}-XXXXXX")
chmod 755 "$LAB_TMP"   # the FRR daemons run as user frr
trap 'lab_test_cleanup' EXIT
trap 'echo "$LAB_NAME: interrupted"; exit 130' INT TERM

NS="${DPR_LAB_PREFIX}dpr-kimp"
PEER="${DPR_LAB_PREFIX}dpr-kpeer"
OUT="$LAB_TMP/routes.txt"
PEER_LL=fe80::ff:fe00:202   # wan-p's link-local address (MAC 02:00:00:00:02:02)

for n in "$NS" "$PEER"; do ip netns del "$n" 2>/dev/null; done
ip netns add "$NS" && ip netns add "$PEER" || fatal "namespaces $NS, $PEER"
lab_on_cleanup "ip netns del $NS"
lab_on_cleanup "ip netns del $PEER"
in_k() { ip netns exec "$NS" "$@"; }
in_p() { ip netns exec "$PEER" "$@"; }
{
    for n in "$NS" "$PEER"; do
        ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
            net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
        ip -n "$n" link set lo up
    done
    # lan's far end stays in NS (nobody answers there); wan's is the peer namespace.
    ip -n "$NS" link add lan type veth peer name lan-p
    ip -n "$NS" link add mgmt type veth peer name mgmt-p
    ip -n "$NS" link add wan address 02:00:00:00:02:01 type veth peer name wan-p address 02:00:00:00:02:02 netns "$PEER"
    for i in lan lan-p mgmt mgmt-p wan; do ip -n "$NS" link set "$i" up; done
    ip -n "$PEER" link set wan-p up
    ip -n "$NS" addr add 10.1.0.1/24 dev lan
    ip -n "$NS" addr add 10.2.0.1/24 dev wan
    ip -n "$NS" addr add 192.168.7.1/24 dev mgmt
    ip -n "$NS" addr add 2001:db8:1::1/64 dev lan nodad
    ip -n "$NS" addr add 2001:db8:2::1/64 dev wan nodad
    ip -n "$PEER" addr add 10.2.0.2/24 dev wan-p
    ip -n "$PEER" addr add 2001:db8:2::2/64 dev wan-p nodad
    ip -n "$PEER" addr add 10.77.0.1/24 dev lo
    ip -n "$PEER" addr add 2001:db8:77::1/64 dev lo
} >"$LAB_TMP/setup.log" 2>&1 || fatal "namespace set-up" "$(cat "$LAB_TMP/setup.log")"

# A route that exists before the probe starts: the first dump must bring it.
in_k ip route add 10.9.0.0/24 via 10.2.0.2

# ip netns exec execs the probe: $! is the probe's own pid (for SIGSTOP/SIGCONT below).
ip netns exec "$NS" "$PROBE" --rcvbuf 1048576 --out "$OUT" lan wan >"$LAB_TMP/probe.log" 2>&1 &
PROBE_PID=$!
lab_on_cleanup "kill -TERM $PROBE_PID; kill -CONT $PROBE_PID"
lab_wait_for 5 test -s "$OUT" || fatal "the probe writes its route set" "$(cat "$LAB_TMP/probe.log")"

# has LINE / lacks LINE: the probe's set holds (or not) exactly that line, waited for up to 1 s.
has() {
    local i
    for ((i = 0; i < 20; i++)); do grep -qxF -- "$1" "$OUT" && return 0; sleep 0.05; done
    echo "not in the probe's set after 1 s: $1"; cat "$OUT"; return 1
}
lacks() {
    local i
    for ((i = 0; i < 20; i++)); do grep -qF -- "$1" "$OUT" || return 0; sleep 0.05; done
    echo "still in the probe's set after 1 s: $1"; cat "$OUT"; return 1
}
# ip-route commands whose effect is checked right after: a failing command stops the test.
k() { in_k ip "$@" >"$LAB_TMP/ip.out" 2>&1 || fatal "ip $*" "$(cat "$LAB_TMP/ip.out")"; }

check "route present before the start comes with the first dump" has "kernel 10.9.0.0/24 forward via 10.2.0.2 dev 1 proto 3 metric 0"
check "no connected (proto kernel) routes" lacks "kernel 10.1.0.0/24"
check "no IPv6 connected routes" lacks "kernel 2001:db8:2::/64"

k route add 10.10.0.0/24 via 10.1.0.2
check "ip route add (v4)" has "kernel 10.10.0.0/24 forward via 10.1.0.2 dev 0 proto 3 metric 0"
k route replace 10.10.0.0/24 via 10.2.0.3 proto static
check "ip route replace (v4)" has "kernel 10.10.0.0/24 forward via 10.2.0.3 dev 1 proto 4 metric 0"
k route del 10.10.0.0/24
check "ip route del (v4)" lacks "kernel 10.10.0.0/24"

k -6 route add 2001:db8:99::/64 via "$PEER_LL" dev wan
check "IPv6 route via a link-local gateway" has "kernel 2001:db8:99::/64 forward via $PEER_LL dev 1 proto 3 metric 1024"
k -6 route add 2001:db8:98::/64 via 2001:db8:1::5
check "IPv6 route via a global gateway" has "kernel 2001:db8:98::/64 forward via 2001:db8:1::5 dev 0 proto 3 metric 1024"
k -6 route replace 2001:db8:98::/64 via 2001:db8:2::5
check "ip -6 route replace" has "kernel 2001:db8:98::/64 forward via 2001:db8:2::5 dev 1 proto 3 metric 1024"
k -6 route del 2001:db8:98::/64
check "ip -6 route del" lacks "kernel 2001:db8:98::/64"
k route add 10.11.0.0/24 dev lan
check "on-link route (dev only)" has "kernel 10.11.0.0/24 forward dev 0 proto 3 metric 0"

k route add 10.50.0.0/16 nexthop via 10.2.0.2 nexthop via 10.1.0.2
check "IPv4 ECMP" has "kernel 10.50.0.0/16 forward via 10.1.0.2 dev 0 via 10.2.0.2 dev 1 proto 3 metric 0"
k -6 route add 2001:db8:50::/48 nexthop via fe80::2 dev wan nexthop via fe80::3 dev lan
check "IPv6 ECMP" has "kernel 2001:db8:50::/48 forward via fe80::3 dev 0 via fe80::2 dev 1 proto 3 metric 1024"
k -6 route del 2001:db8:50::/48 via fe80::2 dev wan
check "IPv6 ECMP less one path" has "kernel 2001:db8:50::/48 forward via fe80::3 dev 0 proto 3 metric 1024"
k -6 route append 2001:db8:50::/48 via fe80::4 dev wan
check "IPv6 ECMP path appended" has "kernel 2001:db8:50::/48 forward via fe80::3 dev 0 via fe80::4 dev 1 proto 3 metric 1024"
k route add 10.51.0.0/16 nexthop via 10.2.0.2 dev wan nexthop via 192.168.7.2 dev mgmt
check "ECMP keeps the paths through mirror interfaces" has "kernel 10.51.0.0/16 forward via 10.2.0.2 dev 1 proto 3 metric 0"

k nexthop add id 100 via 10.2.0.2 dev wan
k nexthop add id 101 via 10.1.0.2 dev lan
k nexthop add id 200 group 100/101
k nexthop add id 102 via "$PEER_LL" dev wan
k route add 10.60.0.0/24 nhid 100 proto bgp
k route add 10.61.0.0/24 nhid 200 proto bgp
k -6 route add 2001:db8:60::/48 nhid 102 proto bgp
check "route through a nexthop object" has "kernel 10.60.0.0/24 forward via 10.2.0.2 dev 1 proto 186 metric 0"
check "route through a nexthop group" has "kernel 10.61.0.0/24 forward via 10.1.0.2 dev 0 via 10.2.0.2 dev 1 proto 186 metric 0"
check "IPv6 route through a link-local nexthop object" has "kernel 2001:db8:60::/48 forward via $PEER_LL dev 1 proto 186 metric 1024"
k nexthop replace id 100 via 10.2.0.9 dev wan
check "nexthop replaced: its route follows" has "kernel 10.60.0.0/24 forward via 10.2.0.9 dev 1 proto 186 metric 0"
check "nexthop replaced: the group's route follows" has "kernel 10.61.0.0/24 forward via 10.1.0.2 dev 0 via 10.2.0.9 dev 1 proto 186 metric 0"
k nexthop del id 101
check "group member deleted" has "kernel 10.61.0.0/24 forward via 10.2.0.9 dev 1 proto 186 metric 0"
k nexthop del id 100
check "nexthop deleted: its route goes" lacks "kernel 10.60.0.0/24"
check "nexthop deleted: the group's route goes (last member)" lacks "kernel 10.61.0.0/24"

k route add blackhole 10.66.0.0/16
k route add unreachable 10.67.0.0/16
k route add prohibit 10.68.0.0/16
k -6 route add blackhole 2001:db8:66::/48
k -6 route add unreachable 2001:db8:67::/48
k -6 route add prohibit 2001:db8:68::/48
check "blackhole (v4)" has "kernel 10.66.0.0/16 blackhole proto 3 metric 0"
check "unreachable (v4)" has "kernel 10.67.0.0/16 unreachable proto 3 metric 0"
check "prohibit (v4)" has "kernel 10.68.0.0/16 prohibit proto 3 metric 0"
check "blackhole (v6)" has "kernel 2001:db8:66::/48 blackhole proto 3 metric 1024"
check "unreachable (v6)" has "kernel 2001:db8:67::/48 unreachable proto 3 metric 1024"
check "prohibit (v6)" has "kernel 2001:db8:68::/48 prohibit proto 3 metric 1024"
k route del prohibit 10.68.0.0/16
check "prohibit route deleted" lacks "kernel 10.68.0.0/16"

k route add 10.80.0.0/24 via 10.2.0.2 table 100
k route add 10.81.0.0/24 via 192.168.7.2
k route add 0.0.0.0/0 via 192.168.7.254 metric 10
k route add 0.0.0.0/0 via 10.2.0.2 metric 20
check "lowest metric through a mirror interface" has "kernel 0.0.0.0/0 forward via 10.2.0.2 dev 1 proto 3 metric 20"
check "other tables are not imported" lacks "kernel 10.80.0.0/24"
check "routes through other interfaces are not imported" lacks "kernel 10.81.0.0/24"
k route add 0.0.0.0/0 via 10.1.0.2 metric 5
check "a better metric replaces it" has "kernel 0.0.0.0/0 forward via 10.1.0.2 dev 0 proto 3 metric 5"
k route del 0.0.0.0/0 via 10.1.0.2 metric 5
check "and its removal uncovers the next" has "kernel 0.0.0.0/0 forward via 10.2.0.2 dev 1 proto 3 metric 20"

# wan down: the kernel drops its IPv4 routes and nexthop objects without a message per route.
k link set wan down
check "link down: IPv4 routes through it go (resync)" lacks "kernel 10.9.0.0/24"
check "link down: the default route through it goes" lacks "kernel 0.0.0.0/0 forward via 10.2.0.2"
check "link down: routes through other links stay" has "kernel 10.11.0.0/24 forward dev 0 proto 3 metric 0"
k link set wan up
k -6 addr replace 2001:db8:2::1/64 dev wan nodad   # IPv6 drops its addresses on a link that goes down
k route add 10.9.0.0/24 via 10.2.0.2
check "link up again, route re-added" has "kernel 10.9.0.0/24 forward via 10.2.0.2 dev 1 proto 3 metric 0"

# Lost notifications: 100,000 routes while the probe is stopped overrun its socket buffer (1 MiB
# here, --rcvbuf; the router asks for 32 MiB) with ENOBUFS; it must resynchronise from a dump and end
# up with all of them.
overruns_before=$(sed -n '1s/.* overruns=\([0-9]*\).*/\1/p' "$OUT")
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "route add 10.%d.%d.%d/32 via 10.2.0.2\n", 128 + int(i / 65536), int(i / 256) % 256, i % 256 }' >"$LAB_TMP/batch"
kill -STOP "$PROBE_PID"
start_ms=$(date +%s%3N)
in_k ip -batch "$LAB_TMP/batch" || { kill -CONT "$PROBE_PID"; fatal "ip -batch of 100000 routes"; }
added_ms=$(date +%s%3N)
kill -CONT "$PROBE_PID"
count_imported() { [[ $(grep -c '^kernel 10\.1[2-9][0-9]\.' "$OUT") -eq 100000 ]]; }
if lab_wait_for 60 count_imported; then
    done_ms=$(date +%s%3N)
    pass "100000 routes imported after the overrun (ip -batch $((added_ms - start_ms)) ms, imported $((done_ms - added_ms)) ms after the last)"
else
    fail "100000 routes imported after the overrun" "$(head -1 "$OUT"; grep -c '^kernel' "$OUT")"
fi
overruns_after=$(sed -n '1s/.* overruns=\([0-9]*\).*/\1/p' "$OUT")
check "the overrun was seen (ENOBUFS) and repaired by a resync" test "${overruns_after:-0}" -gt "${overruns_before:-0}"
start_ms=$(date +%s%3N)
sed 's/^route add/route del/' "$LAB_TMP/batch" >"$LAB_TMP/batch-del"
in_k ip -batch "$LAB_TMP/batch-del" || fail "ip -batch deleting the 100000 routes"
flushed_ms=$(date +%s%3N)
count_gone() { ! grep -q '^kernel 10\.1[2-9][0-9]\.' "$OUT"; }
if lab_wait_for 60 count_gone; then
    pass "100000 routes withdrawn (ip -batch $((flushed_ms - start_ms)) ms, probe empty $(($(date +%s%3N) - flushed_ms)) ms after)"
else
    fail "100000 routes withdrawn" "$(head -1 "$OUT"; grep -c '^kernel' "$OUT")"
fi

# FRR: zebra + staticd in NS (routes through nexthop objects, proto 196), bgpd on both sides.
frr_init k >/dev/null && frr_init p >/dev/null || fatal "FRR directories"
frr_conf k staticd <<EOF
hostname kimp
ip route 10.70.0.0/24 10.2.0.2
ip route 10.71.0.0/24 10.2.0.2
ip route 10.71.0.0/24 10.1.0.2
ipv6 route 2001:db8:70::/48 $PEER_LL wan
EOF
frr_conf k bgpd <<EOF
hostname kimp
router bgp 65001
 bgp router-id 10.2.0.1
 no bgp ebgp-requires-policy
 neighbor 10.2.0.2 remote-as 65002
 neighbor 10.2.0.2 timers connect 1
 neighbor 2001:db8:2::2 remote-as 65002
 neighbor 2001:db8:2::2 timers connect 1
 address-family ipv4 unicast
  no neighbor 2001:db8:2::2 activate
 exit-address-family
 address-family ipv6 unicast
  neighbor 2001:db8:2::2 activate
 exit-address-family
EOF
frr_conf p bgpd <<EOF
hostname kpeer
router bgp 65002
 bgp router-id 10.2.0.2
 no bgp ebgp-requires-policy
 neighbor 10.2.0.1 remote-as 65001
 neighbor 10.2.0.1 timers connect 1
 neighbor 2001:db8:2::1 remote-as 65001
 neighbor 2001:db8:2::1 timers connect 1
 address-family ipv4 unicast
  network 10.77.0.0/24
  no neighbor 2001:db8:2::1 activate
 exit-address-family
 address-family ipv6 unicast
  network 2001:db8:77::/64
  neighbor 2001:db8:2::1 activate
 exit-address-family
EOF
frr_start "$NS" k staticd bgpd 2>"$LAB_TMP/frr.err" || fatal "FRR starts in $NS" "$(cat "$LAB_TMP/frr.err")"
frr_start "$PEER" p bgpd 2>"$LAB_TMP/frr.err" || fatal "FRR starts in $PEER" "$(cat "$LAB_TMP/frr.err")"
check "staticd's routes use nexthop objects in the kernel" lab_wait_for 5 bash -c "ip -n $NS route show 10.70.0.0/24 | grep -q nhid"
check "FRR static route (nexthop object)" has "kernel 10.70.0.0/24 forward via 10.2.0.2 dev 1 proto 196 metric 20"
check "FRR static ECMP (nexthop group)" has "kernel 10.71.0.0/24 forward via 10.1.0.2 dev 0 via 10.2.0.2 dev 1 proto 196 metric 20"
check "FRR static IPv6 route via a link-local gateway" has "kernel 2001:db8:70::/48 forward via $PEER_LL dev 1 proto 196 metric 20"
bgp_v4() { grep -qxF "kernel 10.77.0.0/24 forward via 10.2.0.2 dev 1 proto 186 metric 20" "$OUT"; }
bgp_v6() { grep -qxF "kernel 2001:db8:77::/64 forward via $PEER_LL dev 1 proto 186 metric 20" "$OUT"; }
if lab_wait_for 60 bgp_v4 && lab_wait_for 10 bgp_v6; then
    pass "eBGP prefixes imported (IPv4 via 10.2.0.2, IPv6 via the peer's link-local address)"
else
    fail "eBGP prefixes imported" "$(cat "$OUT"; ip -n "$NS" route; ip -n "$NS" -6 route; frr_vtysh k 'show bgp summary'; frr_log k)"
fi
frr_vtysh p 'configure terminal' 'router bgp 65002' 'address-family ipv4 unicast' 'no network 10.77.0.0/24' \
    'exit-address-family' 'address-family ipv6 unicast' 'no network 2001:db8:77::/64' >/dev/null 2>&1
check "BGP withdrawal (v4) removes the route" lab_wait_for 10 bash -c "! grep -q '^kernel 10.77.0.0/24' '$OUT'"
check "BGP withdrawal (v6) removes the route" lab_wait_for 10 bash -c "! grep -q '^kernel 2001:db8:77::/64' '$OUT'"
check "FRR left ip_forward at 0 in the namespace" test "$(in_k sysctl -n net.ipv4.ip_forward)" = 0
frr_stop k
check "zebra's routes go when it stops" lacks "kernel 10.70.0.0/24"
check "... its IPv6 ones too" lacks "kernel 2001:db8:70::/48"
check "the probe never refused a message" grep -q ' refused=0 ' "$OUT"
check "probe still running" kill -0 "$PROBE_PID"
finish
