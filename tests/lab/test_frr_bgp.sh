#!/usr/bin/env bash
# shellcheck disable=SC2034  # DPR_LAB_PMD: read by scripts/lab-lib.sh
# FRR drives the dataplane (issue 10, docs/control-plane.md): eBGP between FRR in the router's
# namespace, on the mirror interfaces, and FRR in h2; the routes zebra installs in the kernel are
# imported into the live FIB and forwarded by the dataplane alone.
#
# The router runs on the usual lab (h1 -- lan [dprouter] wan -- h2) with a config that adds
#     control_plane: {mirror: true, import_routes: true}
# FRR's bgpd in the router's namespace peers over the wan mirror with bgpd in h2 (IPv4 and IPv6
# sessions); h2 announces its loopback prefixes 10.77.0.0/24 and 2001:db8:77::/64. Then:
#   - h1 pings 10.77.0.1 and 2001:db8:77::1: only the dataplane can have forwarded them (the router's
#     namespace keeps ip_forward=0 and forwarding=0), through routes it imported from the kernel
#     (IPv6: through h2's link-local address, as zebra installs it);
#   - h2 withdraws 10.77.0.0/24: within seconds h1 gets ICMP net unreachable (3/0) from the router;
#   - `ip route add 10.78.0.0/24 via 10.2.0.2` in the router's namespace works the same way, and
#     `ip route del` turns it into net unreachable again.
#
#   tests/lab/run.sh build/dprouter test_frr_bgp
set -u
# net_af_packet ports, as the mirror tests use (docs/control-plane.md "Known problems": af_xdp ports
# stall after several MB punted to the kernel).
: "${DPR_LAB_PMD:=af_packet}"
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/frr_lib.sh"
lab_test_init "$@"

CFG="$LAB_TMP/bgp.yaml"
# Room for imported routes (two copies of each FIB, 262,144 IPv4 and 65,536 IPv6 routes) and the
# mirrors' mbufs takes more than the lab's -m 512 (docs/control-plane.md "Memory").
sed 's/"-m", "512"/"-m", "1024"/' "$LAB_CONFIG" >"$CFG" && grep -q '"-m", "1024"' "$CFG" &&
    printf 'control_plane:\n  mirror: true\n  import_routes: true\n' >>"$CFG" ||
    fatal "config with control_plane"
"$LAB_BIN" --config "$CFG" --check >"$LAB_TMP/check.out" 2>&1 || fatal "--check accepts control_plane" "$(cat "$LAB_TMP/check.out")"
# af_packet leaves the veths to the kernel as well: keep it from answering ARP on them a second time.
in_r ip link set "$DPR_IF_R1" arp off && in_r ip link set "$DPR_IF_R2" arp off || fatal "arp off on the veths"
lab_test_router "$CFG"

# The mirrors are kernel interfaces named lan and wan in the router's namespace.
check "mirror interface wan exists in $DPR_NS_R" in_r ip link show wan
check "ip_forward is 0 in the router's namespace" test "$(in_r sysctl -n net.ipv4.ip_forward)" = 0
in_h2 ip addr add 10.77.0.1/24 dev lo
in_h2 ip addr add 2001:db8:77::1/64 dev lo

chmod 755 "$LAB_TMP"   # the FRR daemons run as user frr
frr_init r >/dev/null && frr_init h2 >/dev/null || fatal "FRR directories"
frr_conf r bgpd <<EOF
router bgp 65001
 bgp router-id 10.2.0.1
 no bgp ebgp-requires-policy
 neighbor 10.2.0.2 remote-as 65002
 neighbor 10.2.0.2 timers connect 1
 neighbor $DPR_H2_ADDR6 remote-as 65002
 neighbor $DPR_H2_ADDR6 timers connect 1
 address-family ipv4 unicast
  no neighbor $DPR_H2_ADDR6 activate
 exit-address-family
 address-family ipv6 unicast
  neighbor $DPR_H2_ADDR6 activate
 exit-address-family
EOF
frr_conf h2 bgpd <<EOF
router bgp 65002
 bgp router-id 10.2.0.2
 no bgp ebgp-requires-policy
 neighbor 10.2.0.1 remote-as 65001
 neighbor 10.2.0.1 timers connect 1
 neighbor $DPR_R2_ADDR6 remote-as 65001
 neighbor $DPR_R2_ADDR6 timers connect 1
 address-family ipv4 unicast
  network 10.77.0.0/24
  no neighbor $DPR_R2_ADDR6 activate
 exit-address-family
 address-family ipv6 unicast
  network 2001:db8:77::/64
  neighbor $DPR_R2_ADDR6 activate
 exit-address-family
EOF
frr_start "$DPR_NS_R" r bgpd 2>"$LAB_TMP/frr.err" || fatal "FRR in the router's namespace" "$(cat "$LAB_TMP/frr.err")"
frr_start "$DPR_NS_H2" h2 bgpd 2>"$LAB_TMP/frr.err" || fatal "FRR in h2" "$(cat "$LAB_TMP/frr.err")"

check "BGP (IPv4) route in the router's kernel" lab_wait_for 60 bash -c "ip -n $DPR_NS_R route show 10.77.0.0/24 proto bgp | grep -q ."
check "BGP (IPv6) route in the router's kernel, via h2's link-local" \
    lab_wait_for 30 bash -c "ip -n $DPR_NS_R -6 route show 2001:db8:77::/64 | grep -q 'via $DPR_H2_LL6'"
check "h1 reaches h2's BGP prefix through the dataplane (IPv4)" lab_wait_for 10 ping_ok "$DPR_NS_H1" 10.77.0.1 3
check "h1 reaches h2's BGP prefix through the dataplane (IPv6)" lab_wait_for 10 ping6_ok "$DPR_NS_H1" 2001:db8:77::1 3
check "still no forwarding in the router's kernel" test "$(in_r sysctl -n net.ipv4.ip_forward)" = 0

frr_vtysh h2 'configure terminal' 'router bgp 65002' 'address-family ipv4 unicast' 'no network 10.77.0.0/24' >/dev/null
net_unreachable() { in_h1 ping -n -c 1 -W 1 10.77.0.1 2>&1 | grep -q "Destination Net Unreachable"; }
check "withdrawal: h1 gets net unreachable from the router within 10 s" lab_wait_for 10 net_unreachable

check "ip route add in the router's namespace" in_r ip route add 10.78.0.0/24 via 10.2.0.2
in_h2 ip addr add 10.78.0.1/24 dev lo
check "forwarded after ip route add" lab_wait_for 5 ping_ok "$DPR_NS_H1" 10.78.0.1 3
check "ip route del in the router's namespace" in_r ip route del 10.78.0.0/24
net_unreachable78() { in_h1 ping -n -c 1 -W 1 10.78.0.1 2>&1 | grep -q "Destination Net Unreachable"; }
check "net unreachable after ip route del" lab_wait_for 5 net_unreachable78

frr_stop r
frr_stop h2
check "router stops cleanly" router_stop
finish
