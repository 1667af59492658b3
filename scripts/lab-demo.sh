#!/usr/bin/env bash
# A two-minute tour of dprouter between two network namespaces:
#   sudo scripts/lab-demo.sh            (after: meson setup build && ninja -C build)
# Builds the lab (scripts/lab-lib.sh), starts build/dprouter on config/lab.yaml inside the router
# namespace, pings and traceroutes through it, pings its own addresses, reads its counters through DPDK
# telemetry and on exit, stops it and removes the lab. Exits non-zero when the ping through the router
# fails or the router does not stop cleanly.
#
# Environment: DPR_BIN (default build/dprouter), DPR_CONFIG (default config/lab.yaml), and the DPR_* names
# of scripts/lab-lib.sh.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lab-lib.sh
source "$repo/scripts/lab-lib.sh"

bin=${DPR_BIN:-$repo/build/dprouter}
config=${DPR_CONFIG:-$repo/config/lab.yaml}
[[ $EUID -eq 0 ]] || { echo "$0: must run as root (network namespaces)" >&2; exit 1; }
[[ -x "$bin" ]] || { echo "$0: $bin not found; build it first: meson setup build && ninja -C build" >&2; exit 1; }

tmp=$(mktemp -d /tmp/dprouter-demo-XXXXXX)
ROUTER_LOG="$tmp/router.log"
cleanup() { trap '' INT TERM; lab_down; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'echo "interrupted"; exit 130' INT TERM

if [[ -t 1 ]]; then step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }; else step() { printf '\n== %s\n' "$*"; }; fi
show() { printf '$ %s\n' "$*"; "$@"; }

step "lab: $DPR_NS_H1 ($DPR_H1_ADDR) -- [$DPR_R1_ADDR lan] dprouter [wan $DPR_R2_ADDR] -- $DPR_NS_H2 ($DPR_H2_ADDR)"
lab_up || exit 1

step "start $bin --config $config (in netns $DPR_NS_R, net_$DPR_LAB_PMD on $DPR_IF_R1 and $DPR_IF_R2)"
router_start "$bin" "$config" || exit 1

status=0
step "ping through the router: $DPR_NS_H1 -> $DPR_H2_ADDR"
if ! show ip netns exec "$DPR_NS_H1" ping -n -c 3 -i 0.3 -W 1 -w 8 "$DPR_H2_ADDR"; then
    echo "!! ping through the router failed"
    status=1
fi

step "traceroute through the router: $DPR_NS_H1 -> $DPR_H2_ADDR"
tr=$(ip netns exec "$DPR_NS_H1" timeout 30 traceroute -n -q 3 -w 1 -m 5 "$DPR_H2_ADDR" 2>&1)
echo "\$ ip netns exec $DPR_NS_H1 traceroute -n -q 3 -w 1 -m 5 $DPR_H2_ADDR"
echo "$tr"
if grep -q '^ 1  \* \* \*' <<<"$tr"; then
    echo "(hop 1 is the router: * * * means it sent no ICMP time exceeded for TTL=1 probes)"
else
    echo "(hop 1 is the router answering TTL=1 probes with ICMP time exceeded; hop 2 is h2's port unreachable)"
fi

step "the router's own addresses"
show ip netns exec "$DPR_NS_H1" ping -n -c 2 -i 0.3 -W 1 -w 5 "$DPR_R1_ADDR"
show ip netns exec "$DPR_NS_H1" ping -n -c 2 -i 0.3 -W 1 -w 5 "$DPR_R2_ADDR"
show ip netns exec "$DPR_NS_H2" ping -n -c 2 -i 0.3 -W 1 -w 5 "$DPR_R2_ADDR"

if [[ $DPR_LAB_IPV6 == 1 ]]; then
    step "IPv6 through the router: $DPR_NS_H1 ($DPR_H1_ADDR6) -> $DPR_H2_ADDR6, default route via $DPR_R1_LL6"
    if ! show ip netns exec "$DPR_NS_H1" ping -6 -n -c 3 -i 0.3 -W 1 -w 8 "$DPR_H2_ADDR6"; then
        echo "!! ping -6 through the router failed"
        status=1
    fi
    echo "\$ ip netns exec $DPR_NS_H1 traceroute6 -n -q 3 -w 1 -m 5 $DPR_H2_ADDR6"
    ip netns exec "$DPR_NS_H1" timeout 30 traceroute6 -n -q 3 -w 1 -m 5 "$DPR_H2_ADDR6" 2>&1
    show ip netns exec "$DPR_NS_H1" ping -6 -n -c 2 -i 0.3 -W 1 -w 5 "$DPR_R1_LL6%$DPR_IF_H1"
fi

step "what the hosts learnt over ARP (and Neighbor Discovery)"
show ip netns exec "$DPR_NS_H1" ip neigh show dev "$DPR_IF_H1"
show ip netns exec "$DPR_NS_H2" ip neigh show dev "$DPR_IF_H2"

if command -v dpdk-telemetry.py >/dev/null; then
    step "counters through DPDK telemetry: /dprouter/stats"
    echo "\$ echo /dprouter/stats | dpdk-telemetry.py -f $DPR_FILE_PREFIX"
    tel=$(echo /dprouter/stats | timeout 10 /usr/bin/python3 "$(command -v dpdk-telemetry.py)" -f "$DPR_FILE_PREFIX" 2>&1)
    # the non-zero counters, one group a line (the full reply has every counter, zeros included)
    /usr/bin/python3 -c '
import json, sys
d = json.loads(sys.argv[1])["/dprouter/stats"]
for group, v in d.items():
    if group == "ports":
        for name, p in v.items():
            print(f"  port {name}: " + ", ".join(f"{k} {x}" for k, x in p.items()))
    else:
        nz = {k: x for k, x in v.items() if x}
        if nz:
            print(f"  {group}: " + ", ".join(f"{k} {x}" for k, x in nz.items()))
' "$tel" 2>/dev/null || echo "${tel:-(telemetry not available)}"
fi

step "stop the router (SIGTERM); it prints its counters on exit"
lines=$(wc -l <"$ROUTER_LOG")
if router_stop; then
    echo "router exited with status 0"
else
    echo "!! router did not stop cleanly (status $ROUTER_STATUS)"
    status=1
fi
tail -n +"$((lines + 1))" "$ROUTER_LOG"

step "remove the lab"
lab_down
echo "done"
exit "$status"
