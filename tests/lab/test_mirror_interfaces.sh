#!/usr/bin/env bash
# shellcheck disable=SC2034  # ROUTER_LOG, DPR_LAB_PMD: read by scripts/lab-lib.sh
# control_plane.mirror (docs/control-plane.md): the router's namespace gets one kernel interface per
# port, named after it, with its MAC, MTU and addresses of both families (the link-local one
# included, and no other); a TCP listener there on a router address takes a whole transfer from h1
# over IPv4 and IPv6; the kernel there pings the hosts (its ARP and NS go out through the ports, the
# answers come back through the mirrors); the dataplane still answers pings and forwards h1 <-> h2,
# and the namespace's kernel never forwards (ip_forward 0). The mirrors go with the router.
set -u
# The ports are net_af_packet by default here: with net_af_xdp the lan port stops receiving and
# sending after several MB of punted TCP (docs/control-plane.md, "Known problems").
: "${DPR_LAB_PMD:=af_packet}"
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"

cfg="$LAB_TMP/mirror.yaml"
{ cat "$LAB_CONFIG"; printf 'control_plane:\n  mirror: true\n'; } >"$cfg"
# af_packet leaves the veths to the kernel as well: without this the namespace's kernel would answer
# ARP for the mirrors' addresses on them a second time (a NIC bound to DPDK is not the kernel's).
in_r ip link set "$DPR_IF_R1" arp off && in_r ip link set "$DPR_IF_R2" arp off || fatal "arp off on the veths"
lab_test_router "$cfg"

# --- the mirror interfaces
mirror_link_ok() {  # NAME MAC MTU
    local out
    out=$(in_r ip -o link show dev "$1") || return 1
    echo "$out"
    grep -q "link/ether $2 " <<<"$out" && grep -q " mtu $3 " <<<"$out" && grep -q "[<,]UP[,>]" <<<"$out"
}
mirror_addrs_ok() {  # NAME ADDR4/LEN ADDR6/LEN LL6
    local out
    out=$(in_r ip -o addr show dev "$1") || return 1
    echo "$out"
    grep -q "inet $2 " <<<"$out" && grep -q "inet6 $3 " <<<"$out" && grep -q "inet6 $4/64 scope link" <<<"$out" &&
        [[ $(grep -c "inet6 fe80:" <<<"$out") -eq 1 ]] && ! grep -q tentative <<<"$out"
}
check "mirror lan: link/ether $DPR_R1_MAC, mtu 1500, up" mirror_link_ok lan "$DPR_R1_MAC" 1500
check "mirror wan: link/ether $DPR_R2_MAC, mtu 1500, up" mirror_link_ok wan "$DPR_R2_MAC" 1500
check "mirror lan: $DPR_R1_ADDR/24, $DPR_R1_ADDR6/64 and only $DPR_R1_LL6 as link-local" \
    mirror_addrs_ok lan "$DPR_R1_ADDR/24" "$DPR_R1_ADDR6/64" "$DPR_R1_LL6"
check "mirror wan: $DPR_R2_ADDR/24, $DPR_R2_ADDR6/64 and only $DPR_R2_LL6 as link-local" \
    mirror_addrs_ok wan "$DPR_R2_ADDR/24" "$DPR_R2_ADDR6/64" "$DPR_R2_LL6"
sysctl_is() { local v; v=$(in_r cat "/proc/sys/net/$1"); echo "$1 = $v"; [[ "$v" == "$2" ]]; }
check "router namespace: net.ipv4.ip_forward 0" sysctl_is ipv4/ip_forward 0
check "mirror lan: IPv4 forwarding 0" sysctl_is ipv4/conf/lan/forwarding 0
check "mirror lan: IPv6 forwarding 0, accept_ra 0, autoconf 0" \
    bash -c "[[ \$(ip netns exec $DPR_NS_R cat /proc/sys/net/ipv6/conf/lan/forwarding /proc/sys/net/ipv6/conf/lan/accept_ra /proc/sys/net/ipv6/conf/lan/autoconf | tr -d '\n') == 000 ]]"

# --- the dataplane still answers pings and forwards
check "h1 pings router $DPR_R1_ADDR (dataplane echo)" ping_ok "$DPR_NS_H1" "$DPR_R1_ADDR" 3
check "h1 -> h2 ($DPR_H2_ADDR) forwarded by the dataplane" ping_ok "$DPR_NS_H1" "$DPR_H2_ADDR" 3
check "h1 -> h2 ($DPR_H2_ADDR6) forwarded by the dataplane" ping6_ok "$DPR_NS_H1" "$DPR_H2_ADDR6" 3

# --- a TCP listener in the router's namespace
ready="$LAB_TMP/tcp.ready"
in_r "$LAB_PY" "$LAB_TEST_DIR/tcp_transfer.py" serve --port 7179 --ready "$ready" --max 120 \
    >"$LAB_TMP/tcp_server.log" 2>&1 &
server=$!
lab_on_cleanup "kill $server"
lab_wait_for 10 test -e "$ready" || fatal "TCP listener in $DPR_NS_R did not start"
transfer() {  # NS DST BYTES
    ip netns exec "$1" "$LAB_PY" "$LAB_TEST_DIR/tcp_transfer.py" send --dst "$2" --port 7179 --bytes "$3"
}
check "h1 -> $DPR_R1_ADDR:7179 (kernel listener), 4 MB over TCP, every byte" transfer "$DPR_NS_H1" "$DPR_R1_ADDR" 4000000
check "h1 -> [$DPR_R1_ADDR6]:7179, 4 MB over TCP/IPv6, every byte" transfer "$DPR_NS_H1" "$DPR_R1_ADDR6" 4000000
check "h2 -> $DPR_R2_ADDR:7179 over the wan mirror" transfer "$DPR_NS_H2" "$DPR_R2_ADDR" 1000000
check "h1 -> $DPR_R2_ADDR:7179 (the wan address, arriving on lan)" transfer "$DPR_NS_H1" "$DPR_R2_ADDR" 1000000
cat "$LAB_TMP/.check.out" 2>/dev/null | sed 's/^/      /'

# A closed port now gets the kernel's reset rather than the dataplane's: the connection is refused.
refused() {
    ! ip netns exec "$DPR_NS_H1" "$LAB_PY" -c "
import socket, sys
s = socket.create_connection(('$DPR_R1_ADDR', 7180), timeout=5)
" 2>"$LAB_TMP/refused.err" && grep -q "ConnectionRefused" "$LAB_TMP/refused.err"
}
check "h1 -> $DPR_R1_ADDR:7180 (nothing listens): connection refused" refused

# --- the kernel's own traffic leaves through the ports (its ARP and NS included)
check "router namespace kernel pings h1 ($DPR_H1_ADDR) through the lan mirror" ping_ok "$DPR_NS_R" "$DPR_H1_ADDR" 3
check "router namespace kernel pings h2 ($DPR_H2_ADDR) through the wan mirror" ping_ok "$DPR_NS_R" "$DPR_H2_ADDR" 3
check "router namespace kernel pings h1 over IPv6 ($DPR_H1_ADDR6)" ping6_ok "$DPR_NS_R" "$DPR_H1_ADDR6" 3
neigh_ok() { local out; out=$(in_r ip neigh show "$1" dev "$2"); echo "$out"; grep -q "lladdr $3" <<<"$out"; }
check "router namespace kernel learnt h1's MAC on lan" neigh_ok "$DPR_H1_ADDR" lan "$DPR_H1_MAC"
check "router namespace kernel learnt h1's IPv6 neighbour on lan" neigh_ok "$DPR_H1_ADDR6" lan "$DPR_H1_MAC"

# The hosts see one answer per ARP request (the dataplane's; the kernel's is dropped on the way out).
cap="$LAB_TMP/arp.pcap"
if start_capture "$DPR_NS_H1" "$DPR_IF_H1" "$cap" "arp"; then
    in_h1 ip neigh flush dev "$DPR_IF_H1"
    ping_ok "$DPR_NS_H1" "$DPR_R1_ADDR" 1 >/dev/null
    stop_capture
    n=$(tshark_fields "$cap" -Y "arp.opcode == 2 && arp.src.proto_ipv4 == $DPR_R1_ADDR" -e arp.src.hw_mac | wc -l)
    if [[ "$n" == 1 ]]; then pass "one ARP reply for $DPR_R1_ADDR at h1"; else fail "ARP replies for $DPR_R1_ADDR at h1: $n, expected 1"; fi
else
    fail "tcpdump on $DPR_IF_H1"
fi

check "router namespace: net.ipv4.ip_forward still 0" sysctl_is ipv4/ip_forward 0

# A reload carries MTU and addresses over to the mirrors, and takes back what it no longer lists.
cfg2="$LAB_TMP/mirror2.yaml"
sed -e 's|addresses: \["10.1.0.1/24", "2001:db8:1::1/64"\]|addresses: ["10.1.0.1/24", "10.9.0.1/24", "2001:db8:1::1/64"]|' \
    -e '0,/mtu: 1500/s//mtu: 1400/' "$cfg" >"$cfg2"
if grep -q 10.9.0.1 "$cfg2" && grep -q "mtu: 1400" "$cfg2"; then
    check "reload with 10.9.0.1/24 added on lan and its MTU 1400" router_reload "$cfg2"
    check "mirror lan after reload: mtu 1400" mirror_link_ok lan "$DPR_R1_MAC" 1400
    check "mirror lan after reload: 10.9.0.1/24 added" bash -c "ip -n $DPR_NS_R -o addr show dev lan | grep -q 'inet 10.9.0.1/24 '"
    check "reload back to the first file" router_reload "$cfg"
    check "mirror lan: mtu 1500 again" mirror_link_ok lan "$DPR_R1_MAC" 1500
    check_not "mirror lan: 10.9.0.1 removed" bash -c "ip -n $DPR_NS_R -o addr show dev lan | grep -q 'inet 10.9.0.1/'"
    check "mirror lan: $DPR_R1_ADDR/24 kept" bash -c "ip -n $DPR_NS_R -o addr show dev lan | grep -q 'inet $DPR_R1_ADDR/24 '"
else
    fail "could not derive the reload configuration from $LAB_CONFIG"
fi

# The mirrors go with the router.
router_stop >/dev/null 2>&1
check_not "mirror lan gone after the router stopped" in_r ip link show dev lan
finish
