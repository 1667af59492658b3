#!/usr/bin/env bash
# The dprouter lab: two hosts in network namespaces with the router between them (see scripts/lab-lib.sh).
#
#   scripts/lab.sh up              create the namespaces and veths (replaces an existing lab)
#   scripts/lab.sh down            delete them
#   scripts/lab.sh run [CONFIG]    up, run build/dprouter on CONFIG (default config/lab.yaml) in the
#                                  foreground inside the router namespace until Ctrl-C, then down;
#                                  its pid goes to $DPR_PID_FILE (/run/dprouter-lab.pid)
#   scripts/lab.sh reload          SIGHUP to that router (and only that one): it rereads CONFIG
#   scripts/lab.sh status          show what exists
#
# Environment: DPR_BIN (router binary, default build/dprouter), DPR_LAB_PREFIX, DPR_LAB_PMD (af_xdp by
# default; af_packet or pcap) and the other DPR_* names of scripts/lab-lib.sh. Try it from another terminal:
#   ip netns exec dpr-h1 ping 10.2.0.2
#   ip netns exec dpr-h1 ping -6 2001:db8:2::2
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lab-lib.sh
source "$repo/scripts/lab-lib.sh"

usage() { sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//p;}' "$0" >&2; exit 2; }

# The pid in $DPR_PID_FILE if it is a running router (--config on its command line) (a stale file names nothing, or someone else).
lab_router_pid() {
    local pid
    pid=$(cat "$DPR_PID_FILE" 2>/dev/null) && [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- " --config " || return 1
    echo "$pid"
}
[[ $EUID -eq 0 ]] || { echo "$0: must run as root" >&2; exit 1; }

cmd=${1:-}
case $cmd in
    up)
        lab_up || exit 1
        echo "lab up: $DPR_NS_H1 ($DPR_IF_H1 $DPR_H1_ADDR) -- $DPR_NS_R ($DPR_IF_R1, $DPR_IF_R2) -- $DPR_NS_H2 ($DPR_IF_H2 $DPR_H2_ADDR)"
        [[ $DPR_LAB_IPV6 == 1 ]] && echo "        IPv6: $DPR_H1_ADDR6 (default via $DPR_R1_LL6) -- $DPR_H2_ADDR6 (default via $DPR_R2_LL6)"
        ;;
    down)
        lab_down
        echo "lab down"
        ;;
    reload)
        pid=$(lab_router_pid) || { echo "$0: no lab router running ($DPR_PID_FILE)" >&2; exit 1; }
        if [[ -s "${DPR_PID_FILE%.pid}.copy" ]]; then
            { read -r src; read -r dst; } <"${DPR_PID_FILE%.pid}.copy"
            lab_config "$src" "$dst.tmp" && mv "$dst.tmp" "$dst" || { echo "$0: cannot copy $src to $dst" >&2; exit 1; }
        fi
        kill -HUP "$pid" && echo "SIGHUP sent to dprouter pid $pid; its verdict is in its output" \
            "('configuration reloaded' or 'reload rejected')"
        ;;
    status)
        pid=$(lab_router_pid) && echo "router: dprouter pid $pid ($DPR_PID_FILE)"
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
            lab_config "$config" "$cfg" || exit 1
            # reload copies $config over the router's adapted copy again first
            printf '%s\n%s\n' "$config" "$cfg" >"${DPR_PID_FILE%.pid}.copy"
            trap 'trap "" INT TERM; rm -f "$cfg" "${DPR_PID_FILE%.pid}.copy"; lab_down; echo "lab down"' EXIT
        fi
        echo "lab up; running $bin --config $config in $DPR_NS_R (Ctrl-C stops it)"
        echo "  try: ip netns exec $DPR_NS_H1 ping $DPR_H2_ADDR; ip netns exec $DPR_NS_H1 ping -6 $DPR_H2_ADDR6"
        # Ctrl-C (or SIGTERM to this script) becomes a SIGTERM to the router; then the lab comes down.
        # ip netns exec execs the router, so $! is the router's own pid.
        ip netns exec "$DPR_NS_R" "$bin" --config "$cfg" "${@:3}" &
        rpid=$!
        echo "$rpid" >"$DPR_PID_FILE"
        echo "  router pid $rpid in $DPR_PID_FILE; reload the file with: $0 reload"
        sock=$(sed -n 's/^  socket: *"\{0,1\}\([^"]*\)"\{0,1\} *$/\1/p' "$cfg" | head -n 1)
        echo "  control CLI: ${bin%/*}/dprouterctl --socket ${sock:-/run/dprouter.sock} show interfaces"
        trap 'kill -TERM "$rpid" 2>/dev/null' INT TERM
        while true; do
            wait "$rpid"; rc=$?
            kill -0 "$rpid" 2>/dev/null || break   # wait also returns when a signal arrives
        done
        [[ "$(cat "$DPR_PID_FILE" 2>/dev/null)" == "$rpid" ]] && rm -f "$DPR_PID_FILE"
        echo "router exited with status $rc"
        exit "$rc"
        ;;
    *) usage ;;
esac
