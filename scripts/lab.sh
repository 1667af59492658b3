#!/usr/bin/env bash
# The dprouter lab: two hosts in network namespaces with the router between them (see scripts/lab-lib.sh).
#
#   scripts/lab.sh up              create the namespaces and veths (replaces an existing lab)
#   scripts/lab.sh down            delete them
#   scripts/lab.sh run [CONFIG]    up, run build/dprouter on CONFIG (default config/lab.yaml) in the
#                                  foreground inside the router namespace until Ctrl-C, then down
#   scripts/lab.sh status          show what exists
#
# Environment: DPR_BIN (router binary, default build/dprouter), DPR_LAB_PREFIX, DPR_LAB_PMD (af_xdp by
# default; af_packet or pcap) and the other DPR_* names of scripts/lab-lib.sh. Try it from another terminal:
#   ip netns exec dpr-h1 ping 10.2.0.2
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lab-lib.sh
source "$repo/scripts/lab-lib.sh"

usage() { sed -n '2,13s/^# \{0,1\}//p' "$0" >&2; exit 2; }
[[ $EUID -eq 0 ]] || { echo "$0: must run as root" >&2; exit 1; }

cmd=${1:-}
case $cmd in
    up)
        lab_up || exit 1
        echo "lab up: $DPR_NS_H1 ($DPR_IF_H1 $DPR_H1_ADDR) -- $DPR_NS_R ($DPR_IF_R1, $DPR_IF_R2) -- $DPR_NS_H2 ($DPR_IF_H2 $DPR_H2_ADDR)"
        ;;
    down)
        lab_down
        echo "lab down"
        ;;
    status)
        for ns in "$DPR_NS_H1" "$DPR_NS_R" "$DPR_NS_H2"; do
            if _lab_ns_exists "$ns"; then echo "== $ns"; ip -n "$ns" -br addr; else echo "== $ns (absent)"; fi
        done
        ;;
    run)
        config=${2:-$repo/config/lab.yaml}
        bin=${DPR_BIN:-$repo/build/dprouter}
        [[ -x "$bin" ]] || { echo "$0: $bin not built (meson setup build && ninja -C build)" >&2; exit 1; }
        [[ -r "$config" ]] || { echo "$0: cannot read $config" >&2; exit 1; }
        lab_up || exit 1
        trap 'trap "" INT TERM; lab_down; echo "lab down"' EXIT
        cfg=$config
        if _lab_config_differs; then
            cfg=$(mktemp /tmp/dprouter-lab-XXXXXX.yaml)
            lab_config "$config" "$cfg"
            trap 'trap "" INT TERM; rm -f "$cfg"; lab_down; echo "lab down"' EXIT
        fi
        echo "lab up; running $bin --config $config in $DPR_NS_R (Ctrl-C stops it)"
        echo "  try: ip netns exec $DPR_NS_H1 ping $DPR_H2_ADDR"
        # Ctrl-C (or SIGTERM to this script) becomes a SIGTERM to the router; then the lab comes down.
        ip netns exec "$DPR_NS_R" "$bin" --config "$cfg" "${@:3}" &
        rpid=$!
        trap 'kill -TERM "$rpid" 2>/dev/null' INT TERM
        while true; do
            wait "$rpid"; rc=$?
            kill -0 "$rpid" 2>/dev/null || break   # wait also returns when a signal arrives
        done
        echo "router exited with status $rc"
        exit "$rc"
        ;;
    *) usage ;;
esac
