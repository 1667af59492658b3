#!/usr/bin/env bash
# The Path MTU Discovery lab: every PMTUD situation, one command each, narrated.
#
#   sudo scripts/pmtud-lab.sh list            what each scenario shows
#   sudo scripts/pmtud-lab.sh frag-needed     the router's ICMP 3/4 and what Linux does with it
#   sudo scripts/pmtud-lab.sh blackhole       a PMTUD black hole, and tcp_mtu_probing getting through it
#   sudo scripts/pmtud-lab.sh forged          why a hand-made frag needed is ignored (and when it is not)
#   sudo scripts/pmtud-lab.sh mss-clamp       MSS clamping: no PMTUD needed at all
#   sudo scripts/pmtud-lab.sh advertised-mtu  odd MTU values in frag needed (advertised_mtu)
#   sudo scripts/pmtud-lab.sh ptb6            IPv6: the router's Packet Too Big and what Linux does with it
#   sudo scripts/pmtud-lab.sh blackhole6      IPv6: a black hole stalls TCP; tcp_mss_clamp gets it through
#   sudo scripts/pmtud-lab.sh advertised-mtu6 IPv6: odd MTU values in Packet Too Big (advertised_mtu)
#   sudo scripts/pmtud-lab.sh all             all of the above, one after the other
#
# Topology (docs/pmtud-lab.md): h1 --1500-- [lan 1500] dprouter [wan 1300] --1500-- h2, dual-stack, built with
# scripts/lab-lib.sh in namespaces pm-dpr-h1, pm-dpr-r, pm-dpr-h2 (DPR_LAB_PREFIX, default "pm-").
# Each scenario builds its own lab, generates the router config into a temp dir, prints every command
# with its output, and removes everything on exit. Exit status 0 when every expectation held, 1 when
# one failed, 2 on usage errors.
#
# Environment: DPR_BIN (router binary, default build/dprouter); DPR_LAB_PREFIX (default, and when
# empty: pm-); DPR_FILE_PREFIX (DPDK --file-prefix; default dprouter-pmtud, or PREFIXdprouter-pmtud
# with another lab prefix); DPR_LAB_PMD (the router's ports on the veths: af_xdp, the default, shows
# every frame as it was on the wire; af_packet reassembles fragments first; see scripts/lab-lib.sh);
# the other DPR_* names of scripts/lab-lib.sh; PMTUD_BYTES (bulk transfer
# size, default 8388608); PMTUD_PORT (default 5001); PMTUD_KEEP=1 keeps the temp dir (captures,
# configs, logs).
# shellcheck disable=SC2317  # functions run through trap, expect and bash -c look unreachable to it
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
# Never the default (empty) prefix: other labs run beside this one with the default names.
export DPR_LAB_PREFIX=${DPR_LAB_PREFIX:-pm-}
if [[ -z "${DPR_FILE_PREFIX:-}" ]]; then
    if [[ $DPR_LAB_PREFIX == pm- ]]; then DPR_FILE_PREFIX=dprouter-pmtud; else DPR_FILE_PREFIX="${DPR_LAB_PREFIX}dprouter-pmtud"; fi
fi
export DPR_FILE_PREFIX
# shellcheck source=lab-lib.sh
source "$repo/scripts/lab-lib.sh"

PY=${PMTUD_PY:-/usr/bin/python3}          # scapy lives there; the pyenv python3 first on PATH lacks it
BULK="$repo/scripts/pmtud/tcp_bulk.py"
FORGE="$repo/scripts/pmtud/forge_frag_needed.py"
BYTES=${PMTUD_BYTES:-8388608}
PORT=${PMTUD_PORT:-5001}
LAN_MTU=1500
WAN_MTU=1300
SCENARIOS=(frag-needed blackhole forged mss-clamp advertised-mtu ptb6 blackhole6 advertised-mtu6)

usage() { sed -n '2,/^# shellcheck/{/^# shellcheck/d;s/^# \{0,1\}//p;}' "$0" >&2; exit 2; }

describe() {
    case $1 in
    frag-needed) echo "DF ping and TCP from h1 meet the 1300-byte wan: the router's ICMP 3/4 (mtu 1300) makes h1 cache the path MTU (ip route get, tracepath) and an ${BYTES}-byte TCP transfer completes" ;;
    blackhole) echo "wan pmtud_blackhole: too-big DF datagrams vanish, no ICMP: TCP stalls; tcp_mtu_probing=1 (black-hole detection) and =2 (always) get through" ;;
    forged) echo "scapy frag needed from h2 to h1 about a live connection: wrong ports or out-of-window seq are ignored, an exact quote is accepted; the router's own one always is" ;;
    mss-clamp) echo "wan tcp_mss_clamp: true (1260) plus pmtud_blackhole: SYN and SYN-ACK carry MSS 1260, the transfer completes without any ICMP" ;;
    advertised-mtu) echo "wan advertised_mtu 0, 60, 500, 1400, 1600: what Linux does with MTUs below 68, below min_pmtu 552, between the real MTU and the packet, and above the packet" ;;
    ptb6) echo "IPv6: ping -6 and TCP from h1 meet the 1300-byte wan: the router's Packet Too Big (type 2, mtu 1300) makes h1 cache the path MTU (ip -6 route get, tracepath -6) and an ${BYTES}-byte TCP transfer completes" ;;
    blackhole6) echo "IPv6: wan pmtud_blackhole: too-big packets vanish, no Packet Too Big: TCP stalls; tcp_mss_clamp (1300 - 60 = 1240) added by SIGHUP gets the transfer through" ;;
    advertised-mtu6) echo "IPv6: wan advertised_mtu 1400, 1280, 1000, 1600 in Packet Too Big: a lie Linux believes (TCP stalls), the IPv6 minimum, one below it and one above the packet (both ignored)" ;;
    esac
}

# ---------------------------------------------------------------------------------------------------
# Narration and assertions

if [[ -t 1 ]]; then
    B=$'\033[1m' G=$'\033[32m' R=$'\033[31m' N=$'\033[0m'
else
    B="" G="" R="" N=""
fi
FAILS=0
PASSES=0
step() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
say() { printf '%s\n' "$*" | fold -s -w 110; }
ok() { PASSES=$((PASSES + 1)); printf '  %s=> ok:%s %s\n' "$G" "$N" "$1"; }
bad() { FAILS=$((FAILS + 1)); printf '  %s=> FAIL:%s %s\n' "$R" "$N" "$1"; }
# expect DESC CMD...: CMD must succeed.
expect() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }

# Print a command the way one would type it (single quotes where the shell needs them).
show_cmd() {
    local out="\$" a
    if [[ ${1:-} == tsh ]]; then out+=" tshark -n -r"; shift; fi  # tsh is tshark -n -r without the root chatter
    for a in "$@"; do
        if [[ $a =~ ^[A-Za-z0-9_./:=,+@%-]+$ || $a == "|" || $a == "&" || $a == ">" ]]; then out+=" $a"; else out+=" '${a//\'/\'\\\'\'}'"; fi
    done
    printf '%s\n' "$out"
}
# run CMD...: print it, run it, print its output; OUT holds the output and RC the exit status.
run() {
    show_cmd "$@"
    OUT=$("$@" 2>&1)
    RC=$?
    [[ -n "$OUT" ]] && printf '%s\n' "$OUT"
    return $RC
}

# ---------------------------------------------------------------------------------------------------
# Background processes (tcpdump, servers, clients). Started directly with `ip netns exec`, which execs
# the command, so the PID we keep is the process itself and can be stopped by its id.

BG_PIDS=()
SPAWNED=""
spawn() {  # spawn LOGFILE CMD...: run in the background, output to LOGFILE, PID in SPAWNED
    local log=$1; shift
    if [[ -n "${LOCK_FD:-}" ]]; then "$@" >"$log" 2>&1 </dev/null {LOCK_FD}>&- & else "$@" >"$log" 2>&1 </dev/null & fi
    SPAWNED=$!
    BG_PIDS+=("$SPAWNED")
}
# wait_pid PID TIMEOUT: wait up to TIMEOUT seconds, then TERM (and KILL); the exit status in WAIT_RC.
wait_pid() {
    local pid=$1 deadline=$((SECONDS + $2))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        local d2=$((SECONDS + 3))
        while kill -0 "$pid" 2>/dev/null && ((SECONDS < d2)); do sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    WAIT_RC=$?
    local p keep=()
    for p in "${BG_PIDS[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
    BG_PIDS=("${keep[@]}")
    return $WAIT_RC
}
stop_pid() { [[ -n "${1:-}" ]] && kill -TERM "$1" 2>/dev/null; wait_pid "$1" 5 >/dev/null 2>&1; return 0; }
stop_all_bg() { local p; for p in "${BG_PIDS[@]}"; do stop_pid "$p"; done; BG_PIDS=(); }

# cap_start NS IFACE FILE FILTER [SNAPLEN]: tcpdump in the background until it listens; PID in CAP_PID.
cap_start() {
    local ns=$1 ifname=$2 file=$3 filter=$4 snap=${5:-0}
    show_cmd ip netns exec "$ns" tcpdump -n -U --immediate-mode -s "$snap" -i "$ifname" -w "$file" "$filter" "&"
    spawn "$file.log" ip netns exec "$ns" tcpdump -n -U --immediate-mode -Z root -s "$snap" -i "$ifname" -w "$file" "$filter"
    CAP_PID=$SPAWNED
    if ! lab_wait_for 5 grep -q "listening on" "$file.log"; then
        bad "tcpdump on $ns/$ifname did not start: $(cat "$file.log")"
        return 1
    fi
}
cap_stop() { sleep 0.3; stop_pid "$1"; }

# tshark over a capture; the "running as root" chatter goes away.
tsh() { tshark -n -r "$@" 2>/dev/null; }

# ---------------------------------------------------------------------------------------------------
# The lab

TMP=""
SCEN=""
cleanup() {
    stop_all_bg
    lab_down
    if [[ -n "$TMP" && -d "$TMP" ]]; then
        if [[ -n "${PMTUD_KEEP:-}" ]]; then echo "(kept $TMP)"; else rm -rf "$TMP"; fi
    fi
}
trap cleanup EXIT
trap 'echo "interrupted"; exit 130' INT TERM

# gen_config FILE [EXTRA WAN KEYS...]: config/lab.yaml's shape, wan at MTU 1300, our own file prefix.
gen_config() {
    local file=$1; shift
    {
        echo "# Generated by scripts/pmtud-lab.sh $SCEN from the shape of config/lab.yaml: wan MTU $WAN_MTU."
        echo "#   $DPR_NS_H1 ($DPR_H1_ADDR) --- $DPR_IF_R1 [lan $DPR_R1_ADDR, mtu $LAN_MTU]  dprouter  [wan $DPR_R2_ADDR, mtu $WAN_MTU] $DPR_IF_R2 --- $DPR_NS_H2 ($DPR_H2_ADDR, mtu 1500)"
        echo "#   dual-stack: h1 $DPR_H1_ADDR6, lan $DPR_R1_ADDR6 and $DPR_R1_LL6, wan $DPR_R2_ADDR6 and $DPR_R2_LL6, h2 $DPR_H2_ADDR6"
        echo "dpdk:"
        echo "  eal_args: [\"--no-pci\", \"--no-huge\", \"-m\", \"512\", \"--file-prefix\", \"$DPR_FILE_PREFIX\", \"-l\", \"0,1\"]"
        echo "  workers: 1"
        echo "interfaces:"
        echo "  - name: lan"
        echo "    device: \"net_af_xdp0,iface=$DPR_IF_R1\""
        echo "    addresses: [\"$DPR_R1_ADDR/24\", \"$DPR_R1_ADDR6/64\"]"
        echo "    mtu: $LAN_MTU"
        echo "    mac: \"$DPR_R1_MAC\""
        echo "  - name: wan"
        echo "    device: \"net_af_xdp1,iface=$DPR_IF_R2\""
        echo "    addresses: [\"$DPR_R2_ADDR/24\", \"$DPR_R2_ADDR6/64\"]"
        echo "    mtu: $WAN_MTU"
        echo "    mac: \"$DPR_R2_MAC\""
        local k
        for k in "$@"; do echo "    $k"; done
        echo "icmp:"
        echo "  rate_limit:"
        echo "    global: {rate: 1000, burst: 50}"
        echo "    per_destination: {rate: 10, burst: 10}"
    } >"$file"
}

# lab_start [EXTRA WAN KEYS...]: namespaces, config, router. Returns 1 when anything is missing.
lab_start() {
    step "lab: $DPR_NS_H1 ($DPR_H1_ADDR, mtu 1500) -- [lan $DPR_R1_ADDR mtu $LAN_MTU] dprouter [wan $DPR_R2_ADDR mtu $WAN_MTU] -- $DPR_NS_H2 ($DPR_H2_ADDR, mtu 1500)"
    lab_up || { bad "lab_up (scripts/lab-lib.sh) built the namespaces"; return 1; }
    CONFIG="$TMP/$SCEN.yaml"
    gen_config "$CONFIG" "$@"
    say "router config ($CONFIG):"
    sed 's/^/    /' "$CONFIG"
    run "$BIN" --check --config "$CONFIG" || { bad "generated config passes --check"; return 1; }
    ROUTER_LOG="$TMP/$SCEN-router.log"
    say "starting $BIN in $DPR_NS_R (log $ROUTER_LOG)"
    router_start "$BIN" "$CONFIG" || { bad "router starts and answers ping"; return 1; }
    local used
    used=$(router_config_file)
    [[ -n "$used" && "$used" != "$CONFIG" ]] && say "(scripts/lab-lib.sh runs the router on its adapted copy $used)"
    run ip -n "$DPR_NS_R" link show "$DPR_IF_R2"
    expect "router-side wan veth $DPR_IF_R2 has MTU $WAN_MTU (the router set its port MTU on the veth)" grep -q "mtu $WAN_MTU " <<<"$OUT"
    run ip -n "$DPR_NS_H2" link show "$DPR_IF_H2"
    expect "h2's own interface stays at MTU 1500 (so h2 advertises MSS $MSS)" grep -q "mtu 1500 " <<<"$OUT"
    return 0
}

lab_finish() {
    step "stop the router (SIGTERM); its counters on exit"
    stop_all_bg
    local lines=0
    [[ -s "$ROUTER_LOG" ]] && lines=$(wc -l <"$ROUTER_LOG")
    if router_stop; then ok "router exited with status 0"; else bad "router exited cleanly (status $ROUTER_STATUS)"; fi
    tail -n +"$((lines + 1))" "$ROUTER_LOG" | sed -n '/dprouter counters/,$p'
    lab_down
}

# Telemetry: tel_snap FILE saves /dprouter/stats; tel_get FILE KEY prints a dotted key (drops.pmtud_blackhole).
tel_snap() {
    echo /dprouter/stats | timeout 10 ip netns exec "$DPR_NS_R" "$PY" "$(command -v dpdk-telemetry.py)" -f "$DPR_FILE_PREFIX" >"$1" 2>&1
    grep -q '"/dprouter/stats"' "$1"
}
tel_get() {
    "$PY" - "$1" "$2" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("{"):
        d = json.loads(line)["/dprouter/stats"]
        for k in sys.argv[2].split("."):
            d = d[k]
        print(int(d))
        sys.exit(0)
sys.exit(1)
EOF
}
# tel_show FILE KEY...: narrate a telemetry read and print the keys; values in TEL[KEY].
declare -A TEL
tel_show() {
    local f=$1; shift
    show_cmd echo /dprouter/stats "|" ip netns exec "$DPR_NS_R" dpdk-telemetry.py -f "$DPR_FILE_PREFIX"
    if ! tel_snap "$f"; then bad "telemetry answers: $(head -c 300 "$f")"; return 1; fi
    local k v line=""
    for k in "$@"; do
        v=$(tel_get "$f" "$k") || v="?"
        TEL[$k]=$v
        line+="$k=$v  "
    done
    echo "  $line"
}

# delta KEY BASE: the last value tel_show read for KEY, minus BASE.
delta() { echo $((${TEL[$1]:-0} - $2)); }

# The address family a scenario speaks: fam 4 (the default) or fam 6 sets DST (h2's address), SRC
# (h1's), RTR (the router's lan address, where its errors come from), IPR (ip or ip -6), BIND (the
# server's listening address), SSDST (DST as ss filters want it) and MSS (what h2 advertises). The helpers
# below use them.
fam() {
    if [[ $1 == 6 ]]; then
        DST=$DPR_H2_ADDR6 SRC=$DPR_H1_ADDR6 RTR=$DPR_R1_ADDR6 IPR="ip -6" BIND=:: SSDST="[$DPR_H2_ADDR6]" MSS=1440
    else
        DST=$DPR_H2_ADDR SRC=$DPR_H1_ADDR RTR=$DPR_R1_ADDR IPR="ip" BIND=0.0.0.0 SSDST=$DPR_H2_ADDR MSS=1460
    fi
}
fam 4

# h1_flush: the route cache (and with it any learnt path MTU) of h1 is emptied.
h1_flush() {
    # shellcheck disable=SC2086  # IPR is "ip" or "ip -6"
    run ip netns exec "$DPR_NS_H1" $IPR route flush cache
    # shellcheck disable=SC2086
    run ip netns exec "$DPR_NS_H1" $IPR route get "$DST"
    expect "h1 has no path MTU for $DST cached" bash -c '! grep -q " mtu " <<<"$1"' _ "$OUT"
}
route_mtu() {  # prints the mtu h1 has cached for h2 ("none" when there is none)
    local r
    # shellcheck disable=SC2086
    r=$(ip netns exec "$DPR_NS_H1" $IPR route get "$DST" 2>&1)
    if [[ $r =~ mtu\ (lock\ )?([0-9]+) ]]; then echo "${BASH_REMATCH[1]}${BASH_REMATCH[2]}"; else echo none; fi
}
# router_config_file: the file the running router reads (router_start runs it on an adapted copy).
router_config_file() {
    if [[ -n "${ROUTER_CONFIG:-}" ]]; then echo "$ROUTER_CONFIG"; return; fi
    tr '\0' '\n' <"/proc/$ROUTER_PID/cmdline" 2>/dev/null | awk 'p { print; exit } $0 == "--config" { p = 1 }'
}

DATA=""
make_data() {
    [[ -n "$DATA" && -s "$DATA" ]] && return 0
    DATA="$TMP/data.bin"
    show_cmd head -c "$BYTES" /dev/urandom ">" "$DATA"
    head -c "$BYTES" /dev/urandom >"$DATA"
    DATA_SHA=$(sha256sum "$DATA" | cut -d' ' -f1)
}

# server_start OUT IDLE DEADLINE: tcp_bulk.py server in h2; PID in SERVER_PID, log in OUT.log.
server_start() {
    local out=$1 idle=$2 deadline=$3
    rm -f "$out" "$out.ready"
    local b=()
    [[ $BIND != 0.0.0.0 ]] && b=(--bind "$BIND")
    show_cmd ip netns exec "$DPR_NS_H2" "$PY" "$BULK" server "${b[@]}" --port "$PORT" --out "$out" --idle "$idle" --deadline "$deadline" "&"
    spawn "$out.log" ip netns exec "$DPR_NS_H2" "$PY" "$BULK" server "${b[@]}" --port "$PORT" --out "$out" --idle "$idle" \
        --deadline "$deadline" --ready "$out.ready"
    SERVER_PID=$SPAWNED
    lab_wait_for 10 test -e "$out.ready" || { bad "server listens on $DST port $PORT"; return 1; }
}
# server_wait OUT TIMEOUT: wait for the server; prints its report; SERVER_RC.
server_wait() {
    wait_pid "$SERVER_PID" "$2"
    SERVER_RC=$WAIT_RC
    cat "$1.log"
}
# transfer NAME CLIENT_DEADLINE SERVER_IDLE: h1 sends $DATA to h2; XFER_DONE=1 when complete and intact.
transfer() {
    local name=$1 cdl=$2 idle=$3 out="$TMP/$SCEN-$1.recv"
    make_data
    XFER_DONE=0
    server_start "$out" "$idle" $((cdl + idle + 5)) || return 1
    run timeout $((cdl + 10)) ip netns exec "$DPR_NS_H1" "$PY" "$BULK" client --host "$DST" --port "$PORT" \
        --file "$DATA" --deadline "$cdl"
    local crc=$RC
    server_wait "$out" $((idle + 10))
    XFER_RECEIVED=$(stat -c %s "$out" 2>/dev/null || echo 0)
    run sha256sum "$DATA" "$out"
    local rsha
    rsha=$(sha256sum "$out" 2>/dev/null | cut -d' ' -f1)
    if ((crc == 0)) && ((SERVER_RC == 0)) && [[ "$rsha" == "$DATA_SHA" ]]; then XFER_DONE=1; fi
    return 0
}

# tracepath_and_tcp NOTE ERROR SENT COUNTER DROPS: tracepath (-6) finds the path MTU itself, then the bulk
# transfer (NOTE says what to know about it) completes through PMTUD, h1 caches the MTU again from the
# router's ERROR messages, and the router's telemetry COUNTER (the SENT kind) went up; DROPS is shown.
tracepath_and_tcp() {
    local note=$1 error=$2 sent=$3 key=$4 drops=$5 tp=(tracepath -n) tpname=tracepath
    [[ $IPR != ip ]] && tp=(tracepath -6 -n) tpname="tracepath -6"
    step "$tpname finds the same path MTU (cache flushed first, so it discovers it itself)"
    # shellcheck disable=SC2086  # IPR is "ip" or "ip -6"
    run ip netns exec "$DPR_NS_H1" $IPR route flush cache
    run timeout 30 ip netns exec "$DPR_NS_H1" "${tp[@]}" "$DST"
    expect "$tpname reports 'pmtu $WAN_MTU'" grep -q "Resume: pmtu $WAN_MTU" <<<"$OUT"

    step "TCP: an ${BYTES}-byte transfer h1 -> h2 $note"
    h1_flush
    tel_show "$TMP/$SCEN-before.json" "$key" "$drops"
    local before=${TEL[$key]}
    transfer bulk 60 20
    expect "the transfer completed and the sha256 matches at both ends" test "$XFER_DONE" = 1
    # shellcheck disable=SC2086
    run ip netns exec "$DPR_NS_H1" $IPR route get "$DST"
    expect "h1 caches 'mtu $WAN_MTU' again, learnt from the router's $error about TCP segments" grep -q "mtu $WAN_MTU" <<<"$OUT"
    tel_show "$TMP/$SCEN-after.json" "$key" "$drops"
    expect "the router sent $sent during the transfer ($key +$(delta "$key" "$before"))" test "$(delta "$key" "$before")" -gt 0
}

# ---------------------------------------------------------------------------------------------------
# 1. frag-needed

scenario_frag_needed() {
    lab_start || return
    local cap="$TMP/frag-needed-h1.pcap"

    step "start clean: no path MTU cached on h1"
    h1_flush
    cap_start "$DPR_NS_H1" "$DPR_IF_H1" "$cap" "icmp or (tcp[tcpflags] & tcp-syn != 0)" || return

    step "a 1500-byte DF ping (1472 + 8 ICMP + 20 IP) does not fit the 1300-byte wan"
    run ip netns exec "$DPR_NS_H1" ping -n -M do -s 1472 -c 1 -W 2 "$DPR_H2_ADDR"
    expect "ping says 'Frag needed and DF set (mtu = $WAN_MTU)' from $DPR_R1_ADDR" \
        grep -q "From $DPR_R1_ADDR icmp_seq=1 Frag needed and DF set (mtu = $WAN_MTU)" <<<"$OUT"
    run ip netns exec "$DPR_NS_H1" ip route get "$DPR_H2_ADDR"
    expect "h1 now caches 'mtu $WAN_MTU' for $DPR_H2_ADDR" grep -q "mtu $WAN_MTU" <<<"$OUT"
    say "The next 1500-byte DF ping is refused locally, before it leaves h1:"
    run ip netns exec "$DPR_NS_H1" ping -n -M do -s 1472 -c 1 -W 2 "$DPR_H2_ADDR"
    expect "h1 refuses it itself: 'message too long, mtu=$WAN_MTU'" grep -q "message too long, mtu=$WAN_MTU" <<<"$OUT"
    say "A DF datagram of exactly the wan MTU (1272 + 28 = 1300) goes through:"
    run ip netns exec "$DPR_NS_H1" ping -n -M do -s $((WAN_MTU - 28)) -c 1 -W 2 "$DPR_H2_ADDR"
    expect "1300-byte DF ping answered" grep -q "1 received" <<<"$OUT"

    tracepath_and_tcp "(Linux sets DF on TCP); h2 advertised MSS 1460" ICMP "frag needed" icmp_sent.frag_needed drops.mtu_exceeded
    cap_stop "$CAP_PID"

    step "what the router sent: the ICMP 3/4 as captured on h1"
    run tsh "$cap" -Y "icmp.type==3 && icmp.code==4"
    say "Columns: the error's source, ICMP checksum status (1 = good), next-hop MTU (icmp.mtu), the error's own"
    say "IP length, TTL and DF bit, then what it quotes: the ping's echo identifier, tracepath's UDP port, or TCP ports:"
    run tsh "$cap" -Y "icmp.type==3 && icmp.code==4" -T fields -E occurrence=f -e ip.src -e icmp.checksum.status \
        -e icmp.mtu -e ip.len -e ip.ttl -e ip.flags.df -e icmp.ident -e udp.dstport -e tcp.srcport -e tcp.dstport
    local fields=$OUT
    # Every error must say mtu 1300 with a good checksum, come from the lan address, with DF clear.
    expect "every ICMP 3/4 is from $DPR_R1_ADDR, checksum good, icmp.mtu $WAN_MTU" \
        awk -v src="$DPR_R1_ADDR" -v mtu="$WAN_MTU" 'NF { n++; if ($1 != src || $2 != 1 || $3 != mtu) bad++ }
            END { exit !(n > 0 && bad == 0) }' <<<"$fields"
    run tsh "$cap" -Y "icmp.type==3 && icmp.code==4 && tcp" -T fields -e ip.len -e ip.flags.df -e tcp.srcport -e tcp.dstport
    expect "some quote a 1500-byte DF TCP segment h1 -> h2:$PORT (both IP lengths: error 576, quoted 1500)" \
        grep -qE "^576,1500	0,1	[0-9]+	$PORT" <<<"$OUT"
    say "The first one about TCP in full (ICMP layer and the quoted headers):"
    show_cmd tsh "$cap" -o ip.check_checksum:TRUE -Y "icmp.type==3 && icmp.code==4 && tcp" -O icmp,ip,tcp
    tsh "$cap" -o ip.check_checksum:TRUE -Y "icmp.type==3 && icmp.code==4 && tcp" -O icmp,ip,tcp |
        awk '/^Frame / { n++ } n == 1' | sed -n '/^Internet Protocol/,/Sequence Number:/p'

    lab_finish
}

# ---------------------------------------------------------------------------------------------------
# 2. blackhole

# Summarise the data segments h2 received from h1 (capture starts with h1's SYN, t=0): when data first
# arrived, each time a larger datagram first got through, and the most common sizes.
size_story() {
    tsh "$1" -Y "ip.src==$DPR_H1_ADDR && tcp.len > 0" -T fields -e frame.time_relative -e ip.len |
        awk '{ n++; c[$2]++; if (n == 1) printf "  t=%6.2fs  first data segment arrives (%d bytes)\n", $1, $2
               else if ($2 > max) printf "  t=%6.2fs  first %d-byte datagram (largest so far)\n", $1, $2
               if ($2 > max) max = $2 }
             END { printf "  %d data segments; most common sizes:", n
                   for (k = 0; k < 3; k++) { best = ""; for (s in c) if (best == "" || c[s] > c[best]) best = s
                                             if (best == "") break; printf " %d x%d", best, c[best]; delete c[best] }
                   printf "\n" }'
}

# into_blackhole MESSAGE HEADERS WHAT COUNTER ERROR: through the black hole a WHAT of exactly the wan MTU
# (HEADERS bytes of IP and ICMP headers) is answered, a 1500-byte one gets neither a reply nor ping's
# MESSAGE; then TCP stalls, h1 learns no path MTU, drops.pmtud_blackhole rises and COUNTER (the router's
# ERROR messages) does not.
into_blackhole() {
    local msg=$1 hdr=$2 what=$3 key=$4 error=$5 fam=()
    [[ $hdr == 48 ]] && fam=(-6)
    tel_show "$TMP/$SCEN-bh-0.json" drops.pmtud_blackhole "$key"
    local bh0=${TEL[drops.pmtud_blackhole]} e0=${TEL[$key]}
    step "small packets pass, big ones vanish: no reply and no error"
    run ip netns exec "$DPR_NS_H1" ping "${fam[@]}" -n -M do -s $((WAN_MTU - hdr)) -c 1 -W 2 "$DST"
    expect "a $WAN_MTU-byte $what is answered" grep -q "1 received" <<<"$OUT"
    run ip netns exec "$DPR_NS_H1" ping "${fam[@]}" -n -M do -s $((1500 - hdr)) -c 2 -i 0.5 -W 2 "$DST"
    expect "a 1500-byte $what gets neither a reply nor '$msg'" \
        bash -c 'grep -q " 0 received" <<<"$1" && ! grep -q "$2" <<<"$1"' _ "$OUT" "$msg"

    step "TCP into the black hole: the transfer stalls (client gives up after 15 s)"
    transfer stall 15 15
    expect "the transfer did NOT complete" test "$XFER_DONE" = 0
    expect "little or nothing was delivered ($XFER_RECEIVED of $BYTES bytes)" test "$XFER_RECEIVED" -lt $((BYTES / 2))
    run ip netns exec "$DPR_NS_H1" ss -tin dst "$SSDST"
    say "(the abandoned connection keeps retransmitting full-size segments: pmtu stays 1500, backoff grows)"
    # shellcheck disable=SC2086  # IPR is "ip" or "ip -6"
    run ip netns exec "$DPR_NS_H1" $IPR route get "$DST"
    expect "h1 never learnt a path MTU" bash -c '! grep -q " mtu " <<<"$1"' _ "$OUT"
    tel_show "$TMP/$SCEN-bh-1.json" drops.pmtud_blackhole "$key"
    expect "router counter pmtud_blackhole went up (+$(delta drops.pmtud_blackhole "$bh0"))" \
        test "$(delta drops.pmtud_blackhole "$bh0")" -gt 0
    expect "the router sent no $error ($key +$(delta "$key" "$e0"))" test "$(delta "$key" "$e0")" -eq 0
}

scenario_blackhole() {
    lab_start "pmtud_blackhole: true" || return
    local cap="$TMP/blackhole-h1.pcap"
    step "start clean; h1 uses Linux's default net.ipv4.tcp_mtu_probing=0"
    h1_flush
    run ip netns exec "$DPR_NS_H1" sysctl net.ipv4.tcp_mtu_probing net.ipv4.tcp_base_mss net.ipv4.tcp_retries1
    cap_start "$DPR_NS_H1" "$DPR_IF_H1" "$cap" "icmp" || return
    tel_show "$TMP/bh-0.json" icmp_sent.frag_needed
    local fn0=${TEL[icmp_sent.frag_needed]}
    into_blackhole "Frag needed" 28 "DF ping" icmp_sent.frag_needed "frag needed"
    cap_stop "$CAP_PID"
    run tsh "$cap" -Y "icmp.type==3 && icmp.code==4"
    expect "no ICMP 3/4 reached h1" test -z "$OUT"
    # The stuck socket would go on retransmitting for minutes; remove it (needs CONFIG_INET_DIAG_DESTROY).
    ip netns exec "$DPR_NS_H1" ss -K dst "$DPR_H2_ADDR" >/dev/null 2>&1

    step "tcp_mtu_probing=1: black-hole detection (RFC 4821 style) after repeated retransmission timeouts"
    say "After tcp_retries1 (3) timeouts Linux enables probing and drops to tcp_base_mss (1024) worth of"
    say "segment, then probes upwards. Capture on h2 shows the sizes that got through."
    run ip netns exec "$DPR_NS_H1" sysctl -w net.ipv4.tcp_mtu_probing=1
    h1_flush
    local cap2="$TMP/blackhole-h2.pcap"
    cap_start "$DPR_NS_H2" "$DPR_IF_H2" "$cap2" "tcp and src host $DPR_H1_ADDR" 96 || return
    transfer probing1 60 30
    cap_stop "$CAP_PID"
    expect "with tcp_mtu_probing=1 the transfer completes intact" test "$XFER_DONE" = 1
    show_cmd tshark -n -r "$cap2" -Y "ip.src==$DPR_H1_ADDR && tcp.len > 0" -T fields -e frame.time_relative -e ip.len "|" awk "(summary)"
    size_story "$cap2"
    run ip netns exec "$DPR_NS_H1" ip route get "$DPR_H2_ADDR"
    say "(probing sets the connection's MSS, not the route: ip route get still shows no mtu)"
    ip netns exec "$DPR_NS_H1" ss -K dst "$DPR_H2_ADDR" >/dev/null 2>&1

    step "tcp_mtu_probing=2: always probe, starting from tcp_base_mss: no stall at all"
    run ip netns exec "$DPR_NS_H1" sysctl -w net.ipv4.tcp_mtu_probing=2
    h1_flush
    local cap3="$TMP/blackhole-h2-probing2.pcap"
    cap_start "$DPR_NS_H2" "$DPR_IF_H2" "$cap3" "tcp and src host $DPR_H1_ADDR" 96 || return
    transfer probing2 60 30
    cap_stop "$CAP_PID"
    expect "with tcp_mtu_probing=2 the transfer completes intact" test "$XFER_DONE" = 1
    size_story "$cap3"
    tel_show "$TMP/bh-2.json" drops.pmtud_blackhole icmp_sent.frag_needed
    expect "still no frag needed from the router (icmp_sent.frag_needed +$(delta icmp_sent.frag_needed "$fn0"))" \
        test "$(delta icmp_sent.frag_needed "$fn0")" -eq 0
    run ip netns exec "$DPR_NS_H1" sysctl -w net.ipv4.tcp_mtu_probing=0
    lab_finish
}

# ---------------------------------------------------------------------------------------------------
# 3. forged

# forge DESC SPORT SEQ [MTU]: scapy in h2 sends h1 a frag needed quoting h1:SPORT -> h2:PORT with SEQ.
forge() {
    local src=${FORGE_SRC:-$DPR_H2_ADDR}
    run ip netns exec "$DPR_NS_H2" "$PY" "$FORGE" --src "$src" --dst "$DPR_H1_ADDR" --mtu "${3:-$WAN_MTU}" \
        --quote-src "$DPR_H1_ADDR" --quote-dst "$DPR_H2_ADDR" --sport "$1" --dport "$PORT" --seq "$2"
    sleep 0.5
}
nstat_h1() {  # the TCP/ICMP error counters of h1 that say what happened to an ICMP (deltas since last call)
    run env NSTAT_HISTORY="$TMP/nstat.h1" ip netns exec "$DPR_NS_H1" nstat IcmpInDestUnreachs IcmpInErrors TcpExtOutOfWindowIcmps
}

# open_idle_conn NAME DEADLINE: server in h2, and a client in h1 that connects, sends 6 bytes and idles
# until $TMP/NAME.go exists, then sends the rest of $DATA. A capture on h2 gives h1's next sequence
# number. Sets LPORT (h1's port), NXT (snd_una = snd_nxt once the 6 bytes are acknowledged),
# CLIENT_PID, and the server's output file $TMP/NAME.recv.
open_idle_conn() {
    local name=$1 deadline=$2 capc="$TMP/$1-h2.pcap" info="$TMP/$1.info" go="$TMP/$1.go" out="$TMP/$1.recv"
    make_data
    cap_start "$DPR_NS_H2" "$DPR_IF_H2" "$capc" "tcp port $PORT" 96 || return 1
    local cpid=$CAP_PID
    server_start "$out" "$deadline" $((deadline + 20)) || return 1
    show_cmd ip netns exec "$DPR_NS_H1" "$PY" "$BULK" client --host "$DPR_H2_ADDR" --port "$PORT" --file "$DATA" \
        --deadline "$deadline" --hold "$go" --info "$info" "&"
    spawn "$TMP/$name-client.log" ip netns exec "$DPR_NS_H1" "$PY" "$BULK" client --host "$DPR_H2_ADDR" --port "$PORT" \
        --file "$DATA" --deadline "$deadline" --hold "$go" --info "$info"
    CLIENT_PID=$SPAWNED
    lab_wait_for 10 test -s "$info" || { bad "client connected and sent its first 6 bytes"; return 1; }
    cat "$TMP/$name-client.log"

    read -r _ LPORT _ <"$info"
    sleep 0.5   # let the ACK of the 6 bytes come back: snd_una == snd_nxt

    step "the live connection, as h1 sees it and as a capture on h2 sees it (absolute sequence numbers)"
    run ip netns exec "$DPR_NS_H1" ss -tin src "$DPR_H1_ADDR:$LPORT"
    expect "h1's socket: pmtu:1500, mss:1448 (h2 said MSS 1460; 12 bytes of timestamps)" grep -q "mss:1448 pmtu:1500" <<<"$OUT"
    cap_stop "$cpid"
    run tsh "$capc" -o tcp.relative_sequence_numbers:FALSE -T fields -e ip.src -e tcp.srcport -e tcp.dstport \
        -e tcp.flags.str -e tcp.seq -e tcp.len -e tcp.nxtseq -e tcp.ack
    NXT=$(tsh "$capc" -o tcp.relative_sequence_numbers:FALSE -Y "ip.src==$DPR_H1_ADDR" -T fields -e tcp.nxtseq | tail -n 1)
    [[ $NXT =~ ^[0-9]+$ ]] || { bad "read h1's next sequence number from the capture (got '$NXT')"; return 1; }
    return 0
}

scenario_forged() {
    lab_start || return
    make_data
    step "start clean, then open a TCP connection h1 -> h2:$PORT that sends 6 bytes and stays idle"
    h1_flush
    local caph1="$TMP/forged-h1.pcap" out="$TMP/forged.recv" go="$TMP/forged.go"
    cap_start "$DPR_NS_H1" "$DPR_IF_H1" "$caph1" "icmp" || return
    local caph1pid=$CAP_PID
    open_idle_conn forged 120 || return
    local lport=$LPORT nxt=$NXT client_pid=$CLIENT_PID
    say "h1 has sent everything up to sequence $nxt and all of it is acknowledged: snd_una = snd_nxt = $nxt."
    say "Linux accepts a frag needed for this socket only if the quoted seq is in [snd_una, snd_nxt]."
    tel_show "$TMP/fo-0.json" icmp_sent.frag_needed
    local fn0=${TEL[icmp_sent.frag_needed]}
    nstat_h1 >/dev/null

    step "forgery 1: right addresses, WRONG source port ($((lport + 1)) instead of $lport): no such socket"
    forge $((lport + 1)) "$nxt"
    nstat_h1
    expect "counted as IcmpInErrors (tcp_v4_err found no socket)" grep -q "IcmpInErrors" <<<"$OUT"
    run ip netns exec "$DPR_NS_H1" ip route get "$DPR_H2_ADDR"
    expect "ignored: no mtu on h1's route to $DPR_H2_ADDR" bash -c '! grep -q " mtu " <<<"$1"' _ "$OUT"

    step "forgery 2: right ports, sequence number OUTSIDE the window ($((nxt + 100000)) = snd_nxt + 100000)"
    forge "$lport" $(((nxt + 100000) % 4294967296))
    nstat_h1
    expect "counted as TcpExtOutOfWindowIcmps" grep -q "TcpExtOutOfWindowIcmps" <<<"$OUT"
    run ip netns exec "$DPR_NS_H1" ip route get "$DPR_H2_ADDR"
    expect "ignored: still no mtu" bash -c '! grep -q " mtu " <<<"$1"' _ "$OUT"

    local old=$(((nxt + 4294967296 - 6) % 4294967296))
    step "forgery 3: right ports, a long-acknowledged sequence number ($old = the first data byte, snd_una - 6)"
    forge "$lport" "$old"
    nstat_h1
    expect "counted as TcpExtOutOfWindowIcmps: a stale quote does not count either" grep -q "TcpExtOutOfWindowIcmps" <<<"$OUT"
    run ip netns exec "$DPR_NS_H1" ip route get "$DPR_H2_ADDR"
    expect "ignored: still no mtu" bash -c '! grep -q " mtu " <<<"$1"' _ "$OUT"

    step "forgery 4: the exact quote: ports $lport -> $PORT and seq $nxt (= snd_una = snd_nxt)"
    forge "$lport" "$nxt"
    nstat_h1
    run ip netns exec "$DPR_NS_H1" ip route get "$DPR_H2_ADDR"
    expect "ACCEPTED: h1 caches mtu $WAN_MTU" grep -q "mtu $WAN_MTU" <<<"$OUT"
    run ip netns exec "$DPR_NS_H1" ss -tin src "$DPR_H1_ADDR:$lport"
    expect "the socket follows: pmtu:$WAN_MTU mss:1248" grep -q "mss:1248 pmtu:$WAN_MTU" <<<"$OUT"
    tel_show "$TMP/fo-1.json" icmp_sent.frag_needed
    expect "the router sent no frag needed so far: that was the forged one" test "$(delta icmp_sent.frag_needed "$fn0")" -eq 0

    step "now the real thing: forget the MTU and let the same connection send its ${BYTES} bytes"
    h1_flush
    say "(tcp_current_mss sees the new route's MTU 1500 and goes back to 1448-byte segments)"
    run touch "$go"
    wait_pid "$client_pid" 100
    local crc=$WAIT_RC
    cat "$TMP/forged-client.log"
    server_wait "$out" 30
    run sha256sum "$DATA" "$out"
    local rsha
    rsha=$(sha256sum "$out" | cut -d' ' -f1)
    expect "the transfer on the same connection completed intact" \
        test "$crc" = 0 -a "$SERVER_RC" = 0 -a "$rsha" = "$DATA_SHA"
    run ip netns exec "$DPR_NS_H1" ip route get "$DPR_H2_ADDR"
    expect "the router's frag needed set mtu $WAN_MTU" grep -q "mtu $WAN_MTU" <<<"$OUT"
    tel_show "$TMP/fo-2.json" icmp_sent.frag_needed
    expect "the router sent frag needed (icmp_sent.frag_needed +$(delta icmp_sent.frag_needed "$fn0"))" \
        test "$(delta icmp_sent.frag_needed "$fn0")" -gt 0
    cap_stop "$caph1pid"

    step "every frag needed h1 received: the forged ones, then the router's (quoted port and seq)"
    run tsh "$caph1" -o tcp.relative_sequence_numbers:FALSE -Y "icmp.type==3 && icmp.code==4" -T fields -E occurrence=f \
        -e frame.number -e ip.src -e icmp.mtu -e icmp.checksum.status -e ip.len -e tcp.srcport -e tcp.seq
    say "(ip.len is the error's own length: the forged ones quote 40 bytes, 68 in all; the router quotes as much"
    say " of the real 1500-byte segment as fits in 576 bytes, and its seq is one h1 really sent and is waiting for)"
    expect "the router's ICMP quotes the live connection's port $lport" \
        awk -v src="$DPR_R1_ADDR" -v p="$lport" '$2 == src && $6 == p { f = 1 } END { exit !f }' <<<"$OUT"
    lab_finish
}

# ---------------------------------------------------------------------------------------------------
# 4. mss-clamp

scenario_mss_clamp() {
    lab_start "tcp_mss_clamp: true" "pmtud_blackhole: true" || return
    local clamp=$((WAN_MTU - 40))
    local c1="$TMP/mss-h1.pcap" c2="$TMP/mss-h2.pcap"
    step "start clean; capture SYNs and ICMP on h1, SYNs on h2"
    h1_flush
    tel_show "$TMP/mss-0.json" events.mss_clamped drops.pmtud_blackhole icmp_sent.frag_needed
    local m0=${TEL[events.mss_clamped]} b0=${TEL[drops.pmtud_blackhole]} f0=${TEL[icmp_sent.frag_needed]}
    cap_start "$DPR_NS_H1" "$DPR_IF_H1" "$c1" "icmp or (tcp[tcpflags] & tcp-syn != 0)" || return
    local p1=$CAP_PID
    cap_start "$DPR_NS_H2" "$DPR_IF_H2" "$c2" "tcp port $PORT" 96 || return
    local p2=$CAP_PID

    step "the ${BYTES}-byte transfer, through a wan that is ALSO a PMTUD black hole"
    transfer bulk 60 20
    expect "the transfer completed and the sha256 matches (it never needed PMTUD)" test "$XFER_DONE" = 1
    cap_stop "$p1"
    cap_stop "$p2"

    step "the handshake on both sides of the router"
    say "Columns: source, destination, ACK flag (0 = SYN, 1 = SYN-ACK), tcp.options.mss_val, TCP checksum status (1 = good)."
    say "On h1 (the SYN as h1 sent it, the SYN-ACK as it arrived):"
    run tsh "$c1" -o tcp.check_checksum:TRUE -Y "tcp.flags.syn==1" -T fields -e ip.src -e ip.dst -e tcp.flags.ack \
        -e tcp.options.mss_val -e tcp.checksum.status
    local h1out=$OUT
    say "On h2 (the SYN as it left the router, the SYN-ACK as h2 sent it):"
    run tsh "$c2" -o tcp.check_checksum:TRUE -Y "tcp.flags.syn==1" -T fields -e ip.src -e ip.dst -e tcp.flags.ack \
        -e tcp.options.mss_val -e tcp.checksum.status
    local h2out=$OUT
    # has_syn OUTPUT SRC DST ACK MSS: a SYN (ACK=0) or SYN-ACK (ACK=1) SRC -> DST with that MSS and a good checksum
    has_syn() { awk -v s="$2" -v d="$3" -v a="$4" -v m="$5" '$1 == s && $2 == d && $3 == a && $4 == m && $5 == 1 { f = 1 } END { exit !f }' <<<"$1"; }
    expect "h1 sent its SYN with MSS 1460" has_syn "$h1out" "$DPR_H1_ADDR" "$DPR_H2_ADDR" 0 1460
    expect "the SYN left the router towards h2 with MSS $clamp, TCP checksum good" has_syn "$h2out" "$DPR_H1_ADDR" "$DPR_H2_ADDR" 0 "$clamp"
    expect "h2 sent its SYN-ACK with MSS 1460" has_syn "$h2out" "$DPR_H2_ADDR" "$DPR_H1_ADDR" 1 1460
    expect "the SYN-ACK arrived at h1 with MSS $clamp, TCP checksum good" has_syn "$h1out" "$DPR_H2_ADDR" "$DPR_H1_ADDR" 1 "$clamp"
    say "The largest datagrams h1 sent that reached h2 (MSS 1260 - 12 bytes of timestamps + 40 = 1300):"
    show_cmd tsh "$c2" -Y "ip.src==$DPR_H1_ADDR" -T fields -e ip.len "|" sort -n "|" uniq -c "|" tail -n 3
    local sizes
    sizes=$(tsh "$c2" -Y "ip.src==$DPR_H1_ADDR" -T fields -e ip.len | sort -n | uniq -c | tail -n 3)
    printf '%s\n' "$sizes"
    expect "none larger than the wan MTU $WAN_MTU, and full ones of exactly $WAN_MTU" \
        bash -c 'tail -n 1 <<<"$1" | grep -qE "^ *[0-9]+ $2$"' _ "$sizes" "$WAN_MTU"
    run tsh "$c1" -Y "icmp.type==3 && icmp.code==4"
    expect "no frag needed reached h1" test -z "$OUT"
    run ip netns exec "$DPR_NS_H1" ip route get "$DPR_H2_ADDR"
    expect "h1 never needed a path MTU" bash -c '! grep -q " mtu " <<<"$1"' _ "$OUT"
    tel_show "$TMP/mss-1.json" events.mss_clamped drops.pmtud_blackhole icmp_sent.frag_needed
    expect "router clamped both SYNs (events.mss_clamped +$(delta events.mss_clamped "$m0"))" \
        test "$(delta events.mss_clamped "$m0")" -ge 2
    expect "nothing fell into the black hole (drops.pmtud_blackhole +$(delta drops.pmtud_blackhole "$b0"))" \
        test "$(delta drops.pmtud_blackhole "$b0")" -eq 0
    expect "no frag needed sent (icmp_sent.frag_needed +$(delta icmp_sent.frag_needed "$f0"))" \
        test "$(delta icmp_sent.frag_needed "$f0")" -eq 0
    lab_finish
}

# ---------------------------------------------------------------------------------------------------
# 5. advertised-mtu

# reload_adv VALUE: set advertised_mtu in the config and have the running router reload it (SIGHUP,
# through router_reload of scripts/lab-lib.sh), bounded wait for "configuration reloaded".
reload_adv() {
    local v=$1 before
    before=$(grep -c "configuration reloaded" "$ROUTER_LOG")
    run sed -i "s/advertised_mtu: .*/advertised_mtu: $v/" "$CONFIG"
    run grep -n advertised_mtu "$CONFIG"
    if declare -F router_reload >/dev/null; then
        show_cmd router_reload "$CONFIG"
        say "  (scripts/lab-lib.sh: copies it over the file the router reads, then kill -HUP $ROUTER_PID)"
        router_reload "$CONFIG" 5
    else
        local file
        file=$(router_config_file)
        [[ -n "$file" && -w "$file" ]] || { bad "found the config file of router pid $ROUTER_PID"; return 1; }
        [[ "$file" != "$CONFIG" ]] && sed -i "s/advertised_mtu: .*/advertised_mtu: $v/" "$file"
        show_cmd kill -HUP "$ROUTER_PID"
        kill -HUP "$ROUTER_PID"
    fi
    if lab_wait_for 10 bash -c "(( \$(grep -c 'configuration reloaded' '$ROUTER_LOG') > $before ))"; then
        grep "configuration reloaded" "$ROUTER_LOG" | tail -n 1
    else
        bad "router reloaded its config after SIGHUP"
        tail -n 5 "$ROUTER_LOG"
        return 1
    fi
}

# stall_check NAME COUNTER WHAT: an 8-second transfer that must stall while the router keeps answering
# the retransmissions with WHAT (telemetry COUNTER goes up); the stuck socket is removed afterwards.
stall_check() {
    local name=$1 key=$2 what=$3
    tel_show "$TMP/$name-0.json" "$key"
    local c0=${TEL[$key]}
    transfer "$name" 8 8
    tel_show "$TMP/$name-1.json" "$key"
    expect "the router kept answering the retransmissions ($key +$(delta "$key" "$c0"))" test "$(delta "$key" "$c0")" -gt 0
    expect "TCP stalls although $what is sent ($XFER_RECEIVED of $BYTES bytes delivered)" test "$XFER_DONE" = 0
    ip netns exec "$DPR_NS_H1" ss -K dst "$SSDST" >/dev/null 2>&1
}

# adv_case VALUE WIRE_MTU ROUTE_AFTER TCP(complete|stall|skip): one advertised_mtu value.
adv_case() {
    local v=$1 wire=$2 want=$3 tcp=$4 cap="$TMP/adv-$1.pcap"
    step "advertised_mtu: $v"
    reload_adv "$v" || return
    h1_flush
    cap_start "$DPR_NS_H1" "$DPR_IF_H1" "$cap" "icmp" || return
    run ip netns exec "$DPR_NS_H1" ping -n -M do -s 1472 -c 1 -W 2 "$DPR_H2_ADDR"
    cap_stop "$CAP_PID"
    run tsh "$cap" -Y "icmp.type==3 && icmp.code==4" -T fields -E occurrence=f -e ip.src -e icmp.mtu -e icmp.checksum.status
    local got
    got=$(awk 'NR == 1 { print $2 }' <<<"$OUT")
    expect "the router's frag needed carries MTU $wire on the wire (icmp.mtu = ${got:-nothing})" test "$got" = "$wire"
    run ip netns exec "$DPR_NS_H1" ip route get "$DPR_H2_ADDR"
    local r
    r=$(route_mtu)
    expect "Linux caches: $want (ip route get says: ${r/none/no mtu})" test "$r" = "$want"
    case $tcp in
    complete)
        local c2="$TMP/adv-$v-h2.pcap"
        cap_start "$DPR_NS_H2" "$DPR_IF_H2" "$c2" "tcp and src host $DPR_H1_ADDR" 96 || return
        transfer "adv$v" 30 15
        cap_stop "$CAP_PID"
        expect "TCP completes intact" test "$XFER_DONE" = 1
        say "The datagrams h1 sent, as h2 received them (count, size, DF bit):"
        show_cmd tsh "$c2" -Y "tcp.len > 0" -T fields -e ip.len -e ip.flags.df "|" sort "|" uniq -c "|" sort -rn "|" head -n 3
        local sizes
        sizes=$(tsh "$c2" -Y "tcp.len > 0" -T fields -e ip.len -e ip.flags.df | sort | uniq -c | sort -rn)
        head -n 3 <<<"$sizes"
        expect "all of them at most 552 bytes, and DF clear (a locked route MTU turns DF off)" \
            awk 'NF { n++; if ($2 > 552 || $3 != 0) bad++ } END { exit !(n > 0 && bad == 0) }' <<<"$sizes" ;;
    stall) stall_check "adv$v" icmp_sent.frag_needed "frag needed" ;;
    esac
}

scenario_advertised_mtu() {
    lab_start "advertised_mtu: 1300" || return
    make_data
    say "advertised_mtu can be changed without a restart: edit the file and SIGHUP the router."
    # value  on the wire  Linux caches  TCP
    adv_case 500  500  "lock 552" complete  # below min_pmtu 552: clamped to 552 and locked
    adv_case 60   60   "lock 552" skip      # below the IPv4 minimum 68: same
    adv_case 1400 1400 "1400"    stall      # between the real MTU and the packet: believed, still too big
    adv_case 1600 1600 "none"    stall      # larger than the packet: ignored, never raises the PMTU
    # RFC 1191 section 5: an "old-style" router reports 0; the host must guess from the quoted length.
    adv_case 0    0    "lock 552" skip

    step "what Linux does with MTU 0, whatever the router sends: a forged frag needed with MTU 0 quoting a live connection"
    h1_flush
    open_idle_conn adv0 60 || return
    forge "$LPORT" "$NXT" 0
    run ip netns exec "$DPR_NS_H1" ip route get "$DPR_H2_ADDR"
    expect "MTU 0 (an RFC 1191 'old-style' message) makes Linux use min_pmtu: mtu lock 552" test "$(route_mtu)" = "lock 552"
    run ip netns exec "$DPR_NS_H1" ss -tin src "$DPR_H1_ADDR:$LPORT"
    expect "the connection drops to MSS 500 (552 - 40 - 12 bytes of timestamps)" grep -q "mss:500 pmtu:552" <<<"$OUT"
    run touch "$TMP/adv0.go"
    wait_pid "$CLIENT_PID" 70
    local crc=$WAIT_RC
    cat "$TMP/adv0-client.log"
    server_wait "$TMP/adv0.recv" 30
    expect "and completes its ${BYTES} bytes with 552-byte datagrams" \
        test "$crc" = 0 -a "$SERVER_RC" = 0 -a "$(sha256sum <"$TMP/adv0.recv" | cut -d' ' -f1)" = "$DATA_SHA"
    lab_finish
}

# ---------------------------------------------------------------------------------------------------
# 6. ptb6: IPv6 routers never fragment (RFC 8200 5); the router's Packet Too Big is all a host has

scenario_ptb6() {
    fam 6
    lab_start || return
    local cap="$TMP/ptb6-h1.pcap"

    step "start clean: no path MTU cached on h1 for $DST"
    h1_flush
    cap_start "$DPR_NS_H1" "$DPR_IF_H1" "$cap" "icmp6 and ip6[40] == 2" || return

    step "a 1500-byte IPv6 packet (1452 + 8 ICMPv6 + 40 IPv6) does not fit the 1300-byte wan"
    run ip netns exec "$DPR_NS_H1" ping -6 -n -M do -s 1452 -c 1 -W 2 "$DST"
    expect "ping says 'Packet too big: mtu=$WAN_MTU' from $RTR" \
        grep -q "From $RTR icmp_seq=1 Packet too big: mtu=$WAN_MTU" <<<"$OUT"
    run ip netns exec "$DPR_NS_H1" ip -6 route get "$DST"
    expect "h1 now caches 'mtu $WAN_MTU' for $DST" grep -q "mtu $WAN_MTU" <<<"$OUT"
    say "The next 1500-byte packet is refused locally, before it leaves h1:"
    run ip netns exec "$DPR_NS_H1" ping -6 -n -M do -s 1452 -c 1 -W 2 "$DST"
    expect "h1 refuses it itself: 'message too long, mtu: $WAN_MTU'" grep -qE "message too long, mtu[:=] ?$WAN_MTU" <<<"$OUT"
    say "A packet of exactly the wan MTU (1252 + 8 + 40 = 1300) goes through:"
    run ip netns exec "$DPR_NS_H1" ping -6 -n -M do -s $((WAN_MTU - 48)) -c 1 -W 2 "$DST"
    expect "1300-byte ping answered" grep -q "1 received" <<<"$OUT"

    tracepath_and_tcp "over IPv6; h2 advertised MSS 1440" "Packet Too Big" "Packet Too Big" icmp_sent.icmp6_packet_too_big drops.ipv6_too_big
    cap_stop "$CAP_PID"

    step "what the router sent: the ICMPv6 type 2 as captured on h1"
    run tsh "$cap"
    say "Columns: the error's source, ICMPv6 checksum status (1 = good), MTU (icmpv6.mtu), the error's own payload"
    say "length and hop limit, then what it quotes: the ping's echo identifier, tracepath's UDP port, or TCP ports:"
    run tsh "$cap" -T fields -E occurrence=f -e ipv6.src -e icmpv6.checksum.status -e icmpv6.mtu -e ipv6.plen -e ipv6.hlim \
        -e icmpv6.echo.identifier -e udp.dstport -e tcp.srcport -e tcp.dstport
    expect "every Packet Too Big is from $RTR, checksum good, mtu $WAN_MTU, 1280 bytes in all (payload 1240), hop limit 64" \
        awk -v src="$RTR" -v mtu="$WAN_MTU" 'NF { n++; if ($1 != src || $2 != 1 || $3 != mtu || $4 != 1240 || $5 != 64) bad++ }
            END { exit !(n > 0 && bad == 0) }' <<<"$OUT"
    say "The first one about TCP in full (ICMPv6 layer and the quoted headers):"
    show_cmd tsh "$cap" -Y "tcp" -O icmpv6,ipv6,tcp
    tsh "$cap" -Y "tcp" -O icmpv6,ipv6,tcp | awk '/^Frame / { n++ } n == 1' | sed -n '/^Internet Protocol/,/Sequence Number:/p'
    lab_finish
}

# ---------------------------------------------------------------------------------------------------
# 7. blackhole6: no Packet Too Big at all; MSS clamping as the way out

scenario_blackhole6() {
    fam 6
    lab_start "pmtud_blackhole: true" || return
    local cap="$TMP/blackhole6-h1.pcap"
    step "start clean; h1 uses Linux's default net.ipv4.tcp_mtu_probing=0 (it applies to IPv6 TCP too)"
    h1_flush
    cap_start "$DPR_NS_H1" "$DPR_IF_H1" "$cap" "icmp6 and ip6[40] == 2" || return
    tel_show "$TMP/bh6-0.json" events.mss_clamped
    local m0=${TEL[events.mss_clamped]}
    into_blackhole "Packet too big" 48 "ping -6" icmp_sent.icmp6_packet_too_big "Packet Too Big"
    cap_stop "$CAP_PID"
    run tsh "$cap"
    expect "no Packet Too Big reached h1" test -z "$OUT"
    ip netns exec "$DPR_NS_H1" ss -K dst "$SSDST" >/dev/null 2>&1

    step "tcp_mss_clamp: true on wan, added without a restart (edit the file, SIGHUP): 1300 - 60 = 1240"
    say "IPv6 and TCP headers take 60 bytes (IPv4 40), so an IPv6 SYN is clamped to the wan MTU - 60."
    gen_config "$CONFIG" "pmtud_blackhole: true" "tcp_mss_clamp: true"
    run grep -n -A1 pmtud_blackhole "$CONFIG"
    show_cmd router_reload "$CONFIG"
    if router_reload "$CONFIG" 5; then ok "router reloaded: $(grep 'configuration reloaded' "$ROUTER_LOG" | tail -n 1)"
    else bad "router reloaded the config with tcp_mss_clamp ($ROUTER_RELOAD)"; lab_finish; return; fi
    local c1="$TMP/bh6-mss-h1.pcap" c2="$TMP/bh6-mss-h2.pcap"
    cap_start "$DPR_NS_H1" "$DPR_IF_H1" "$c1" "icmp6 and ip6[40] == 2 or tcp port $PORT" 120 || return
    local p1=$CAP_PID
    cap_start "$DPR_NS_H2" "$DPR_IF_H2" "$c2" "tcp port $PORT" 120 || return
    local p2=$CAP_PID
    transfer clamp6 60 20
    cap_stop "$p1"
    cap_stop "$p2"
    expect "through the same black hole, the transfer now completes intact" test "$XFER_DONE" = 1
    say "Columns: source, ACK flag (0 = SYN, 1 = SYN-ACK), tcp.options.mss_val, TCP checksum status (1 = good)."
    run tsh "$c1" -o tcp.check_checksum:TRUE -Y "tcp.flags.syn==1" -T fields -e ipv6.src -e tcp.flags.ack -e tcp.options.mss_val -e tcp.checksum.status
    local h1out=$OUT
    run tsh "$c2" -o tcp.check_checksum:TRUE -Y "tcp.flags.syn==1" -T fields -e ipv6.src -e tcp.flags.ack -e tcp.options.mss_val -e tcp.checksum.status
    local h2out=$OUT
    has_syn6() { awk -v s="$2" -v a="$3" -v m="$4" '$1 == s && $2 == a && $3 == m && $4 == 1 { f = 1 } END { exit !f }' <<<"$1"; }
    expect "h1 sent its SYN with MSS 1440 (1500 - 60)" has_syn6 "$h1out" "$SRC" 0 1440
    expect "the SYN left the router towards h2 with MSS 1240, TCP checksum good" has_syn6 "$h2out" "$SRC" 0 1240
    expect "the SYN-ACK arrived at h1 with MSS 1240, TCP checksum good" has_syn6 "$h1out" "$DST" 1 1240
    local sizes
    sizes=$(tsh "$c2" -Y "ipv6.src==$SRC && tcp.len > 0" -T fields -e ipv6.plen | sort -n | uniq -c | tail -n 3)
    show_cmd tsh "$c2" -Y "ipv6.src==$SRC && tcp.len > 0" -T fields -e ipv6.plen "|" sort -n "|" uniq -c "|" tail -n 3
    printf '%s\n' "$sizes"
    expect "the largest packets h2 got are exactly 1300 bytes (payload length 1260: 1240 - 12 bytes of timestamps + 32)" \
        bash -c 'tail -n 1 <<<"$1" | grep -qE "^ *[0-9]+ 1260$"' _ "$sizes"
    tel_show "$TMP/bh6-2.json" events.mss_clamped icmp_sent.icmp6_packet_too_big
    expect "the router clamped both SYNs (events.mss_clamped +$(delta events.mss_clamped "$m0"))" \
        test "$(delta events.mss_clamped "$m0")" -ge 2
    lab_finish
}

# ---------------------------------------------------------------------------------------------------
# 8. advertised-mtu6

# adv6_case VALUE ROUTE_AFTER TCP(complete|stall): one advertised_mtu value with IPv6.
adv6_case() {
    local v=$1 want=$2 tcp=$3 cap="$TMP/adv6-$1.pcap"
    step "advertised_mtu: $v"
    reload_adv "$v" || return
    h1_flush
    cap_start "$DPR_NS_H1" "$DPR_IF_H1" "$cap" "icmp6 and ip6[40] == 2" || return
    run ip netns exec "$DPR_NS_H1" ping -6 -n -M do -s 1452 -c 1 -W 2 "$DST"
    expect "ping prints 'Packet too big: mtu=$v'" grep -q "Packet too big: mtu=$v" <<<"$OUT"
    cap_stop "$CAP_PID"
    run tsh "$cap" -T fields -E occurrence=f -e ipv6.src -e icmpv6.mtu -e icmpv6.checksum.status
    local got
    got=$(awk 'NR == 1 { print $2 }' <<<"$OUT")
    expect "the router's Packet Too Big carries MTU $v on the wire (icmpv6.mtu = ${got:-nothing})" test "$got" = "$v"
    run ip netns exec "$DPR_NS_H1" ip -6 route get "$DST"
    local r
    r=$(route_mtu)
    expect "Linux caches: $want (ip -6 route get says: ${r/none/no mtu})" test "$r" = "$want"
    case $tcp in
    complete)
        transfer "adv6-$v" 30 15
        expect "TCP completes intact" test "$XFER_DONE" = 1 ;;
    stall) stall_check "adv6-$v" icmp_sent.icmp6_packet_too_big "Packet Too Big" ;;
    esac
}

scenario_advertised_mtu6() {
    fam 6
    lab_start "advertised_mtu: 1300" || return
    make_data
    say "advertised_mtu applies to IPv6 Packet Too Big as to IPv4 frag needed; SIGHUP changes it."
    # value  Linux caches  TCP
    adv6_case 1400 "1400" stall     # between the real MTU and the packet: believed, still too big
    adv6_case 1280 "1280" complete  # the IPv6 minimum link MTU, below the real 1300: believed, and it fits
    adv6_case 1000 "none" stall     # below 1280: RFC 8201 4 forbids going lower; Linux ignores the message
    adv6_case 1600 "none" stall     # larger than the packet: ignored, never raises the PMTU
    lab_finish
}

# ---------------------------------------------------------------------------------------------------

run_scenario() {
    SCEN=$1
    FAILS=0 PASSES=0
    printf '\n%s######## %s: %s%s\n' "$B" "$SCEN" "$(describe "$SCEN")" "$N"
    local start=$SECONDS
    fam 4
    case $SCEN in
    frag-needed) scenario_frag_needed ;;
    blackhole) scenario_blackhole ;;
    forged) scenario_forged ;;
    mss-clamp) scenario_mss_clamp ;;
    advertised-mtu) scenario_advertised_mtu ;;
    ptb6) scenario_ptb6 ;;
    blackhole6) scenario_blackhole6 ;;
    advertised-mtu6) scenario_advertised_mtu6 ;;
    esac
    stop_all_bg
    lab_down
    local verdict=PASS
    ((FAILS > 0 || PASSES == 0)) && verdict=FAIL
    printf '\n%s######## %s: %s (%d ok, %d failed, %d s)%s\n' "$B" "$SCEN" "$verdict" "$PASSES" "$FAILS" $((SECONDS - start)) "$N"
    [[ $verdict == PASS ]]
}

main() {
    local what=${1:-}
    case $what in
    list)
        local s
        for s in "${SCENARIOS[@]}"; do printf '%-15s %s\n' "$s" "$(describe "$s")"; done
        exit 0 ;;
    all) ;;
    frag-needed | blackhole | forged | mss-clamp | advertised-mtu | ptb6 | blackhole6 | advertised-mtu6) ;;
    *) usage ;;
    esac
    [[ $EUID -eq 0 ]] || { echo "$0: must run as root (network namespaces)" >&2; exit 2; }
    BIN=$(readlink -f "${DPR_BIN:-$repo/build/dprouter}")
    [[ -x "$BIN" ]] || { echo "$0: $BIN not found; build it: meson setup build && ninja -C build" >&2; exit 2; }
    local t
    for t in tcpdump tshark tracepath ss nstat ethtool dpdk-telemetry.py; do
        command -v "$t" >/dev/null || { echo "$0: $t is missing" >&2; exit 2; }
    done
    "$PY" -c "import scapy" 2>/dev/null || { echo "$0: $PY has no scapy (python3-scapy)" >&2; exit 2; }
    # One PMTUD lab per prefix at a time: a second run (say tests/lab/run.sh by someone else) would tear
    # this one's namespaces down in lab_up. Wait for the other run, bounded, then give up.
    local lock="/tmp/dprouter-pmtud-${DPR_LAB_PREFIX}.lock"
    exec {LOCK_FD}>>"$lock"
    if ! flock -n "$LOCK_FD"; then
        echo "another PMTUD lab with prefix '$DPR_LAB_PREFIX' is running (lock $lock); waiting up to ${PMTUD_LOCK_WAIT:-240} s"
        flock -w "${PMTUD_LOCK_WAIT:-240}" "$LOCK_FD" || { echo "$0: still busy; try DPR_LAB_PREFIX=pm2-" >&2; exit 2; }
    fi
    TMP=$(mktemp -d /tmp/dprouter-pmtud-XXXXXX)
    echo "router: $BIN; namespaces ${DPR_NS_H1}, ${DPR_NS_R}, ${DPR_NS_H2}; DPDK file prefix $DPR_FILE_PREFIX; files in $TMP"
    if [[ $what == all ]]; then
        local s failed=()
        for s in "${SCENARIOS[@]}"; do run_scenario "$s" || failed+=("$s"); done
        echo
        if ((${#failed[@]})); then echo "FAILED: ${failed[*]}"; exit 1; fi
        echo "all scenarios passed: ${SCENARIOS[*]}"
        exit 0
    fi
    run_scenario "$what"
}

main "$@"; exit $?
