#!/usr/bin/env bash
# A Linux host installs the router's IPv6 Redirect (RFC 4861 8.2, 8.3): h1 and a third host h3 share
# the lan (a bridge in h1's namespace); h3 is the better first hop to 2001:db8:99::/48, which the
# router routes via h3's link-local address. h1 (accept_redirects=1, default route via the router's
# link-local address) pings 2001:db8:99::1: the router forwards the packets back out of the lan to h3
# and sends h1 a Redirect (type 137) from its link-local address, hop limit 255, naming h3's link-local
# address as target, with the target link-layer and redirected-header options; `ip -6 route get` on h1
# then shows h3 as the gateway and the traffic keeps flowing, straight to h3. The on-link case (target =
# destination) works the same. No Redirect for a source that is not on the link, nor with
# icmp_redirects: false on lan.
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
NS_H3="${DPR_LAB_PREFIX}dpr-h3"
H3_MAC=02:00:00:00:01:03
H3_LL=$(lab_ll6 "$H3_MAC")
H3=2001:db8:1::3
FAR=2001:db8:99::1
FAR2=2001:db8:99::2   # for the later cases: h1 keeps the redirect for FAR (Linux cannot always flush it)
FAR3=2001:db8:99::3
H1=$DPR_H1_ADDR6 R1LL=$DPR_R1_LL6
cleanup_h3() { ip netns del "$NS_H3" 2>/dev/null || true; }
lab_on_cleanup cleanup_h3

# The lan segment becomes a bridge in h1's namespace: h1's addresses move to the bridge (its MAC, so
# also its link-local address), h3 hangs off it.
setup_h3() {
    in_h1 ip addr flush dev "$DPR_IF_H1" &&
    in_h1 sysctl -qw "net.ipv6.conf.$DPR_IF_H1.disable_ipv6=1" &&
    in_h1 ip link add br0 type bridge &&
    in_h1 ip link set br0 address "$DPR_H1_MAC" &&
    lab_ipv6_host "$DPR_NS_H1" br0 &&
    in_h1 sysctl -qw net.ipv6.conf.br0.accept_redirects=1 &&
    in_h1 ip link set "$DPR_IF_H1" master br0 &&
    in_h1 ip link set br0 up &&
    in_h1 ip addr add "$DPR_H1_ADDR/24" dev br0 &&
    in_h1 ip -6 addr add "$H1/64" dev br0 nodad &&
    in_h1 ip route add default via "$DPR_R1_ADDR" dev br0 &&
    in_h1 ip -6 route add default via "$R1LL" dev br0 &&
    _lab_new_ns "$NS_H3" &&
    ip -n "$DPR_NS_H1" link add br-h3 type veth peer name h3-eth0 netns "$NS_H3" &&
    ip -n "$NS_H3" link set h3-eth0 address "$H3_MAC" &&
    _lab_quiet_if "$NS_H3" h3-eth0 && _lab_quiet_if "$DPR_NS_H1" br-h3 &&   # offloads off, IPv6 off
    lab_ipv6_host "$NS_H3" h3-eth0 &&                                         # and on again, quietly, for h3
    in_h1 ip link set br-h3 master br0 up &&
    ip -n "$NS_H3" link set h3-eth0 up &&
    ip -n "$NS_H3" -6 addr add "$H3/64" dev h3-eth0 nodad &&
    ip -n "$NS_H3" -6 addr add "$FAR/128" dev lo &&   # h3 is the far network's gateway (and hosts)
    ip -n "$NS_H3" -6 addr add "$FAR2/128" dev lo &&
    ip -n "$NS_H3" -6 addr add "$FAR3/128" dev lo
}
cleanup_h3   # left over by a run that was killed (the name carries our prefix, so it is ours)
out=$(setup_h3 2>&1) || fatal "set up h3 ($NS_H3) on a bridge with h1" "$out"

cfg="$LAB_TMP/lab-redirect6.yaml"
# 2001:db8:5::/64 is behind h1 (the off-link source case below): the router could redirect it.
cfg_variant "$cfg" --route "2001:db8:99::/48 via $H3_LL dev lan" --route "2001:db8:5::/64 via $DPR_H1_LL6 dev lan"
lab_test_router "$cfg"
# The router learns h3's addresses from h3's own solicitations (RFC 4861 7.2.3), so that it knows the
# link-layer address of the targets when it redirects (the option is "if known", 8.2).
check "h3 pings the router's link-local and global addresses" \
    bash -c "ip netns exec '$NS_H3' ping -6 -n -c 1 -W 2 '$R1LL%h3-eth0' && ip netns exec '$NS_H3' ping -6 -n -c 1 -W 2 '$DPR_R1_ADDR6'"

in_h1 ip -6 route flush cache
before=$(in_h1 ip -6 route get "$FAR" 2>&1)
if grep -q "via $R1LL dev br0" <<<"$before"; then pass "before: h1 reaches $FAR via the router ($R1LL)"; else fail "before: expected via $R1LL" "$before"; fi

# redirects CAP: the Redirect messages in CAP, one line each (the outer header's fields, then the
# types of all options; the quoted packet is an echo request, which has none)
redirects() {
    paste <(tshark_fields "$1" -Y "icmpv6.type == 137" -E occurrence=f -e ipv6.src -e ipv6.dst -e ipv6.hlim -e icmpv6.code \
        -e icmpv6.nd.rd.target_address -e icmpv6.rd.na.destination_address -e icmpv6.opt.target_linkaddr) \
        <(tshark_fields "$1" -Y "icmpv6.type == 137" -e icmpv6.opt.type) \
        <(tshark_fields "$1" -Y "icmpv6.type == 137" -E occurrence=f -e icmpv6.checksum.status)
}
# One Redirect or more, each exactly: from the router's link-local address to h1, hop limit 255, code 0,
# TARGET and DEST, the target's MAC in the target link-layer option (type 2) and the redirected header
# option (type 4), checksum good.
expect_redirect() {
    local desc=$1 cap=$2 target=$3 dest=$4 r want
    r=$(redirects "$cap")
    want=$(printf '%s\t%s\t255\t0\t%s\t%s\t%s\t2,4\t1' "$R1LL" "$H1" "$target" "$dest" "$H3_MAC")
    if [[ -n "$r" ]] && ! grep -qvxF "$want" <<<"$r"; then
        pass "$desc: $(grep -c . <<<"$r") Redirect(s) from $R1LL, hop limit 255, target $target, destination $dest, target link-layer $H3_MAC, redirected header, checksum good"
    else
        fail "$desc: expected Redirects, each (src dst hlim code target dest tll option-types checksum):"$'\n'"$want" "${r:-(none)}"$'\n'"$(tshark -n -r "$cap" 2>/dev/null | head)"
    fi
}

# ping_seen NAME FILTER PING-ARGS...: ping -6 from h1 while capturing FILTER on br0 into $cap
ping_seen() {
    cap="$LAB_TMP/$1.pcap"
    start_capture "$DPR_NS_H1" br0 "$cap" "$2" || fatal "tcpdump on br0"
    out=$(in_h1 ping -6 -n -i 0.3 -W 2 "${@:3}" 2>&1)
    stop_capture
}
REDIR="icmp6 and ip6[40] == 137"

ping_seen redirect "$REDIR" -c 3 "$FAR"
if grep -q " 0% packet loss" <<<"$out"; then pass "ping -6 $FAR arrives (forwarded to h3 while redirecting)"; else fail "ping -6 $FAR through the redirect" "$out"; fi
expect_redirect "off-link destination" "$cap" "$H3_LL" "$FAR"
# The redirected header option carries the packet that caused it (RFC 4861 4.5): h1's echo request.
q=$(tshark_fields "$cap" -Y "icmpv6.type == 137" -E occurrence=l -e ipv6.src -e ipv6.dst -e icmpv6.type | head -1)
if [[ "$q" == "$H1"$'\t'"$FAR"$'\t'128 ]]; then pass "the redirected header quotes h1's echo request to $FAR"
else fail "the redirected header should quote h1's echo request ($H1 -> $FAR, type 128)" "$q"; fi

after=$(in_h1 ip -6 route get "$FAR" 2>&1)
if grep -q "via $H3_LL dev br0" <<<"$after"; then pass "after: Linux installed the redirect: $(head -1 <<<"$after" | tr -s ' ')"
else fail "after: ip -6 route get $FAR should show via $H3_LL" "$after"; fi
ping_seen direct "icmp6 and ip6[40] == 128 and ether dst $H3_MAC and ether src $DPR_H1_MAC" -c 2 "$FAR"
n=$(tshark_fields "$cap" -e frame.number | grep -c .)
if grep -q " 0% packet loss" <<<"$out" && ((n == 2)); then pass "traffic keeps arriving, now sent by h1 straight to h3's MAC"
else fail "ping after the redirect: expected 0% loss and 2 requests from h1 to h3's MAC ($n)" "$out"; fi

# On-link destination: without its on-link prefix route h1 sends to h3's own address via the router;
# the Redirect names the destination itself as target (RFC 4861 8.2).
in_h1 ip -6 route del 2001:db8:1::/64 dev br0
ping_seen onlink "$REDIR" -c 2 "$H3"
if grep -q " 0% packet loss" <<<"$out"; then pass "ping -6 $H3 through the router (no on-link route on h1)"; else fail "ping -6 $H3 via the router" "$out"; fi
expect_redirect "on-link destination" "$cap" "$H3" "$H3"
after=$(in_h1 ip -6 route get "$H3" 2>&1)
if grep -q "dev br0" <<<"$after" && ! grep -q "via $R1LL" <<<"$after"; then pass "after: h1 reaches $H3 directly: $(head -1 <<<"$after" | tr -s ' ')"
else fail "after: ip -6 route get $H3 should no longer go via $R1LL" "$after"; fi
in_h1 ip -6 route add 2001:db8:1::/64 dev br0

# A source that is not a neighbour on the link (RFC 4861 8.2: "the source address of the packet
# identifies a neighbor"; Linux redirects those too, against the RFC): forwarded, no Redirect.
in_h1 ip -6 addr add 2001:db8:5::2/128 dev br0 nodad
ip -n "$NS_H3" -6 route add 2001:db8:5::/64 via "$DPR_H1_LL6" dev h3-eth0   # h3 answers h1 directly
ping_seen offlink "$REDIR" -c 2 -I 2001:db8:5::2 "$FAR2"
r=$(redirects "$cap")
if grep -q " 0% packet loss" <<<"$out" && [[ -z "$r" ]]; then pass "off-link source 2001:db8:5::2 to $FAR2: forwarded, no Redirect"
else fail "off-link source 2001:db8:5::2: expected forwarding and no Redirect" "$out"$'\n'"redirects: ${r:-(none)}"; fi

# icmp_redirects: false on lan: forwarded, no Redirect, the route stays via the router.
cfg2="$LAB_TMP/lab-redirect6-off.yaml"
cfg_variant "$cfg2" --route "2001:db8:99::/48 via $H3_LL dev lan" --route "2001:db8:5::/64 via $DPR_H1_LL6 dev lan" \
    --iface-opt lan icmp_redirects=false
check "reload with icmp_redirects: false on lan" router_reload "$cfg2"
ping_seen off "$REDIR" -c 2 "$FAR3"
r=$(redirects "$cap")
after=$(in_h1 ip -6 route get "$FAR3" 2>&1)
if grep -q " 0% packet loss" <<<"$out" && [[ -z "$r" ]] && grep -q "via $R1LL" <<<"$after"; then
    pass "icmp_redirects: false: $FAR3 forwarded, no Redirect, h1 still goes via $R1LL"
else
    fail "icmp_redirects: false: expected forwarding, no Redirect, route via $R1LL" "$out"$'\n'"redirects: ${r:-(none)}"$'\n'"$after"
fi

check "router still running" router_alive
check "router stops cleanly on SIGTERM (exit 0)" router_stop
cleanup_h3
finish
