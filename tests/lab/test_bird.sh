#!/usr/bin/env bash
# shellcheck disable=SC2034  # DPR_LAB_PMD: read by scripts/lab-lib.sh
# BIRD drives the dataplane (issue 10, docs/control-plane.md "BIRD set-up"): BIRD 2 in the router's
# namespace, on the mirror interfaces, exports static routes and what it learns over eBGP from BIRD
# in h2 into the kernel (proto bird, inline gateways and RTA_MULTIPATH, no nexthop objects); the
# importer hands them to the live FIB and the dataplane alone forwards (ip_forward stays 0).
#
# The router runs on the usual lab (h1 -- lan [dprouter] wan -- h2) with
#     control_plane: {mirror: true, import_routes: true}
# and then:
#   - BIRD static routes: 10.70.0.0/24 via h2, an IPv6 /48 via h2's link-local address (wan), an
#     ECMP route over h1 and h2 (merge paths: one multipath kernel route), a blackhole;
#   - eBGP with BIRD in h2, which announces 10.79.0.0/24; h1 reaches 10.79.0.1 and 10.70.0.1 and
#     2001:db8:70::1 (h2's loopback) through the dataplane;
#   - h2 disables its session: h1 gets net unreachable for 10.79.0.1 within seconds;
#   - BIRD in the router's namespace stops: its routes leave the kernel and the FIB.
#
#   tests/lab/run.sh build/dprouter test_bird
set -u
: "${DPR_LAB_PMD:=af_packet}"   # as the other mirror tests (docs/control-plane.md "Known problems")
source "$(dirname "$0")/lib.sh"
command -v bird >/dev/null && command -v birdc >/dev/null || { echo "$LAB_NAME: needs BIRD 2 (Debian bird2)" >&2; exit 2; }
lab_test_init "$@"
CTL="$(dirname "$LAB_BIN")/dprouterctl"
[[ -x "$CTL" ]] || fatal "dprouterctl next to $LAB_BIN"

CFG="$LAB_TMP/bird.yaml"
# Room for imported routes takes more than the lab's -m 512 (docs/control-plane.md "Memory").
sed 's/"-m", "512"/"-m", "1024"/' "$LAB_CONFIG" >"$CFG" && grep -q '"-m", "1024"' "$CFG" &&
    printf 'control_plane:\n  mirror: true\n  import_routes: true\n' >>"$CFG" ||
    fatal "config with control_plane"
in_r ip link set "$DPR_IF_R1" arp off && in_r ip link set "$DPR_IF_R2" arp off || fatal "arp off on the veths"
lab_test_router "$CFG"
ctl() { "$CTL" --socket "$ROUTER_SOCKET" "$@"; }

for a in 10.79.0.1/24 10.70.0.1/24; do in_h2 ip addr add "$a" dev lo; done
in_h2 ip addr add 2001:db8:70::1/48 dev lo

# bird_start NAME NS: BIRD with $LAB_TMP/bird-NAME/bird.conf, its socket and pid file beside it.
bird_start() {
    local d="$LAB_TMP/bird-$1"
    ip netns exec "$2" bird -c "$d/bird.conf" -s "$d/bird.ctl" -P "$d/bird.pid" 2>"$d/start.err" || return 1
    lab_wait_for 5 test -s "$d/bird.pid" || return 1
    lab_on_cleanup "kill -TERM $(cat "$d/bird.pid") 2>/dev/null"
}
bird_stop() {
    local d="$LAB_TMP/bird-$1" pid
    pid=$(cat "$d/bird.pid") || return 1
    kill -TERM "$pid" && lab_wait_for 5 bash -c "! kill -0 $pid 2>/dev/null"
}
birdc_in() { local d="$LAB_TMP/bird-$1"; shift; birdc -s "$d/bird.ctl" "$@"; }
mkdir -p "$LAB_TMP/bird-r" "$LAB_TMP/bird-h2"
cat >"$LAB_TMP/bird-r/bird.conf" <<EOF
router id 10.2.0.1;
log "$LAB_TMP/bird-r/bird.log" all;
protocol device { }
protocol kernel kernel4 { ipv4 { import none; export all; }; merge paths yes; }
protocol kernel kernel6 { ipv6 { import none; export all; }; merge paths yes; }
protocol static static4 {
  ipv4;
  route 10.70.0.0/24 via $DPR_H2_ADDR;
  route 10.71.0.0/24 via $DPR_H2_ADDR via $DPR_H1_ADDR;
  route 10.72.0.0/24 blackhole;
}
protocol static static6 {
  ipv6;
  route 2001:db8:70::/48 via $DPR_H2_LL6%wan;
}
protocol bgp h2 {
  local $DPR_R2_ADDR as 65001;
  neighbor $DPR_H2_ADDR as 65002;
  connect delay time 1; connect retry time 1;
  ipv4 { import all; export none; };
}
EOF
cat >"$LAB_TMP/bird-h2/bird.conf" <<EOF
router id 10.2.0.2;
log "$LAB_TMP/bird-h2/bird.log" all;
protocol device { }
protocol static { ipv4; route 10.79.0.0/24 blackhole; }
protocol bgp r {
  local $DPR_H2_ADDR as 65002;
  neighbor $DPR_R2_ADDR as 65001;
  connect delay time 1; connect retry time 1;
  ipv4 { import none; export where net = 10.79.0.0/24; };
}
EOF
bird_start r "$DPR_NS_R" || fatal "BIRD in the router's namespace" "$(cat "$LAB_TMP/bird-r/start.err" "$LAB_TMP/bird-r/bird.log" 2>/dev/null)"
bird_start h2 "$DPR_NS_H2" || fatal "BIRD in h2" "$(cat "$LAB_TMP/bird-h2/start.err" "$LAB_TMP/bird-h2/bird.log" 2>/dev/null)"

check "BIRD's static route in the router's kernel (proto bird)" \
    lab_wait_for 10 bash -c "ip -n $DPR_NS_R route show 10.70.0.0/24 proto bird | grep -q ."
check "h1 reaches 10.70.0.1 through the dataplane (BIRD static route)" lab_wait_for 10 ping_ok "$DPR_NS_H1" 10.70.0.1 3
check "h1 reaches 2001:db8:70::1 through the dataplane (BIRD static route via a link-local gateway)" \
    lab_wait_for 10 ping6_ok "$DPR_NS_H1" 2001:db8:70::1 3
route_line() { ctl show routes | awk -v p="$1" '$1 == p'; }
ecmp_imported() { local l; l=$(route_line 10.71.0.0/24); [[ $l == *"$DPR_H1_ADDR"* && $l == *"$DPR_H2_ADDR"* && $l == *installed* ]]; }
check "the ECMP route (merge paths) is one route with both next hops in the FIB" lab_wait_for 5 ecmp_imported
blackhole_imported() { [[ $(route_line 10.72.0.0/24) == *blackhole* ]]; }
check "the blackhole route is imported as blackhole" lab_wait_for 5 blackhole_imported
check "BGP route from h2's BIRD in the router's kernel" \
    lab_wait_for 30 bash -c "ip -n $DPR_NS_R route show 10.79.0.0/24 proto bird | grep -q ."
check "h1 reaches h2's BGP prefix through the dataplane" lab_wait_for 10 ping_ok "$DPR_NS_H1" 10.79.0.1 3
check "still no forwarding in the router's kernel" test "$(in_r sysctl -n net.ipv4.ip_forward)" = 0

birdc_in h2 disable r >/dev/null
net_unreachable() { in_h1 ping -n -c 1 -W 1 "$1" 2>&1 | grep -q "Destination Net Unreachable"; }
check "withdrawal: h1 gets net unreachable for 10.79.0.1 within 10 s" lab_wait_for 10 net_unreachable 10.79.0.1

check "BIRD in the router's namespace stops" bird_stop r
check "its routes leave the kernel" lab_wait_for 5 bash -c "! ip -n $DPR_NS_R route show proto bird | grep -q ."
check "and the FIB: net unreachable for 10.70.0.1" lab_wait_for 5 net_unreachable 10.70.0.1
check "router stops cleanly" router_stop
finish
