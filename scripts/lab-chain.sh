#!/usr/bin/env bash
# A chain of dprouters between two hosts, one command (docs/pmtud-lab.md "Chains of routers"):
#
#   sudo scripts/lab-chain.sh up --mtus 1500,1400,1200,1500 [options]
#   sudo scripts/lab-chain.sh status [--prefix P]
#   sudo scripts/lab-chain.sh down [--prefix P]
#   sudo scripts/lab-chain.sh flush [--prefix P]      forget every path MTU the hosts learnt
#   scripts/lab-chain.sh ns NAME [--prefix P]         print a node's namespace (h1, h2, r1, ...)
#
# Each MTU of --mtus is one link; a router sits at every boundary between two links (4 MTUs: 4 links,
# 3 routers). Link j carries 10.0.j.0/24 and 2001:db8:0:j::/64; its end nearer h1 is .1 / ::1, the
# other .2 / ::2. So h1 is 10.0.1.1, router rK is 10.0.K.2 on link K (towards h1, where its errors to
# h1 come from) and 10.0.K+1.1 on link K+1, and h2 is the last link's .2. MACs: 02:00:00:00:JJ:01 and
# :02 for the two ends of link JJ (hex). Both veth ends of a link get its MTU, as do the hosts.
#
#   h1 ==link1== r1 ==link2== r2 ==link3== ... rN ==linkN+1== h2
#
# Every router is its own dprouter process (--bin, default build/dprouter) in its own namespace with
# `idle: sleep`, ports on the link veths (af_xdp, or DPR_LAB_PMD / --pmd af_packet), static routes to
# every link, and a DPDK --file-prefix of its own (telemetry: dpdk-telemetry.py -f PREFIXchain-rK).
# The hosts route everything through their neighbouring router (IPv6 via its link-local address) and
# have no path MTU cached when `up` returns.
#
# Options of `up`:
#   --mtus M1,M2,...        link MTUs, at least 2 (68..3300 with af_xdp, else ..9000). Required.
#   --icmp-rate [rK:]KIND=RATE/BURST
#                           an icmp.rate_limit bucket (KIND global, per_destination or frag_needed) for
#                           every router, or only rK. Repeatable; later wins. per_destination=2/1 is
#                           one error per 500 ms to any host (Cisco's default for unreachables).
#   --set rK.linkJ.KEY=VALUE  an interface key for rK's port on link J, written as `KEY: VALUE`
#                           (pmtud_blackhole=true, tcp_mss_clamp=1160, advertised_mtu=...). Repeatable.
#   --ipv6 / --no-ipv6      dual-stack or IPv4 only. Default: dual-stack when every MTU is 1280 or more
#                           (the IPv6 minimum link MTU, RFC 8200 5), IPv4 only otherwise
#   --prefix P              prepended to namespace names (PREFIXch-h1, PREFIXch-r1, ...), the DPDK file
#                           prefixes and the state directory; default $DPR_LAB_PREFIX (empty)
#   --pmd af_xdp|af_packet  the routers' ports (default $DPR_LAB_PMD or af_xdp; see scripts/lab-lib.sh)
#   --idle sleep|poll       dpdk.idle of every router (default sleep: N busy-polling routers need N CPUs)
#   --idle-max-us N         dpdk.idle_max_us (default 2000: on a VM a 100 us back-off costs every idle router
#                           about 7 % of a CPU, 1000 us about 1.7-3 %; an idle chain of 3 at 1000 measured
#                           7-10 % together, at the edge of the lab's 10 % target; docs/benchmarking.md
#                           "Idle workers"). The cost: up to 2 ms more for the first packet after a pause
#   --bin PATH              the router binary (default build/dprouter)
#
# State (configs, logs, pids) lives in ${TMPDIR:-/tmp}/dprouter-chain-P/ (P the prefix, or "default");
# `down` stops the routers by their pids, deletes the namespaces and that directory, and works after a
# partial or failed `up` too. `up` on a running chain of the same prefix takes it down first.
# Exit status: 0 done, 1 failed (`up` then removes what it made), 2 usage. Needs root; iproute2, ethtool,
# ping, python3 and dpdk-telemetry.py (status).
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)

usage() { sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//p;}' "$0" >&2; exit 2; }
die() { echo "lab-chain: $*" >&2; exit 1; }
log() { echo "lab-chain: $*" >&2; }

cmd=${1:-}
[[ -n "$cmd" ]] || usage
shift

MTUS="" IPV6=auto PREFIX=${DPR_LAB_PREFIX:-} PMD=${DPR_LAB_PMD:-af_xdp} IDLE=sleep IDLE_MAX=2000
BIN="$repo/build/dprouter"
RATES=() SETS=() NODE=""
while (($#)); do
    case $1 in
    --mtus) MTUS=${2:-}; shift 2 ;;
    --icmp-rate) RATES+=("${2:-}"); shift 2 ;;
    --set) SETS+=("${2:-}"); shift 2 ;;
    --ipv6) IPV6=1; shift ;;
    --no-ipv6) IPV6=0; shift ;;
    --prefix) PREFIX=${2:-}; shift 2 ;;
    --pmd) PMD=${2:-}; shift 2 ;;
    --idle) IDLE=${2:-}; shift 2 ;;
    --idle-max-us) IDLE_MAX=${2:-}; shift 2 ;;
    --bin) BIN=${2:-}; shift 2 ;;
    -h | --help) usage ;;
    -*) echo "lab-chain: unknown option $1" >&2; usage ;;
    *) if [[ $cmd == ns && -z $NODE ]]; then NODE=$1; shift; else echo "lab-chain: unexpected $1" >&2; usage; fi ;;
    esac
done
[[ $PREFIX =~ ^[A-Za-z0-9_-]*$ ]] || die "--prefix $PREFIX: letters, digits, _ and - only"

STATE="${TMPDIR:-/tmp}/dprouter-chain-${PREFIX:-default}"
ns_of() { echo "${PREFIX}ch-$1"; }               # ns_of h1 | h2 | rK
fileprefix_of() { echo "${PREFIX}chain-$1"; }    # DPDK --file-prefix of router rK
# The chain's namespaces that exist now (whatever `up` got to make).
chain_namespaces() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${PREFIX}ch-(h[12]|r[0-9]+)\$"; }

# shellcheck source=lab-lib.sh
source "$repo/scripts/lab-lib.sh"   # _lab_quiet_if, _lab_new_ns, lab_ipv6_host, lab_ll6, lab_wait_for

mac_of() { printf '02:00:00:00:%02x:%02x' "$1" "$2"; }   # mac_of LINK END (END 1 = h1 side, 2 = h2 side)

# ---------------------------------------------------------------------------------------------------
chain_down() {
    local f pid ns
    for f in "$STATE"/r*.pid; do
        [[ -e "$f" ]] || continue
        pid=$(cat "$f")
        # Only a process that is still the dprouter we started (the pid may have been reused).
        if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == dprouter ]]; then
            kill -TERM "$pid" 2>/dev/null
        fi
    done
    for f in "$STATE"/r*.pid; do
        [[ -e "$f" ]] || continue
        pid=$(cat "$f")
        local deadline=$((SECONDS + 10))
        while kill -0 "$pid" 2>/dev/null && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == dprouter ]] && ((SECONDS < deadline)); do sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == dprouter ]]; then
            log "router pid $pid ignored SIGTERM; killing it"
            kill -KILL "$pid" 2>/dev/null
        fi
        rm -f "$f"
    done
    while read -r ns; do
        [[ -n "$ns" ]] || continue
        local pids
        pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
        [[ -n "$pids" ]] && log "netns $ns still has processes ($pids); not ours to stop"
        ip netns del "$ns" 2>/dev/null || log "could not delete netns $ns"
    done < <(chain_namespaces)
    # The routers' DPDK runtime directories (telemetry socket, config), named after our file prefixes.
    local d
    for d in /var/run/dpdk/"${PREFIX}"chain-r*; do
        [[ -d "$d" && ${d##*/} =~ ^${PREFIX}chain-r[0-9]+$ ]] && rm -rf "$d"
    done
    [[ -d "$STATE" ]] && rm -rf "$STATE"
    return 0
}

# ---------------------------------------------------------------------------------------------------
# Config of router K (between link K and link K+1) into FILE.
gen_router_config() {
    local k=$1 file=$2 j l r
    local left=$k right=$((k + 1))
    {
        echo "# Generated by scripts/lab-chain.sh: router r$k of a chain of $NR between link $left (mtu ${MTU[left]}) and link $right (mtu ${MTU[right]})."
        echo "dpdk:"
        echo "  eal_args: [\"--no-pci\", \"--no-huge\", \"-m\", \"512\", \"--file-prefix\", \"$(fileprefix_of "r$k")\", \"-l\", \"0,1\"]"
        echo "  workers: 1"
        echo "  idle: $IDLE"
        [[ $IDLE == sleep ]] && echo "  idle_max_us: $IDLE_MAX"
        echo "interfaces:"
        local port=0 link end
        for link in $left $right; do
            if ((link == left)); then end=2; else end=1; fi
            echo "  - name: link$link"
            echo "    device: \"net_${PMD}${port},iface=l$link\""
            if ((IPV6)); then
                echo "    addresses: [\"10.0.$link.$end/24\", \"2001:db8:0:$link::$end/64\"]"
            else
                echo "    addresses: [\"10.0.$link.$end/24\"]"
            fi
            echo "    mtu: ${MTU[link]}"
            echo "    mac: \"$(mac_of "$link" "$end")\""
            local s
            for s in "${SETS[@]}"; do
                if [[ $s =~ ^r$k\.link$link\.([a-z0-9_]+)=(.+)$ ]]; then echo "    ${BASH_REMATCH[1]}: ${BASH_REMATCH[2]}"; fi
            done
            port=$((port + 1))
        done
        local routes=()
        for ((j = 1; j <= NL; j++)); do
            ((j == left || j == right)) && continue
            if ((j < left)); then l=$left; r=1; else l=$right; r=2; fi
            routes+=("  - {prefix: 10.0.$j.0/24, via: 10.0.$l.$r}")
            ((IPV6)) && routes+=("  - {prefix: \"2001:db8:0:$j::/64\", via: \"2001:db8:0:$l::$r\"}")
        done
        if ((${#routes[@]})); then echo "routes:"; printf '%s\n' "${routes[@]}"; fi
        echo "icmp:"
        echo "  rate_limit:"
        local kind spec
        for kind in global per_destination frag_needed; do
            spec=""
            for s in "${RATES[@]}"; do
                if [[ $s =~ ^(r([0-9]+):)?$kind=([0-9.]+)/([0-9]+)$ ]]; then
                    [[ -z ${BASH_REMATCH[2]} || ${BASH_REMATCH[2]} == "$k" ]] && spec="{rate: ${BASH_REMATCH[3]}, burst: ${BASH_REMATCH[4]}}"
                fi
            done
            [[ -n $spec ]] && echo "    $kind: $spec"
        done
    } >"$file"
    # An icmp.rate_limit with no bucket under it is left out altogether (the defaults).
    if tail -n 1 "$file" | grep -qx "  rate_limit:"; then head -n -2 "$file" >"$file.tmp" && mv "$file.tmp" "$file"; fi
    # Every router its own control socket (the default /run/dprouter.sock is one per machine):
    # `dprouterctl --socket $STATE/rK.sock show routes` talks to router rK.
    printf 'control_plane:\n  socket: "%s"\n' "$STATE/r$k.sock" >>"$file"
}

check_args() {
    [[ -n "$MTUS" ]] || { echo "lab-chain: up needs --mtus M1,M2,..." >&2; usage; }
    IFS=, read -r -a m <<<"$MTUS"
    ((${#m[@]} >= 2)) || die "--mtus needs at least 2 links (one router)"
    local i max=9000
    [[ $PMD == af_xdp ]] && max=3300
    MTU=("")   # MTU[j]: link j, 1-based
    for i in "${m[@]}"; do
        [[ $i =~ ^[0-9]+$ ]] && ((i >= 68 && i <= max)) || die "--mtus: '$i' is not an MTU in 68..$max (with $PMD)"
        MTU+=("$i")
    done
    NL=${#m[@]}; NR=$((NL - 1))
    local small=0
    for i in "${m[@]}"; do ((i < 1280)) && small=$i; done
    if [[ $IPV6 == auto ]]; then
        IPV6=1
        if ((small)); then IPV6=0; log "a link of MTU $small is below the IPv6 minimum 1280: IPv4 only"; fi
    elif ((IPV6 && small)); then
        die "--ipv6: a link of MTU $small is below the IPv6 minimum link MTU 1280 (RFC 8200 5)"
    fi
    case $PMD in af_xdp | af_packet) ;; *) die "--pmd $PMD: af_xdp or af_packet" ;; esac
    case $IDLE in sleep | poll) ;; *) die "--idle $IDLE: sleep or poll" ;; esac
    [[ $IDLE_MAX =~ ^[0-9]+$ ]] || die "--idle-max-us $IDLE_MAX: a number of microseconds"
    local s
    for s in "${RATES[@]}"; do
        [[ $s =~ ^(r([0-9]+):)?(global|per_destination|frag_needed)=[0-9.]+/[0-9]+$ ]] || die "--icmp-rate $s: [rK:]global|per_destination|frag_needed=RATE/BURST"
        [[ -z ${BASH_REMATCH[2]} ]] || ((BASH_REMATCH[2] >= 1 && BASH_REMATCH[2] <= NR)) || die "--icmp-rate $s: no router r${BASH_REMATCH[2]} (r1..r$NR)"
    done
    for s in "${SETS[@]}"; do
        [[ $s =~ ^r([0-9]+)\.link([0-9]+)\.[a-z0-9_]+=.+$ ]] || die "--set $s: rK.linkJ.KEY=VALUE"
        local k=${BASH_REMATCH[1]} j=${BASH_REMATCH[2]}
        ((k >= 1 && k <= NR)) || die "--set $s: no router r$k (r1..r$NR)"
        ((j == k || j == k + 1)) || die "--set $s: r$k has ports on link$k and link$((k + 1)) only"
    done
    [[ -x "$BIN" ]] || die "router binary $BIN is missing (build it: ninja -C build dprouter)"
    BIN=$(readlink -f "$BIN")
    [[ $EUID -eq 0 ]] || die "must run as root"
}

# Link J: a veth from its h1-side node's namespace to its h2-side node's, both ends at MTU[J].
make_link() {
    local j=$1 a b ia ib
    if ((j == 1)); then a=$(ns_of h1) ia=eth0; else a=$(ns_of "r$((j - 1))") ia=l$j; fi
    if ((j == NL)); then b=$(ns_of h2) ib=eth0; else b=$(ns_of "r$j") ib=l$j; fi
    ip -n "$a" link add "$ia" type veth peer name "$ib" netns "$b" || return 1
    ip -n "$a" link set "$ia" address "$(mac_of "$j" 1)" mtu "${MTU[j]}" &&
    ip -n "$b" link set "$ib" address "$(mac_of "$j" 2)" mtu "${MTU[j]}" &&
    _lab_quiet_if "$a" "$ia" && _lab_quiet_if "$b" "$ib"
}

# host NAME LINK END GW4 GW6MAC: addresses, routes; interface eth0 up.
setup_host() {
    local h=$1 link=$2 end=$3 gw=$4 gwmac=$5 ns
    ns=$(ns_of "$h")
    if ((IPV6)); then
        lab_ipv6_host "$ns" eth0 || return 1
        ip -n "$ns" -6 addr add "2001:db8:0:$link::$end/64" dev eth0 nodad || return 1
    fi
    ip -n "$ns" addr add "10.0.$link.$end/24" dev eth0 && ip -n "$ns" link set eth0 up &&
    ip -n "$ns" route add default via "$gw" || return 1
    if ((IPV6)); then ip -n "$ns" -6 route add default via "$(lab_ll6 "$gwmac")" dev eth0 || return 1; fi
}

flush_hosts() {
    local h
    for h in h1 h2; do
        ip netns exec "$(ns_of $h)" ip route flush cache
        ((IPV6)) && ip netns exec "$(ns_of $h)" ip -6 route flush cache
    done
    return 0
}

chain_up() {
    check_args
    chain_down
    mkdir -p "$STATE" || die "cannot create $STATE"
    {
        echo "MTUS=$MTUS"; echo "NR=$NR"; echo "NL=$NL"; echo "IPV6=$IPV6"; echo "PMD=$PMD"
    } >"$STATE/chain.env"
    local k j
    for n in h1 h2 $(for ((k = 1; k <= NR; k++)); do echo "r$k"; done); do
        _lab_new_ns "$(ns_of "$n")" || { chain_down; die "cannot create netns $(ns_of "$n")"; }
    done
    for ((j = 1; j <= NL; j++)); do
        make_link "$j" || { chain_down; die "cannot make link $j"; }
    done
    for ((k = 1; k <= NR; k++)); do
        ip -n "$(ns_of "r$k")" link set "l$k" up && ip -n "$(ns_of "r$k")" link set "l$((k + 1))" up ||
            { chain_down; die "cannot bring up r$k's veths"; }
    done
    setup_host h1 1 1 10.0.1.2 "$(mac_of 1 2)" && setup_host h2 "$NL" 2 "10.0.$NL.1" "$(mac_of "$NL" 1)" ||
        { chain_down; die "cannot set up the hosts"; }
    for ((k = 1; k <= NR; k++)); do
        local cfg="$STATE/r$k.yaml" out
        gen_router_config "$k" "$cfg"
        out=$("$BIN" --check --config "$cfg" 2>&1) || { echo "$out" >&2; chain_down; die "r$k's generated config is refused"; }
        # ip netns exec execs the router: the pid is the router's own.
        ip netns exec "$(ns_of "r$k")" "$BIN" --config "$cfg" >"$STATE/r$k.log" 2>&1 </dev/null &
        echo $! >"$STATE/r$k.pid"
        disown $! 2>/dev/null || true
    done
    for ((k = 1; k <= NR; k++)); do
        if ! lab_wait_for 30 grep -q "forwarding:" "$STATE/r$k.log"; then
            tail -n 20 "$STATE/r$k.log" >&2
            chain_down; die "router r$k did not start (log above)"
        fi
    done
    # End to end: every router has learnt its neighbours once h1 and h2 hear each other.
    local h2addr="10.0.$NL.2"
    lab_wait_for 30 ip netns exec "$(ns_of h1)" ping -c 1 -W 1 "$h2addr" || { chain_down; die "h1 cannot ping h2 ($h2addr) across the chain"; }
    if ((IPV6)); then
        lab_wait_for 30 ip netns exec "$(ns_of h1)" ping -6 -c 1 -W 1 "2001:db8:0:$NL::2" ||
            { chain_down; die "h1 cannot ping h2 (2001:db8:0:$NL::2) across the chain"; }
    fi
    flush_hosts
    echo "chain up: h1 10.0.1.1 -- $(for ((k = 1; k <= NR; k++)); do printf 'r%d (10.0.%d.2) -- ' "$k" "$k"; done)h2 10.0.$NL.2; link MTUs $MTUS"
    echo "namespaces: $(chain_namespaces | tr '\n' ' ')"
    echo "state: $STATE (configs, logs, pids)"
}

# ---------------------------------------------------------------------------------------------------
chain_status() {
    [[ -s "$STATE/chain.env" ]] || { echo "no chain with prefix '${PREFIX}' ($STATE missing)"; return 1; }
    # shellcheck disable=SC1091
    source "$STATE/chain.env"
    echo "chain '${PREFIX}': link MTUs $MTUS, $NR routers, state $STATE"
    local k pid py=/usr/bin/python3 tel
    tel=$(command -v dpdk-telemetry.py)
    for ((k = 1; k <= NR; k++)); do
        pid=$(cat "$STATE/r$k.pid" 2>/dev/null)
        if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
            local ticks
            ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat")
            printf 'r%d  pid %s, netns %s, cpu %s s so far\n' "$k" "$pid" "$(ns_of "r$k")" "$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }')"
        else
            echo "r$k  NOT RUNNING (log $STATE/r$k.log)"; continue
        fi
        echo /dprouter/stats | timeout 10 "$py" "$tel" -f "$(fileprefix_of "r$k")" 2>/dev/null | "$py" -c '
import json, sys
for line in sys.stdin:
    line = line.strip()
    if not line.startswith("{"):
        continue
    d = json.loads(line)["/dprouter/stats"]
    def flat(prefix, v, out):
        if isinstance(v, dict):
            for k, x in v.items():
                flat(prefix + "." + k if prefix else k, x, out)
        elif isinstance(v, list):
            for i, x in enumerate(v):
                flat(prefix + "[" + str(i) + "]", x, out)
        else:
            out.append((prefix, v))
    out = []
    flat("", d, out)
    shown = ["%s=%s" % (k, v) for k, v in out if isinstance(v, (int, float)) and v]
    for i in range(0, len(shown), 6):
        print("    " + "  ".join(shown[i:i + 6]))
    break
else:
    print("    (no telemetry reply)")
'
    done
}

case $cmd in
up) chain_up ;;
down) chain_down; echo "chain '${PREFIX}' down" ;;
status) chain_status ;;
flush)
    [[ -s "$STATE/chain.env" ]] || die "no chain with prefix '${PREFIX}'"
    # shellcheck disable=SC1091
    source "$STATE/chain.env"; flush_hosts ;;
ns) [[ $NODE =~ ^(h1|h2|r[0-9]+)$ ]] || usage; ns_of "$NODE" ;;
*) usage ;;
esac
