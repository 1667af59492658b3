#!/usr/bin/env bash
# shellcheck disable=SC2034  # ROUTER_LOG: read by scripts/lab-lib.sh
# IPv6 counterpart of test_static_neighbor: h2 never answers Neighbor Discovery (NOARP), so the router
# gives up after its solicitations and h1 gets ICMPv6 address unreachable (1/3) about 3 s later; with
# h2 as a static IPv6 neighbour in the config, ping -6 h1 -> h2 gets through.
# Needs the IPv6 forwarding (v6-forward), configuration (v6-config) and lab library (v6-lab) work.
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"

# h2 never answers Neighbor Discovery: NOARP, and nothing it could answer with. Linux still answers a
# solicitation on a NOARP link, but its advertisement goes to the solicitation's source, the
# router's link-local address, which h2 cannot resolve: so h2 reaches the router only through a
# permanent entry for the router's global address, and routes through that.
h2_silent() {
    in_h2 ip link set "$DPR_IF_H2" arp off &&
    in_h2 ip -6 neigh replace "$DPR_R2_ADDR6" lladdr "$DPR_R2_MAC" dev "$DPR_IF_H2" nud permanent &&
    in_h2 ip -6 route replace default via "$DPR_R2_ADDR6" dev "$DPR_IF_H2"
}
check "h2: NOARP (no ND), permanent neighbour $DPR_R2_ADDR6 -> $DPR_R2_MAC, default route via it" h2_silent

lab_test_router "$LAB_CONFIG"
out=$(in_h1 ping -6 -n -c 1 -W 8 "$DPR_H2_ADDR6" 2>&1)
if grep -q "From $DPR_R1_ADDR6 .*Destination unreachable: Address unreachable" <<<"$out"; then
    pass "without a static neighbour: $(grep From <<<"$out")"
else
    fail "ping -6 h1 -> silent h2: expected 'From $DPR_R1_ADDR6 ... Address unreachable'" "$out"
fi
# The failed entry lasts 5 s (kNeighborFailedMs); the resolver's counter stays. Telemetry is a
# copy the control thread refreshes every 200 ms: ask until it shows (or 3 s have passed).
nd_failed() {
    tel_query /dprouter/stats | "$LAB_PY" -c 'import json, sys; print(json.load(sys.stdin)["/dprouter/stats"]["nd"]["failed"])' 2>&1
}
for _ in 1 2 3 4 5 6; do
    f=$(nd_failed)
    [[ "$f" =~ ^[0-9]+$ ]] && ((f >= 1)) && break
    sleep 0.5
done
if [[ "$f" =~ ^[0-9]+$ ]] && ((f >= 1)); then pass "telemetry nd.failed = $f"; else fail "telemetry nd.failed should be >= 1" "$f"; fi
check "router stops cleanly on SIGTERM (exit 0)" router_stop

cfg="$LAB_TMP/lab-static6.yaml"
cp "$LAB_CONFIG" "$cfg"
cat >>"$cfg" <<EOT
neighbors:
  - address: $DPR_H2_ADDR6
    mac: "$DPR_H2_MAC"
    interface: wan
EOT
check "variant config passes --check" "$LAB_BIN" --config "$cfg" --check
ROUTER_LOG="$LAB_TMP/router-static6.log"
lab_test_router "$cfg"
check "with static neighbour $DPR_H2_ADDR6 on wan, ping -6 h1 -> h2 works (0% loss)" ping_ok "$DPR_NS_H1" "$DPR_H2_ADDR6" 5 -6
nb=$(tel_query /dprouter/neighbors)
if grep -q "$DPR_H2_ADDR6 $DPR_H2_MAC reachable static dev wan" <<<"$nb"; then pass "/dprouter/neighbors: $DPR_H2_ADDR6 $DPR_H2_MAC reachable static"
else fail "/dprouter/neighbors should show $DPR_H2_ADDR6 reachable static" "$nb"; fi
check "router stops cleanly on SIGTERM (exit 0)" router_stop
finish
