#!/usr/bin/env bash
# Route import at Internet-table scale (issue 10, docs/control-plane.md "Route import"): N IPv4 /24
# routes put in the kernel with `ip -batch`, then withdrawn, and how long after the last `ip`
# command the dataplane forwards (and stops forwarding) to the last prefix. Prints figures.
#
#   scripts/bench-import.sh [--routes N] [--kernel-only | --router-only] [DPROUTER_BINARY]    (root; default
#                                                       1,000,000 routes, build/dprouter)
#
# Two measurements, in this order:
#   kernel   the kernel alone, for reference: a namespace with one interface (wan, 10.2.0.1/24);
#            the time `ip -batch` takes to add the N routes (via 10.2.0.2 dev wan), then to delete them.
#   router   the lab (h1 -- lan [dprouter] wan -- h2, scripts/lab-lib.sh, net_af_packet ports) with
#            control_plane {mirror: true, import_routes: true, max_routes: N + 1000} and the EAL on
#            2 MiB hugepages (BENCH_IMPORT_NOHUGE=1: --no-huge -m 3072). The same `ip -batch` runs in
#            the router's namespace on the wan mirror. h2 holds an address in the last prefix on its
#            loopback; from the moment `ip -batch` returns, h1 pings it every few milliseconds: the
#            figure is the time until the first echo reply (only the dataplane can forward it:
#            ip_forward stays 0 in the router's namespace). After the delete batch, the time until
#            h1 gets "Destination Net Unreachable" from the router for that address. Alongside,
#            dprouterctl show stats (import.routes_imported, overruns, resyncs) gives the time until
#            the importer holds all N routes (and none), and whether notifications were lost.
#
# Environment: DPR_LAB_PREFIX (default "bi": namespaces bidpr-h1, bidpr-h2, bidpr-r, bidpr-k),
# BENCH_IMPORT_NOHUGE=1, BENCH_IMPORT_TIMEOUT=600 (seconds to wait for the dataplane each way).
# Everything the script creates (namespaces, router, temp dir) is removed when it ends.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
routes=1000000
kernel_only=
router_only=
pos=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --routes) routes=${2:?--routes needs a number}; shift ;;
        --kernel-only) kernel_only=1 ;;
        --router-only) router_only=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) pos+=("$1") ;;
    esac
    shift
done
[[ $routes =~ ^[0-9]+$ && $routes -ge 1 && $routes -le 4194304 ]] || { echo "--routes: 1..4194304" >&2; exit 2; }
[[ $EUID -eq 0 ]] || { echo "bench-import: must run as root" >&2; exit 2; }
bin=$(readlink -f "${pos[0]:-$root/build/dprouter}")
ctl=$(dirname "$bin")/dprouterctl
timeout=${BENCH_IMPORT_TIMEOUT:-600}

: "${DPR_LAB_PREFIX:=bi}"
export DPR_LAB_PREFIX DPR_LAB_PMD=af_packet
# shellcheck source=scripts/lab-lib.sh
source "$here/lab-lib.sh"
knet="${DPR_LAB_PREFIX}dpr-k"
tmp=$(mktemp -d /tmp/dprouter-bench-import-XXXXXX)
ROUTER_LOG=$tmp/router.log
cleanup() {
    set +e
    lab_down
    ip netns del "$knet" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "bench-import: interrupted" >&2; exit 130' INT TERM

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", b - a}'; }

# N /24s from 32.0.0.0 up (32.0.0.0/24 ... 47.66.63.0/24 for a million): none of the lab's
# addresses. The last one is where the probe goes.
prefix_of() { local i=$1 b=$((32 * 65536 + $1)); echo "$((b >> 16)).$(((b >> 8) & 255)).$((b & 255)).0/24"; }
last=$(prefix_of $((routes - 1)))
probe_addr=${last%.0/24}.1
gen_batch() {  # add|del -> file
    awk -v n="$routes" -v op="$1" 'BEGIN {
        for (i = 0; i < n; i++) {
            b = 32 * 65536 + i
            if (op == "add") printf "route add %d.%d.%d.0/24 via 10.2.0.2 dev wan proto static\n", int(b / 65536), int(b / 256) % 256, b % 256
            else printf "route del %d.%d.%d.0/24 via 10.2.0.2 dev wan\n", int(b / 65536), int(b / 256) % 256, b % 256
        }
    }' > "$tmp/$1.batch"
}
gen_batch add
gen_batch del
echo "bench-import: $routes IPv4 /24 routes, $(prefix_of 0) .. $last; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- the kernel alone ----
if [[ -z $router_only ]]; then
ip netns del "$knet" 2>/dev/null || true
ip netns add "$knet"
ip -n "$knet" link add wan type veth peer name wan-p   # (no dummy module on every machine)
ip -n "$knet" link set wan-p up
ip -n "$knet" link set wan up
ip -n "$knet" addr add 10.2.0.1/24 dev wan
t0=$(now); ip -n "$knet" -batch "$tmp/add.batch"; t1=$(now)
count=$(ip -n "$knet" route show proto static | wc -l)
t2=$(now); ip -n "$knet" -batch "$tmp/del.batch"; t3=$(now)
ip netns del "$knet"
echo "kernel alone: add $(secs "$t0" "$t1") s ($count routes in the table), delete $(secs "$t2" "$t3") s"
fi
[[ -z $kernel_only ]] || exit 0

# ---- the router ----
[[ -x $bin && -x $ctl ]] || { echo "bench-import: need $bin and $ctl (ninja -C build dprouter dprouterctl)" >&2; exit 2; }
if [[ ${BENCH_IMPORT_NOHUGE:-0} == 1 ]]; then
    eal='"--no-pci", "--no-huge", "-m", "3072"'
else
    eal='"--no-pci", "--huge-unlink"'
fi
cfg=$tmp/import.yaml
sed -e "s/\"--no-pci\", \"--no-huge\", \"-m\", \"512\"/$eal/" "$root/config/lab.yaml" > "$cfg"
grep -q -- '--no-pci' "$cfg" || { echo "bench-import: cannot adapt config/lab.yaml" >&2; exit 1; }
printf 'control_plane:\n  mirror: true\n  import_routes: true\n  max_routes: %d\n' $((routes + 1000)) >> "$cfg"
lab_up
# af_packet leaves the veths to the kernel as well: keep it from answering ARP on them a second time.
in_r ip link set "$DPR_IF_R1" arp off
in_r ip link set "$DPR_IF_R2" arp off
DPR_ROUTER_START_TIMEOUT=120 router_start "$bin" "$cfg"
in_h2 ip addr add "$probe_addr/32" dev lo
sock=$ROUTER_SOCKET
import_stat() {  # counter name of the import group
    "$ctl" --socket "$sock" --json show stats 2>/dev/null | awk -v k="\"$1\":" '$1 == k {gsub(/,/, "", $2); print $2}'
}
reaches() { ip netns exec "$DPR_NS_H1" ping -n -c 1 -W 1 "$probe_addr" > /dev/null 2>&1; }
unreachable() { { ip netns exec "$DPR_NS_H1" ping -n -c 1 -W 1 "$probe_addr" 2>&1 || true; } | grep -q "Destination Net Unreachable"; }
# wait_for WHAT CMD...: seconds from now until CMD succeeds (every 5 ms), or "never" after $timeout s.
wait_for() {
    local start end
    start=$(now)
    while ! "$@"; do
        end=$(now)
        if awk -v a="$start" -v b="$end" -v t="$timeout" 'BEGIN {exit !(b - a > t)}'; then echo never; return; fi
        sleep 0.005
    done
    secs "$start" "$(now)"
}
imported_is() { [[ $(import_stat routes_imported) == "$1" ]]; }

unreachable || { echo "bench-import: $probe_addr should be unreachable before the routes exist" >&2; exit 1; }
t0=$(now); in_r ip -batch "$tmp/add.batch"; t1=$(now)
# The probe and the counter run one after the other from the same moment: each figure is from t1.
fwd=$(wait_for reaches)
t2=$(now)
imp=$(wait_for imported_is "$routes")
imp=$(awk -v a="$t1" -v b="$t2" -v c="$imp" 'BEGIN {if (c == "never") print c; else printf "%.3f", b - a + c}')
echo "router, add: ip -batch $(secs "$t0" "$t1") s; after it: forwarding to $last in $fwd s, all $routes imported in $imp s;" \
     "overruns $(import_stat overruns), resyncs $(import_stat resyncs), refused $(import_stat routes_refused)"
rss=$(awk '/VmRSS/ {print $2}' "/proc/$ROUTER_PID/status" 2>/dev/null || echo '?')
echo "router RSS with $routes imported routes: $((rss / 1024)) MiB (EAL memory not in it with hugepages)"

t0=$(now); in_r ip -batch "$tmp/del.batch"; t1=$(now)
gone=$(wait_for unreachable)
t2=$(now)
imp=$(wait_for imported_is 0)
imp=$(awk -v a="$t1" -v b="$t2" -v c="$imp" 'BEGIN {if (c == "never") print c; else printf "%.3f", b - a + c}')
echo "router, delete: ip -batch $(secs "$t0" "$t1") s; after it: net unreachable for $last in $gone s, none imported in $imp s;" \
     "overruns $(import_stat overruns), resyncs $(import_stat resyncs), notifications $(import_stat notifications)"
router_stop > /dev/null || echo "bench-import: the router did not stop cleanly (log $ROUTER_LOG)" >&2
