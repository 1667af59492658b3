#!/usr/bin/env bash
# A real Linux host believes our redirect (RFC 1812 5.2.7.2, RFC 792): h1 and a second host h3 share
# the lan segment (a bridge inside h1's namespace); h3 is the gateway to 10.99.0.0/16. h1 sends to
# 10.99.0.1 through the router (its default route); the router forwards the packet back out lan to
# h3 AND tells h1 to use 10.1.0.3 directly. With accept_redirects=1, `ip route get` on h1 then shows
# the new gateway, and the traffic keeps arriving.
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
NS_H3="${DPR_LAB_PREFIX}dpr-h3"
H3=10.1.0.3
FAR=10.99.0.1
H1=$DPR_H1_ADDR R1=$DPR_R1_ADDR
cleanup_h3() { ip netns del "$NS_H3" 2>/dev/null || true; }
lab_on_cleanup cleanup_h3   # also when the test stops early (fatal)

# The lan segment becomes a bridge in h1's namespace: h1's address moves to the bridge, h3 hangs off it.
setup_h3() {
    in_h1 ip addr flush dev "$DPR_IF_H1" &&
    in_h1 ip link add br0 type bridge &&
    in_h1 ip link set br0 address "$DPR_H1_MAC" &&
    in_h1 ip link set "$DPR_IF_H1" master br0 &&
    in_h1 ip link set br0 up &&
    in_h1 ip addr add "$H1/24" dev br0 &&
    in_h1 ip route add default via "$R1" dev br0 &&
    in_h1 sysctl -qw net.ipv4.conf.all.accept_redirects=1 net.ipv4.conf.br0.accept_redirects=1 &&
    ip netns add "$NS_H3" &&
    ip link add h3-eth0 netns "$NS_H3" type veth peer name br-h3 netns "$DPR_NS_H1" &&
    in_h1 ip link set br-h3 master br0 &&
    in_h1 ip link set br-h3 up || return 1
    local ns_if
    for ns_if in "$NS_H3:h3-eth0" "$DPR_NS_H1:br-h3"; do
        ip netns exec "${ns_if%%:*}" ethtool -K "${ns_if#*:}" rx off tx off tso off gso off gro off >/dev/null 2>&1
    done
    ip netns exec "$NS_H3" ip link set lo up &&
    ip netns exec "$NS_H3" ip link set h3-eth0 up &&
    ip netns exec "$NS_H3" ip addr add "$H3/24" dev h3-eth0 &&
    ip netns exec "$NS_H3" ip addr add "$FAR/32" dev lo   # h3 is the far network's gateway (and host)
}
cleanup_h3   # left over by a run that was killed (the name carries our prefix, so it is ours)
out=$(setup_h3 2>&1) || fatal "set up h3 ($NS_H3) on a bridge with h1" "$out"

cfg="$LAB_TMP/lab-redirect-host.yaml"
cfg_variant "$cfg" --route "10.99.0.0/16 via $H3"
lab_test_router "$cfg"

in_h1 ip route flush cache
before=$(in_h1 ip route get "$FAR" 2>&1)
if grep -q "via $R1" <<<"$before"; then pass "before: h1 reaches $FAR via the router ($R1)"; else fail "before: expected via $R1" "$before"; fi

cap="$LAB_TMP/redirect.pcap"
start_capture "$DPR_NS_H1" br0 "$cap" "icmp and ether src $DPR_R1_MAC" || fatal "tcpdump"
out=$(in_h1 ping -n -c 3 -i 0.3 -W 2 "$FAR" 2>&1)
stop_capture
if grep -q " 0% packet loss" <<<"$out"; then pass "ping $FAR arrives (forwarded via $H3 while redirecting)"; else fail "ping $FAR through the redirect" "$out"; fi
# Fields of the quoted datagram follow the outer ones, comma-separated: the first value is ours.
IFS=$'\t' read -r src gw ipck icmpck < <(tshark_fields "$cap" -o ip.check_checksum:TRUE \
    -Y "icmp.type == 5 && icmp.code == 1" -e ip.src -e icmp.redir_gw -e ip.checksum.status -e icmp.checksum.status | head -1)
if [[ "${src%%,*}" == "$R1" && "$gw" == "$H3" && "${ipck%%,*}" == 1 && "${icmpck%%,*}" == 1 ]]; then
    pass "router sent host redirect 5/1 from $R1 naming $H3; tshark: IP and ICMP checksums good"
else
    fail "expected a valid host redirect from $R1 naming $H3" "src=$src gw=$gw ip-cksum=$ipck icmp-cksum=$icmpck"$'\n'"$(tshark -r "$cap" -n 2>/dev/null)"
fi

after=$(in_h1 ip route get "$FAR" 2>&1)
if grep -q "via $H3" <<<"$after"; then pass "after: Linux installed the redirect: $(head -1 <<<"$after")"; else fail "after: ip route get should show via $H3" "$after"; fi
out=$(in_h1 ping -n -c 2 -i 0.3 -W 2 "$FAR" 2>&1)
if grep -q " 0% packet loss" <<<"$out"; then pass "traffic keeps arriving over the new first hop"; else fail "ping after the redirect" "$out"; fi

cleanup_h3
finish
