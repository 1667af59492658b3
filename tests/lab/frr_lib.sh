# shellcheck shell=bash
# FRR 8.4 (Debian's frr package) daemons inside a lab network namespace, with every file of theirs in
# a private directory: the machine's own /etc/frr, /var/run/frr and frr.service are never used or
# touched, and several instances (one per namespace) run side by side.
#
#   frr_init NAME                 make the instance's directory ($LAB_TMP/frr-NAME, or /tmp when no
#                                 LAB_TMP), owned by the frr user; prints its path
#   frr_conf NAME DAEMON          write DAEMON's configuration (zebra, staticd, bgpd, ...) from stdin
#   frr_start NS NAME DAEMON...   start zebra and then each DAEMON in NS; waits until each answers
#                                 on its vty socket; registers frr_stop with lab_on_cleanup when the
#                                 lab library is loaded
#   frr_stop NAME                 stop the instance's daemons (SIGTERM, then SIGKILL after 5 s)
#   frr_vtysh NAME CMD...         run vtysh commands against the instance (`show ip route`, ...)
#   frr_log NAME                  the instance's daemon logs, for a failing check
#
# How the daemons are kept apart (all options of FRR 8.4's common command line):
#   -f DIR/DAEMON.conf            its own configuration file (one per daemon, not an integrated frr.conf)
#   -i DIR/DAEMON.pid             pid file
#   -z DIR/zserv.api              zebra's API socket; every other daemon is given the same path
#   --vty_socket DIR              the DAEMON.vty Unix sockets vtysh talks to (vtysh --vty_socket DIR)
#   -P 0                          no TCP vty port
#   --log file:DIR/DAEMON.log     log file
#   -u frr -g frr                 Debian builds FRR with vty group frrvty: root is not in it, so
#                                 `-u root` is refused ("user(root) is not part of vty group"); the
#                                 daemons start as root, keep the capabilities they need and run as frr
# Routes zebra installs get nexthop objects (`ip nexthop`, RTA_NH_ID) on kernels that have them, and
# rtm_protocol 196 for staticd, 186 for bgpd; zebra removes them again when it stops.
: "${FRR_SBIN:=/usr/lib/frr}"
FRR_INSTANCES=()

frr_dir() { echo "${LAB_TMP:-/tmp}/frr-$1"; }

frr_init() {
    local dir
    dir=$(frr_dir "$1")
    mkdir -p "$dir" || return 1
    : >"$dir/vtysh.conf"   # vtysh --config_dir reads it; empty keeps the machine's own out
    chown frr:frr "$dir" "$dir/vtysh.conf" || return 1
    echo "$dir"
}

frr_conf() {
    local dir
    dir=$(frr_dir "$1")
    cat >"$dir/$2.conf" || return 1
    chown frr:frr "$dir/$2.conf"
}

frr_start() {
    local ns=$1 name=$2; shift 2
    local dir d i
    dir=$(frr_dir "$name")
    [[ -x "$FRR_SBIN/zebra" ]] || { echo "frr_start: no $FRR_SBIN/zebra (Debian package frr)" >&2; return 1; }
    [[ -d "$dir" ]] || frr_init "$name" >/dev/null || return 1
    FRR_INSTANCES+=("$name")
    if declare -F lab_on_cleanup >/dev/null; then lab_on_cleanup "frr_stop $name"; fi
    for d in zebra "$@"; do
        [[ -f "$dir/$d.conf" ]] || printf 'hostname %s\n' "$name" | frr_conf "$name" "$d"
        ip netns exec "$ns" "$FRR_SBIN/$d" -d -f "$dir/$d.conf" -i "$dir/$d.pid" -z "$dir/zserv.api" \
            --vty_socket "$dir" -P 0 -u frr -g frr --log "file:$dir/$d.log" >>"$dir/start.log" 2>&1 ||
            { echo "frr_start: $d did not start in $ns:" >&2; cat "$dir/start.log" >&2; return 1; }
        # Each daemon is ready once its vty socket answers; zebra before the others connect to it.
        for ((i = 0; i < 50; i++)); do
            timeout 5 vtysh --vty_socket "$dir" --config_dir "$dir" -d "$d" -c "show version" >/dev/null 2>&1 && break
            sleep 0.1
        done
        ((i < 50)) || { echo "frr_start: $d in $ns does not answer on $dir/$d.vty" >&2; return 1; }
    done
}

frr_stop() {
    local dir pid f i
    dir=$(frr_dir "$1")
    for f in "$dir"/*.pid; do
        [[ -f "$f" ]] || continue
        pid=$(cat "$f" 2>/dev/null)
        [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null
    done
    for f in "$dir"/*.pid; do
        [[ -f "$f" ]] || continue
        pid=$(cat "$f" 2>/dev/null)
        [[ -n "$pid" ]] || continue
        for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
        rm -f "$f"
    done
    return 0
}

frr_vtysh() {
    local dir args=() c
    dir=$(frr_dir "$1"); shift
    for c in "$@"; do args+=(-c "$c"); done
    timeout 10 vtysh --vty_socket "$dir" --config_dir "$dir" "${args[@]}"
}

frr_log() {
    local dir f
    dir=$(frr_dir "$1")
    for f in "$dir"/*.log; do [[ -f "$f" ]] && { echo "== $f"; tail -n 20 "$f"; }; done
}
