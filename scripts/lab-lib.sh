# shellcheck shell=bash
# Lab topology helpers for dprouter: two hosts in network namespaces, the router between them.
#
#   ns H1: if H1 (10.1.0.2/24) --veth-- if R1 [lan 10.1.0.1]  dprouter  [wan 10.2.0.1] if R2 --veth-- ns H2: if H2 (10.2.0.2/24)
#          (2001:db8:1::2/64)              [2001:db8:1::1]            [2001:db8:2::1]                 (2001:db8:2::2/64)
#                                       \________________ ns R __________________/
#
# The hosts are dual-stack (DPR_LAB_IPV6=0 leaves IPv6 off on them): a global address each (nodad) and
# an IPv6 default route via the router's link-local address (fe80:: + modified EUI-64 of its port MAC,
# which the router derives the same way), as a router advertisement would install it. A link-local
# gateway is also what a Linux host needs to accept the router's Redirects (RFC 4861 8.1: the
# redirect's source must be the first hop the host uses). No DAD, router solicitations or RAs, so
# captures stay quiet; the router namespace's kernel keeps IPv6 off on its veth ends.
#
# Source this file from bash. Every name is overridable through the environment; DPR_LAB_PREFIX is
# prepended to the namespace names (and turns into a private DPDK --file-prefix), so a second lab can run
# beside the default one. Interface names live inside the namespaces, so they never clash with the root
# namespace, which this library never touches: veths are created directly inside the lab namespaces.
#
# Functions:
#   lab_up                       create the topology (tears an old one down first)
#   lab_down                     stop the router started by router_start, delete the namespaces
#   router_start BIN CONFIG [ARGS...]
#                                run BIN --config COPY ARGS... inside ns R in the background, where COPY
#                                ($ROUTER_CONFIG) is CONFIG adapted by lab_config; log to $ROUTER_LOG (a
#                                temp file unless set; its pid in $ROUTER_PIDFILE beside it); wait (bounded)
#                                until it answers ping from H1.
#                                Returns 1, with the log, when it dies or does not come up (then stops it)
#   router_reload NEWCONFIG [TIMEOUT]
#                                rewrite $ROUTER_CONFIG from NEWCONFIG, SIGHUP the router, wait for its verdict;
#                                0 only when it logged "configuration reloaded" (ROUTER_RELOAD: applied,
#                                rejected, silent, dead or nofile)
#   router_reload_refused NEWCONFIG [TIMEOUT]
#                                the same, 0 only when the router refused the file and still runs
#   router_stop                  SIGTERM, wait (bounded), return 0 only when it exited with status 0
#                                (status in $ROUTER_STATUS)
#   router_alive                 0 while the router started by router_start runs
#   lab_config SRC DST           copy a config, rewriting the router-side iface names, the DPDK file
#                                prefix and the PMD (DPR_LAB_PMD) to match the environment
#   in_h1 / in_h2 / in_r CMD...  run CMD in a lab namespace (in_ns NS CMD... for any)
#   lab_wait_for TIMEOUT CMD...  retry CMD every 0.2 s until it succeeds or TIMEOUT seconds pass
#
# router_start/router_stop must run in the same shell (not inside $(...)): they keep the router's pid.
# Must run as root. Uses iproute2, ethtool, ping.

: "${DPR_LAB_PREFIX:=}"
: "${DPR_NS_H1:=${DPR_LAB_PREFIX}dpr-h1}"
: "${DPR_NS_H2:=${DPR_LAB_PREFIX}dpr-h2}"
: "${DPR_NS_R:=${DPR_LAB_PREFIX}dpr-r}"
: "${DPR_IF_H1:=h1-eth0}"
: "${DPR_IF_H2:=h2-eth0}"
: "${DPR_IF_R1:=r-h1}"
: "${DPR_IF_R2:=r-h2}"
: "${DPR_H1_ADDR:=10.1.0.2}"
: "${DPR_H2_ADDR:=10.2.0.2}"
: "${DPR_R1_ADDR:=10.1.0.1}"
: "${DPR_R2_ADDR:=10.2.0.1}"
: "${DPR_H1_MAC:=02:00:00:00:01:02}"
: "${DPR_H2_MAC:=02:00:00:00:02:02}"
: "${DPR_R1_MAC:=02:00:00:00:01:01}"
: "${DPR_R2_MAC:=02:00:00:00:02:01}"
: "${DPR_LAB_IPV6:=1}"                  # 1: hosts dual-stack; 0: IPv4 only (IPv6 off everywhere)
: "${DPR_H1_ADDR6:=2001:db8:1::2}"
: "${DPR_H2_ADDR6:=2001:db8:2::2}"
: "${DPR_R1_ADDR6:=2001:db8:1::1}"
: "${DPR_R2_ADDR6:=2001:db8:2::1}"

# lab_ll6 MAC: the link-local address of a MAC by modified EUI-64 (RFC 4291 2.5.1, appendix A), in
# RFC 5952 form: 02:00:00:00:01:01 -> fe80::ff:fe00:101.
lab_ll6() {
    local IFS=: m
    read -r -a m <<<"$1"
    local g1=$(((0x${m[0]} ^ 2) << 8 | 0x${m[1]})) g2=$((0x${m[2]} << 8 | 0xff)) g3=$((0xfe00 | 0x${m[3]})) g4=$((0x${m[4]} << 8 | 0x${m[5]}))
    if ((g1 == 0)); then printf 'fe80::%x:%x:%x\n' "$g2" "$g3" "$g4"; else printf 'fe80::%x:%x:%x:%x\n' "$g1" "$g2" "$g3" "$g4"; fi
}
: "${DPR_R1_LL6:=$(lab_ll6 "$DPR_R1_MAC")}"
: "${DPR_R2_LL6:=$(lab_ll6 "$DPR_R2_MAC")}"
: "${DPR_H1_LL6:=$(lab_ll6 "$DPR_H1_MAC")}"
: "${DPR_H2_LL6:=$(lab_ll6 "$DPR_H2_MAC")}"
# DPDK file prefix of the router (telemetry socket under /var/run/dpdk/PREFIX/).
if [[ -z "${DPR_FILE_PREFIX:-}" ]]; then
    if [[ -n "$DPR_LAB_PREFIX" ]]; then DPR_FILE_PREFIX="${DPR_LAB_PREFIX}dprouter-lab"; else DPR_FILE_PREFIX=dprouter-lab; fi
fi
: "${DPR_PID_FILE:=/run/${DPR_FILE_PREFIX}.pid}"   # scripts/lab.sh run: the router's pid, for reload/stop
: "${DPR_LAB_PMD:=af_xdp}"             # af_xdp (as in the configs), af_packet or pcap: see lab_config
: "${DPR_ROUTER_START_TIMEOUT:=20}"   # seconds until the router must answer ping from H1
: "${DPR_ROUTER_STOP_TIMEOUT:=10}"    # seconds the router gets to exit after SIGTERM

ROUTER_PID=""
ROUTER_CONFIG=""   # the file the running router reads (a private copy; router_reload rewrites it)
ROUTER_LOG="${ROUTER_LOG:-}"
ROUTER_STATUS=""
ROUTER_PIDFILE=""  # router_start writes ROUTER_PID there; router_stop removes it

lab_log() { echo "lab: $*" >&2; }

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
in_h1() { ip netns exec "$DPR_NS_H1" "$@"; }
in_h2() { ip netns exec "$DPR_NS_H2" "$@"; }
in_r()  { ip netns exec "$DPR_NS_R" "$@"; }

lab_wait_for() {
    local timeout=$1; shift
    local deadline=$((SECONDS + timeout))
    while true; do
        "$@" >/dev/null 2>&1 && return 0
        ((SECONDS >= deadline)) && return 1
        sleep 0.2
    done
}

_lab_ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx -- "$1"; }

# Quiet an interface: no offloads (veth would hand the router partial checksums and 64 KB GSO frames),
# no IPv6 (no router solicitations, MLD, DAD noise); lab_ipv6_host turns IPv6 on again, quietly.
_lab_quiet_if() {
    local ns=$1 ifname=$2
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.${ifname}.disable_ipv6=1" >/dev/null 2>&1 || true
    ip netns exec "$ns" ethtool -K "$ifname" rx off tx off tso off gso off gro off >/dev/null 2>&1 ||
        ip netns exec "$ns" ethtool -K "$ifname" rx off tx off tso off gso off >/dev/null ||
        { lab_log "ethtool -K $ifname failed in $ns"; return 1; }
}

_lab_new_ns() {
    local ns=$1
    ip netns add "$ns" || return 1
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 >/dev/null
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 >/dev/null
}

# lab_ipv6_host NS IF: IPv6 on for a host interface (still down), without the noise: no DAD (RFC 4862
# 5.4: accept_dad 0; the addresses are unique by construction), no router solicitations, no RAs
# accepted (the routes are static), and the MLD reports of its joins sent at once (before the router
# starts) instead of spread over a second or more. The link-local address comes from the MAC.
lab_ipv6_host() {
    local ns=$1 ifname=$2 k
    for k in accept_dad=0 router_solicitations=0 accept_ra=0 mldv1_unsolicited_report_interval=1 \
        mldv2_unsolicited_report_interval=1 disable_ipv6=0; do
        ip netns exec "$ns" sysctl -qw "net.ipv6.conf.${ifname}.$k" >/dev/null || return 1
    done
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.lo.disable_ipv6=0 >/dev/null
}

# lab_ipv6_up: the hosts' IPv6 addresses and default routes (interfaces up; see lab_ipv6_host).
lab_ipv6_up() {
    ip -n "$DPR_NS_H1" -6 addr add "$DPR_H1_ADDR6/64" dev "$DPR_IF_H1" nodad &&
    ip -n "$DPR_NS_H2" -6 addr add "$DPR_H2_ADDR6/64" dev "$DPR_IF_H2" nodad &&
    ip -n "$DPR_NS_H1" -6 route add default via "$DPR_R1_LL6" dev "$DPR_IF_H1" &&
    ip -n "$DPR_NS_H2" -6 route add default via "$DPR_R2_LL6" dev "$DPR_IF_H2"
}

lab_down() {
    if [[ -n "$ROUTER_PID" ]] && kill -0 "$ROUTER_PID" 2>/dev/null; then
        router_stop >/dev/null 2>&1 || true
    fi
    # Processes this library did not start are left alone, even inside the lab's namespaces (another lab
    # with the same names may own them); they keep their namespace alive after `ip netns del`.
    local ns pids
    for ns in "$DPR_NS_H1" "$DPR_NS_H2" "$DPR_NS_R"; do
        _lab_ns_exists "$ns" || continue
        pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
        [[ -n "$pids" ]] && lab_log "netns $ns still has processes ($pids); not ours to stop"
        ip netns del "$ns" 2>/dev/null || lab_log "could not delete netns $ns"
    done
    return 0
}

lab_up() {
    lab_down
    _lab_new_ns "$DPR_NS_R" && _lab_new_ns "$DPR_NS_H1" && _lab_new_ns "$DPR_NS_H2" || { lab_log "netns creation failed"; lab_down; return 1; }

    # Create each pair inside the host namespace with its peer directly in the router namespace.
    ip -n "$DPR_NS_H1" link add "$DPR_IF_H1" type veth peer name "$DPR_IF_R1" netns "$DPR_NS_R" &&
    ip -n "$DPR_NS_H2" link add "$DPR_IF_H2" type veth peer name "$DPR_IF_R2" netns "$DPR_NS_R" ||
        { lab_log "veth creation failed"; lab_down; return 1; }

    ip -n "$DPR_NS_H1" link set "$DPR_IF_H1" address "$DPR_H1_MAC" &&
    ip -n "$DPR_NS_H2" link set "$DPR_IF_H2" address "$DPR_H2_MAC" &&
    _lab_quiet_if "$DPR_NS_H1" "$DPR_IF_H1" &&
    _lab_quiet_if "$DPR_NS_H2" "$DPR_IF_H2" &&
    _lab_quiet_if "$DPR_NS_R" "$DPR_IF_R1" &&
    _lab_quiet_if "$DPR_NS_R" "$DPR_IF_R2" || { lab_log "topology setup failed"; lab_down; return 1; }
    if [[ $DPR_LAB_IPV6 == 1 ]]; then
        lab_ipv6_host "$DPR_NS_H1" "$DPR_IF_H1" && lab_ipv6_host "$DPR_NS_H2" "$DPR_IF_H2" ||
            { lab_log "IPv6 setup of the hosts failed"; lab_down; return 1; }
    fi
    ip -n "$DPR_NS_H1" addr add "$DPR_H1_ADDR/24" dev "$DPR_IF_H1" &&
    ip -n "$DPR_NS_H2" addr add "$DPR_H2_ADDR/24" dev "$DPR_IF_H2" &&
    ip -n "$DPR_NS_R" link set "$DPR_IF_R1" up &&
    ip -n "$DPR_NS_R" link set "$DPR_IF_R2" up &&
    ip -n "$DPR_NS_H1" link set "$DPR_IF_H1" up &&
    ip -n "$DPR_NS_H2" link set "$DPR_IF_H2" up &&
    ip -n "$DPR_NS_H1" route add default via "$DPR_R1_ADDR" &&
    ip -n "$DPR_NS_H2" route add default via "$DPR_R2_ADDR" ||
        { lab_log "topology setup failed"; lab_down; return 1; }
    if [[ $DPR_LAB_IPV6 == 1 ]]; then
        lab_ipv6_up || { lab_log "IPv6 addresses or routes of the hosts failed"; lab_down; return 1; }
    fi
    return 0
}

# lab_config SRC DST: copy SRC to DST, adapting the router-side interface names, the DPDK file prefix
# and the PMD to the environment (a no-op copy with the defaults). DPR_LAB_PMD names the PMD the router
# attaches to the veths with: every "net_af_xdpN,iface=X" (or net_af_packetN / net_pcapN, whichever the
# file names) becomes "net_${DPR_LAB_PMD}N,iface=X"; any further devargs are kept. See _lab_check_pmd for
# the choices and why af_xdp is the default.
lab_config() {
    local src=$1 dst=$2
    _lab_check_pmd || return 1
    # perl -p exits 0 on a missing input file and would leave an empty DST behind.
    [[ -s "$src" ]] || { lab_log "lab_config: $src is missing or empty"; return 1; }
    # The file prefix may be written in flow style (["--file-prefix", "x"]) or block style (- --file-prefix).
    DPR_IF_R1="$DPR_IF_R1" DPR_IF_R2="$DPR_IF_R2" DPR_FILE_PREFIX="$DPR_FILE_PREFIX" DPR_LAB_PMD="$DPR_LAB_PMD" perl -0pe '
        s/iface=r-h1\b/iface=$ENV{DPR_IF_R1}/g;
        s/iface=r-h2\b/iface=$ENV{DPR_IF_R2}/g;
        s/net_(?:af_xdp|af_packet|pcap)(\d+),iface=/net_$ENV{DPR_LAB_PMD}$1,iface=/g;
        s/(["\x27]?--file-prefix["\x27]?\s*(?:,|\n\s*-)\s*)["\x27]?dprouter-lab["\x27]?/$1"$ENV{DPR_FILE_PREFIX}"/g;
    ' "$src" >"$dst" && [[ -s "$dst" ]] || return 1
    # dprouterctl's socket next to the copy, unless the file names one: routers of parallel labs must
    # not contend for the default /run/dprouter.sock. A `control_plane:` mapping of the file (block or
    # flow style) gets the key added; otherwise the mapping is appended. (router_reload's X.yaml.tmp
    # names the same socket as X.yaml.)
    local sock=${dst%.tmp}
    sock=${sock%.yaml}.sock
    if grep -q '^control_plane:' "$dst"; then
        grep -Eq '^[[:space:]{,]*socket:|[{,][[:space:]]*socket:' "$dst" ||
            DPR_SOCK="$sock" perl -0pi -e 's/^control_plane:[ \t]*\{[ \t]*\}/control_plane: {socket: "$ENV{DPR_SOCK}"}/m or
                s/^control_plane:[ \t]*\{/control_plane: {socket: "$ENV{DPR_SOCK}", /m or
                s/^control_plane:([ \t]*(?:#[^\n]*)?)\n([ \t]+)/control_plane:$1\n$2socket: "$ENV{DPR_SOCK}"\n$2/m' "$dst"
    else
        printf '\ncontrol_plane:\n  socket: "%s"\n' "$sock" >>"$dst"
    fi
}

# DPR_LAB_PMD must be one of the PMDs that attach to an existing kernel interface by name:
#   af_xdp     (default) an XDP program on the veth hands every frame to the router exactly as it was
#              on the wire, IPv4 fragments included; the router's MTU reaches the veth (SIOCSIFMTU).
#              XDP keeps a frame in one page: datagrams up to about 3300 bytes (fine for 1500 labs).
#   af_packet  the kernel reassembles IPv4 fragments first: the PMD joins a PACKET_FANOUT group with
#              PACKET_FANOUT_FLAG_DEFRAG, so the router sees whole datagrams and a lone fragment never
#              arrives at all. Good for everything but fragment experiments.
#   pcap       libpcap hands over frames as they are, but the PMD cannot set the veth MTU or MAC.
# docs/lab-ports.md has the measurements behind the choice.
_lab_check_pmd() {
    case $DPR_LAB_PMD in
    af_xdp | af_packet | pcap) return 0 ;;
    *) lab_log "DPR_LAB_PMD=$DPR_LAB_PMD: expected af_xdp, af_packet or pcap"; return 1 ;;
    esac
}

# Does lab_config change anything with this environment (names, file prefix or PMD not the defaults)?
_lab_config_differs() {
    [[ "$DPR_IF_R1" != r-h1 || "$DPR_IF_R2" != r-h2 || "$DPR_FILE_PREFIX" != dprouter-lab || "$DPR_LAB_PMD" != af_xdp ]]
}

router_alive() { [[ -n "$ROUTER_PID" ]] && kill -0 "$ROUTER_PID" 2>/dev/null; }

_router_dump_log() {
    if [[ -n "$ROUTER_LOG" && -s "$ROUTER_LOG" ]]; then
        echo "---- router log ($ROUTER_LOG), last 60 lines ----" >&2
        tail -n 60 "$ROUTER_LOG" >&2
        echo "---- end of router log ----" >&2
    else
        echo "(router log is empty)" >&2
    fi
}

# router_start BIN CONFIG [ARGS...]: must be called in the shell that will call router_stop (not in $(...)).
router_start() {
    local bin=$1 config=$2; shift 2
    if [[ -n "$ROUTER_PID" ]] && kill -0 "$ROUTER_PID" 2>/dev/null; then
        lab_log "a router is already running (pid $ROUTER_PID)"; return 1
    fi
    [[ -x "$bin" ]] || { lab_log "router binary $bin is missing or not executable"; return 1; }
    [[ -r "$config" ]] || { lab_log "config $config is not readable"; return 1; }
    bin=$(readlink -f "$bin")
    if [[ -z "$ROUTER_LOG" ]]; then
        ROUTER_LOG=$(mktemp /tmp/dprouter-lab-XXXXXX.log)
    fi
    : >"$ROUTER_LOG"
    ROUTER_STATUS=""
    # The router reads a private copy (so that router_reload can rewrite it), adapted to the interface
    # names, file prefix and PMD of this lab.
    local cfg="${ROUTER_LOG%.log}.yaml"
    lab_config "$config" "$cfg" || { lab_log "cannot write $cfg"; return 1; }
    ROUTER_CONFIG=$cfg
    ROUTER_SOCKET="${cfg%.yaml}.sock"  # dprouterctl --socket "$ROUTER_SOCKET" (when the config names none)
    ip netns exec "$DPR_NS_R" "$bin" --config "$cfg" "$@" >>"$ROUTER_LOG" 2>&1 </dev/null &
    ROUTER_PID=$!
    # The pid of this router only (kill -HUP "$(cat FILE)"), never every dprouter on the machine.
    ROUTER_PIDFILE="${ROUTER_LOG%.log}.pid"
    echo "$ROUTER_PID" >"$ROUTER_PIDFILE"
    lab_log "router started: pid $ROUTER_PID (in $ROUTER_PIDFILE), log $ROUTER_LOG"
    local deadline=$((SECONDS + DPR_ROUTER_START_TIMEOUT))
    while ((SECONDS < deadline)); do
        if ! kill -0 "$ROUTER_PID" 2>/dev/null; then
            wait "$ROUTER_PID"; ROUTER_STATUS=$?
            lab_log "router died during startup (exit status $ROUTER_STATUS)"
            _router_dump_log; ROUTER_PID=""; rm -f "$ROUTER_PIDFILE"; return 1
        fi
        if ip netns exec "$DPR_NS_H1" ping -c 1 -W 1 -q "$DPR_R1_ADDR" >/dev/null 2>&1; then
            lab_log "router answers ping at $DPR_R1_ADDR"
            return 0
        fi
        sleep 0.3
    done
    lab_log "router did not answer ping at $DPR_R1_ADDR from $DPR_NS_H1 within ${DPR_ROUTER_START_TIMEOUT}s; stopping it"
    router_stop >/dev/null 2>&1
    _router_dump_log
    return 1
}

# router_reload NEWCONFIG [TIMEOUT]: put NEWCONFIG (adapted like router_start's) in place of the running
# router's file, send SIGHUP and wait (TIMEOUT s, default 5) for the router's verdict in its log. Returns 0
# only when the router logged "configuration reloaded" and still runs; ROUTER_RELOAD says what happened:
# applied, rejected ("reload rejected"), silent (no verdict in time), dead, or nofile (NEWCONFIG missing,
# empty or not copied: nothing was sent).
router_reload() {
    _router_hup "$@"
    [[ "$ROUTER_RELOAD" == applied ]]
}
# router_reload_refused NEWCONFIG [TIMEOUT]: the same, succeeding only when the router refused the file
# ("reload rejected") and still runs.
router_reload_refused() {
    _router_hup "$@"
    [[ "$ROUTER_RELOAD" == rejected ]]
}
ROUTER_RELOAD=""
_router_hup() {
    local new=$1 timeout=${2:-5}
    ROUTER_RELOAD=dead
    router_alive || { lab_log "router_reload: no router running"; return 1; }
    ROUTER_RELOAD=nofile
    lab_config "$new" "$ROUTER_CONFIG.tmp" && mv "$ROUTER_CONFIG.tmp" "$ROUTER_CONFIG" ||
        { lab_log "router_reload: cannot install $new as $ROUTER_CONFIG"; return 1; }
    local before verdict
    before=$(wc -c <"$ROUTER_LOG")
    ROUTER_RELOAD=dead
    kill -HUP "$ROUTER_PID" || return 1
    local deadline=$((SECONDS + timeout))
    while true; do
        # The verdict lines of Router::reload (src/control/router.cpp).
        verdict=$(tail -c +"$((before + 1))" "$ROUTER_LOG" | grep -o -m1 -e "configuration reloaded" -e "reload rejected")
        case $verdict in
            "configuration reloaded") ROUTER_RELOAD=applied; break ;;
            "reload rejected") ROUTER_RELOAD=rejected; break ;;
        esac
        router_alive || { ROUTER_RELOAD=dead; lab_log "router_reload: the router died"; return 1; }
        ((SECONDS < deadline)) || { ROUTER_RELOAD=silent; lab_log "router_reload: no verdict within ${timeout}s"; return 1; }
        sleep 0.05
    done
    router_alive || { ROUTER_RELOAD=dead; return 1; }
}

# router_stop: SIGTERM and a bounded wait. Returns 0 only when the router exited with status 0; the status
# is left in ROUTER_STATUS. SIGKILLs the router if it ignores SIGTERM.
router_stop() {
    if [[ -z "$ROUTER_PID" ]]; then lab_log "router_stop: no router running"; return 1; fi
    local pid=$ROUTER_PID
    kill -TERM "$pid" 2>/dev/null
    local deadline=$((SECONDS + DPR_ROUTER_STOP_TIMEOUT))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        lab_log "router (pid $pid) did not exit within ${DPR_ROUTER_STOP_TIMEOUT}s of SIGTERM; killing it"
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        ROUTER_STATUS=timeout
        ROUTER_PID=""
        [[ -n "$ROUTER_PIDFILE" ]] && rm -f "$ROUTER_PIDFILE"
        _router_dump_log
        return 1
    fi
    wait "$pid"; ROUTER_STATUS=$?
    ROUTER_PID=""
    [[ -n "$ROUTER_PIDFILE" ]] && rm -f "$ROUTER_PIDFILE"
    if [[ "$ROUTER_STATUS" != 0 ]]; then
        lab_log "router exited with status $ROUTER_STATUS after SIGTERM (expected 0)"
        _router_dump_log
        return 1
    fi
    return 0
}
