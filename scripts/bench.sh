#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions called through traps and "${prog}_cmd"
# Forwarding benchmarks: dprouter against DPDK's l3fwd (LPM) and against itself, in one harness.
#
#   scripts/bench.sh [--scenario NAME] [DPROUTER_BINARY]     default: forward, build/dprouter
#   scripts/bench.sh --list                                  the scenarios and their cases
#
# Scenarios (each a set of cases, run in alternation: case A, case B, ..., A, B, ...):
#   forward    (default) 64-byte frames, l3fwd-LPM against dprouter (BENCH_PROGRAMS)
#   forward6   the same with IPv6/UDP frames of 66 bytes (the smallest that hold IPv6 and UDP: 14 +
#              40 + 8 + FCS) to 1024 flows towards 2001:200:0:1::/64, which l3fwd's built-in IPv6
#              LPM table routes out of port 1 and dprouter via 2001:200:0:9::2 (a static IPv6
#              neighbour); target: dprouter's median >= l3fwd's
#   ttl-flood  dprouter with 0 %, 50 % and 100 % of the packets arriving with TTL 1, and 50 % with
#              the ICMP rate limits lifted: forwarding rate of the live half, ICMP errors sent and
#              suppressed per second (dprouter's /dprouter/stats), cycles per expired packet
#   frag       1400-byte frames: testpmd (the harness alone), l3fwd and dprouter forwarding them
#              whole (MTU 1500); dprouter fragmenting them in two for an egress MTU of 1300 (DF
#              clear); dprouter refusing them with frag needed (DF set, nothing leaves port 1)
#   idle       64-byte frames, dprouter with dpdk.idle: poll against dpdk.idle: sleep (idle_max_us
#              BENCH_IDLE_MAX_US, default 100): what the sleeping loop costs when it never gets to
#              sleep (the worker is never idle under this load); testpmd for the harness's cost
#   bigtable   dprouter with BENCH_ROUTES (1,000,000) random routes loaded through routes_file,
#              against 10 routes, on the same 64-byte traffic to BENCH_DESTINATIONS (65,536)
#              random destinations inside those routes (scripts/bench/gen_bigtable.py,
#              BENCH_SEED); testpmd on the same pcap for the harness's cost
#   churn      64-byte frames, dprouter with its table still (static) against dprouter while one
#              client (scripts/bench/churn.py, pinned to CPU 0 with the control thread) changes
#              routes through the control socket at BENCH_CHURN_RATE (10,000) changes a second:
#              JSON-lines route add/del of /24s and /25s outside the traffic, each applied to the
#              live FIB and published by the control thread while the worker forwards; prints the
#              ratio churn/static (target >= 0.9) and the change rate achieved
#   capture    64-byte frames, dprouter forwarding alone against dprouter while `dprouterctl capture
#              out -w /dev/null` copies every forwarded frame (docs/control-plane.md "Capture"):
#              the forwarding rate under a capture, and the copies captured and dropped
#              (events.captured, events.capture_dropped in the run's router stats)
#
# Setup, identical for every program: one forwarding thread on lcore/CPU 1 (dprouter: -l 0,1 with
# its control thread on lcore 0; l3fwd: see BENCH_L3FWD_LCORES), --no-pci, 2 MiB hugepages (as
# every deployment runs; the script reserves them and gives them back, see BENCH_HUGEPAGES) with a
# --file-prefix per run and --huge-unlink; BENCH_NOHUGE=1 is the labelled --no-huge -m 1024 variant.
# Port 0 is a net_pcap vdev replaying, from memory and as fast as the worker polls
# (infinite_rx=1), a pcap of IPv4/UDP frames to 1024 flows towards 198.18.1.0/24; what is sent
# back out of port 0 (dprouter's ICMP errors) is counted and freed by net_pcap. Port 1 is net_null
# (no-rx=1), which frees whatever is sent to it. Every program routes 198.18.1.0/24 out of port 1.
# In ttl-flood and frag the sources are in 198.18.64.0/18, which dprouter routes back out of port 0
# via 198.18.0.2 (a static neighbour), so that its ICMP errors can leave. Rates come from the ports'
# own counters (DPDK telemetry, /ethdev/stats) and dprouter's (/dprouter/stats) over a 10 s window
# that starts 3 s after traffic starts; medians over the runs are printed at the end. Before that,
# each case forwards the pcap once into files that are checked byte by byte (scripts/bench/verify.py:
# forwarded packets, fragments, ICMP errors and their number against the rate limits).
# docs/benchmarking.md explains the method, the scenarios and the caveats.
#
# Environment:
#   BENCH_RUNS=7          runs per case
#   BENCH_WARMUP=3        seconds between the first received packet and the start of the window
#   BENCH_DURATION=10     length of the measured window in seconds
#   BENCH_CASES=          which cases of the scenario to run, in this order within each round
#                         (default: all of them; see --list)
#   BENCH_PROGRAMS="testpmd l3fwd dprouter"   forward scenario: which programs, in this order;
#                         testpmd (dpdk-testpmd --forward-mode=io) is the harness's own cost, the
#                         floor the "cycles above testpmd" of the others are counted from
#   BENCH_NOHUGE=0        1: EAL --no-huge -m 1024 (4 KiB pages) instead of hugepages; the results
#                         say so. Slower for every program: a labelled variant, not the figure
#   BENCH_ROUTES=1000000, BENCH_DESTINATIONS=65536, BENCH_SEED=1   the bigtable scenario's table,
#                         traffic and random seed
#   BENCH_START_TIMEOUT=30   seconds a program may take before traffic flows (bigtable: 900, as
#                         dprouter builds its table of a million routes first)
#   BENCH_HUGEPAGES=1024  2 MiB hugepages the script makes sure are free (it raises
#                         /proc/sys/vm/nr_hugepages by what is missing, mounts hugetlbfs on
#                         /dev/hugepages if nothing is mounted, and undoes both when it ends)
#   BENCH_OUT=bench-out   results go to $BENCH_OUT/<date-time>/ (logs, pcaps, configs, results)
#   BENCH_SIZE            frame size including FCS (forward: 64; frag: 1400)
#   BENCH_FLOWS=1024      number of flows (one source address each)
#   BENCH_GEN_ARGS=""     extra arguments for scripts/bench/gen_pcap.py, for every case (e.g. "--df")
#   BENCH_OUT_MTU=        IP MTU of dprouter's egress interface: forward: default dprouter's, 1500
#                         (with bigger frames dprouter fragments; l3fwd never does); frag: the
#                         fragmenting cases' MTU, default 1300
#   BENCH_VERIFY=1        first run each case once over the pcap (no infinite_rx), with port 1 and
#                         port 0 writing pcaps, and check what came out (scripts/bench/verify.py)
#   BENCH_QUIET_WAIT=0    seconds to wait, before the measured series, until no compiler, test,
#                         capture or other DPDK program runs on the machine (ps); then the
#                         series starts anyway and the results say so
#   BENCH_PERF=0          after the runs, profile each case's worker for this many seconds with
#                         perf (cpu-clock samples): <case>-perf.txt, by shared object and symbol
#   BENCH_DPROUTER_B=     forward, forward6: a second dprouter binary, run as case dprouter-b in
#                         every round after the others (compare two builds inside one run)
#   BENCH_EAL_EXTRA=      more EAL arguments for every program (testpmd, l3fwd, dprouter), e.g.
#                         "--force-max-simd-bitwidth=512" (lets rte_fib use its AVX-512 lookup)
#   BENCH_CHURN_RATE=10000, BENCH_CHURN_WINDOW=5000   churn scenario: route changes a second the
#                         client asks for, and routes it keeps at once (a sliding window)
#   BENCH_IDLE=poll       dprouter's dpdk.idle in every case of every scenario (the idle scenario
#                         sets its own per case); sleep writes `idle: sleep` and
#                         `idle_max_us: BENCH_IDLE_MAX_US` (default 100) into the configuration
#   BENCH_L3FWD_LCORES=1  l3fwd's EAL -l: "1" (forwarding on its main lcore, CPU 0 left idle as
#                         with dprouter) or "0,1" (main lcore 0 idles by busy-waiting)
#   BENCH_L3FWD_LINK=shared   l3fwd linked with DPDK's shared libraries (pkg-config --libs, what
#                         the example's Makefile builds by default) or "static" (its archives, as
#                         dprouter links them by default: scripts/dpdk-static-link-args.sh)
#
# Exit status: 0 when every run produced a measurement and the output check passed, whatever the
# figures; 1 when a run failed (program did not start, no telemetry, no traffic, wrong output),
# 2 on usage errors.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
bench=$here/bench
py=/usr/bin/python3   # Debian's python, which has scapy (not whatever python3 is first on PATH)

usage() { sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

scenario=forward
list=
pos=()
while [[ $# -gt 0 ]]; do
    case $1 in
        -h|--help) usage; exit 0 ;;
        --list) list=1 ;;
        --scenario) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; scenario=$2; shift ;;
        --scenario=*) scenario=${1#--scenario=} ;;
        -*) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
        *) pos+=("$1") ;;
    esac
    shift
done
[[ ${#pos[@]} -le 1 ]] || { usage >&2; exit 2; }

dprouter=${pos[0]:-$root/build/dprouter}
runs=${BENCH_RUNS:-7}
warmup=${BENCH_WARMUP:-3}
duration=${BENCH_DURATION:-10}
programs=${BENCH_PROGRAMS:-testpmd l3fwd dprouter}
nohuge=${BENCH_NOHUGE:-0}
big_routes=${BENCH_ROUTES:-1000000}
big_destinations=${BENCH_DESTINATIONS:-65536}
big_seed=${BENCH_SEED:-1}
start_timeout=${BENCH_START_TIMEOUT:-30}
hugepages_wanted=${BENCH_HUGEPAGES:-1024}
flows=${BENCH_FLOWS:-1024}
read -r -a gen_extra <<< "${BENCH_GEN_ARGS:-}"
quiet_wait=${BENCH_QUIET_WAIT:-0}

# ---- scenarios: each case is a program, a pcap and, for dprouter, a configuration ----
# Per case: program, frame size, gen_pcap.py arguments, egress MTU (empty: dprouter's default),
# icmp section of the dprouter configuration (empty: defaults), one line of description.
declare -A c_prog c_size c_gen c_mtu c_icmp c_desc c_idle c_capture c_bin
idle_default=${BENCH_IDLE:-poll}
idle_max_us=${BENCH_IDLE_MAX_US:-100}
case $idle_default in poll|sleep) ;; *) echo "BENCH_IDLE must be poll or sleep" >&2; exit 2 ;; esac
[[ $idle_max_us =~ ^[0-9]+$ ]] || { echo "BENCH_IDLE_MAX_US must be a number of microseconds" >&2; exit 2; }
add_case() {  # label program size "gen args" mtu "icmp yaml" description
    all_cases+=("$1")
    c_prog[$1]=$2 c_size[$1]=$3 c_gen[$1]=$4 c_mtu[$1]=$5 c_icmp[$1]=$6 c_desc[$1]=$7 c_idle[$1]=$idle_default
    c_capture[$1]=
}
# Sources behind a router on port 0's side, so that dprouter's errors have somewhere to go.
routed_src="--src-net 198.18.64.0/18"
# The highest limits the configuration accepts (1,000,000 a second, config_limits::max_icmp_rate):
# at these rates they still bind, but the worker builds and sends a million errors a second.
icmp_nolimit='    global: {rate: 1000000, burst: 1000000}
    per_destination: {rate: 1000000, burst: 1000000}'
define_scenario() {  # name -> all_cases, default_cases, c_*, size, return_route
    all_cases=()
    return_route=
    ipv6=
    bigtable=
    churn_scn=
    default_cases=
    case $1 in
    forward|forward6)
        size=${BENCH_SIZE:-64}
        local p gen=
        if [[ $1 == forward6 ]]; then
            # l3fwd needs nothing else for IPv6: in LPM mode it looks every IPv6 packet up in its
            # own rte_lpm6 table (2001:200:0:N::/64 -> port N); --parse-ptype marks them IPv6.
            size=${BENCH_SIZE:-66}
            ipv6=1
            gen=--ipv6
        fi
        for p in $programs; do
            case $p in l3fwd|dprouter|testpmd) ;; *) echo "unknown program '$p' in BENCH_PROGRAMS" >&2; exit 2 ;; esac
            add_case "$p" "$p" "$size" "$gen" "${BENCH_OUT_MTU:-}" "" "$p${ipv6:+, IPv6} (BENCH_PROGRAMS)"
        done
        if [[ -n ${BENCH_DPROUTER_B:-} ]]; then
            # A second dprouter build, in the same rounds: two builds compared under the same noise.
            add_case dprouter-b dprouter "$size" "$gen" "${BENCH_OUT_MTU:-}" "" "dprouter built at $BENCH_DPROUTER_B"
            c_bin[dprouter-b]=$BENCH_DPROUTER_B
        fi
        default_cases="${all_cases[*]}"
        ;;
    ttl-flood)
        size=${BENCH_SIZE:-64}
        return_route=1
        add_case ttl-0 dprouter "$size" "$routed_src" "" "" "no packet expires (the baseline)"
        add_case ttl-50 dprouter "$size" "$routed_src --ttl-expired-share 0.5" "" "" \
            "every other packet arrives with TTL 1 (half of the sources offend)"
        add_case ttl-100 dprouter "$size" "$routed_src --ttl-expired-share 1" "" "" \
            "every packet arrives with TTL 1"
        add_case ttl-50-nolimit dprouter "$size" "$routed_src --ttl-expired-share 0.5" "" "$icmp_nolimit" \
            "as ttl-50, with the global and per-destination ICMP limits lifted"
        add_case testpmd testpmd "$size" "$routed_src" "" "" "testpmd io, the harness alone (only when named in BENCH_CASES)"
        default_cases="ttl-0 ttl-50 ttl-100 ttl-50-nolimit"
        ;;
    frag)
        size=${BENCH_SIZE:-1400}
        local fmtu=${BENCH_OUT_MTU:-1300}
        return_route=1
        add_case testpmd testpmd "$size" "$routed_src" "" "" "testpmd io: the harness alone, the floor under the others"
        add_case l3fwd l3fwd "$size" "$routed_src" "" "" "l3fwd-LPM, forwards every frame whole"
        add_case dpr-fwd dprouter "$size" "$routed_src" "" "" "dprouter, egress MTU 1500: forwarded whole"
        add_case dpr-frag dprouter "$size" "$routed_src" "$fmtu" "" \
            "dprouter, egress MTU $fmtu, DF clear: fragmented"
        add_case dpr-df dprouter "$size" "$routed_src --df" "$fmtu" "" \
            "dprouter, egress MTU $fmtu, DF set: frag needed, nothing forwarded"
        default_cases="testpmd l3fwd dpr-fwd dpr-frag dpr-df"
        ;;
    idle)
        size=${BENCH_SIZE:-64}
        add_case testpmd testpmd "$size" "" "" "" "testpmd io: the harness alone"
        add_case dpr-poll dprouter "$size" "" "" "" "dprouter, dpdk.idle: poll (the default)"
        c_idle[dpr-poll]="poll"
        add_case dpr-sleep dprouter "$size" "" "" "" "dprouter, dpdk.idle: sleep, idle_max_us $idle_max_us"
        c_idle[dpr-sleep]="sleep"
        default_cases="testpmd dpr-poll dpr-sleep"
        ;;
    bigtable)
        size=${BENCH_SIZE:-64}
        bigtable=1
        # Building a table of a million routes takes dprouter minutes before traffic flows.
        start_timeout=${BENCH_START_TIMEOUT:-900}
        add_case routes-10 dprouter "$size" "" "" "" \
            "10 routes (9 of the random ones and a default route via 198.18.9.2): the baseline"
        add_case routes-big dprouter "$size" "" "" "" \
            "$big_routes random routes from routes_file, every destination inside one of them"
        add_case testpmd testpmd "$size" "" "" "" "testpmd io on the same pcap: the harness alone"
        default_cases="testpmd routes-10 routes-big"
        ;;
    churn)
        size=${BENCH_SIZE:-64}
        churn_scn=1
        add_case static dprouter "$size" "" "" "" "dprouter, control socket open, no route changes: the baseline"
        add_case churn dprouter "$size" "" "" "" \
            "dprouter while a client changes ${BENCH_CHURN_RATE:-10000} routes a second through the control socket"
        default_cases="static churn"
        ;;
    capture)
        size=${BENCH_SIZE:-64}
        add_case testpmd testpmd "$size" "" "" "" "testpmd io: the harness alone (only when named in BENCH_CASES)"
        add_case dpr-fwd dprouter "$size" "" "" "" "dprouter forwarding, no capture"
        add_case dpr-capture dprouter "$size" "" "" "" \
            "dprouter forwarding while dprouterctl captures interface out (both directions) to /dev/null"
        c_capture[dpr-capture]=out
        default_cases="dpr-fwd dpr-capture"
        ;;
    *) echo "unknown scenario '$1' (forward, forward6, ttl-flood, frag, idle, bigtable, churn, capture)" >&2; exit 2 ;;
    esac
}
if [[ -n $list ]]; then
    for s in forward forward6 ttl-flood frag idle bigtable churn capture; do
        define_scenario "$s"
        echo "$s (default cases: $default_cases)"
        for c in "${all_cases[@]}"; do printf '  %-15s %s\n' "$c" "${c_desc[$c]}"; done
    done
    exit 0
fi
define_scenario "$scenario"
read -r -a cases <<< "${BENCH_CASES:-$default_cases}"
for c in "${cases[@]}"; do
    [[ -n ${c_prog[$c]:-} ]] || { echo "unknown case '$c' in scenario $scenario (see --list)" >&2; exit 2; }
done
[[ ${#cases[@]} -gt 0 ]] || { echo "no cases to run" >&2; exit 2; }
used_programs=" "
for c in "${cases[@]}"; do used_programs+="${c_prog[$c]} "; done

stamp=$(date +%Y%m%d-%H%M%S)
out=${BENCH_OUT:-$root/bench-out}/$stamp
[[ $out == /* ]] || out=$PWD/$out

lcores=0,1          # dprouter: control thread on lcore 0, its one worker on lcore 1
worker_cpu=1
if [[ $nohuge == 1 ]]; then
    eal_common=(-l "$lcores" --no-pci --no-huge -m 1024)   # --in-memory cannot go with --no-huge
    memory_note="--no-huge -m 1024 (4 KiB pages; BENCH_NOHUGE=1 variant)"
else
    # The hugepage files are unlinked as soon as they are mapped: nothing is left in /dev/hugepages.
    eal_common=(-l "$lcores" --no-pci --huge-unlink)
    memory_note="2 MiB hugepages (--huge-unlink)"
fi
read -r -a eal_extra <<< "${BENCH_EAL_EXTRA:-}"
eal_common+=("${eal_extra[@]}")
[[ ${#eal_extra[@]} -eq 0 ]] || memory_note+=", EAL ${eal_extra[*]}"
l3fwd_lcores=${BENCH_L3FWD_LCORES:-1}
case $l3fwd_lcores in 1|0,1) ;; *) echo "BENCH_L3FWD_LCORES must be 1 or 0,1" >&2; exit 2 ;; esac
l3fwd_link=${BENCH_L3FWD_LINK:-shared}
case $l3fwd_link in shared|static) ;; *) echo "BENCH_L3FWD_LINK must be shared or static" >&2; exit 2 ;; esac
memory_note+="; l3fwd linked with DPDK's $l3fwd_link libraries"
[[ $l3fwd_link == shared ]] || memory_note+=" (BENCH_L3FWD_LINK=static variant)"
if [[ $(id -u) == 0 ]]; then
    rundir=/var/run/dpdk
else
    rundir=${XDG_RUNTIME_DIR:-/tmp}/dpdk
fi

log() { printf '[bench] %s\n' "$*" >&2; }

# ---- clean-up: whatever is running when we leave is stopped, its runtime directory removed ----
child=
child_prefix=
stop_child() {
    local pid=$child
    [[ -n $pid ]] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "pid $pid did not stop on SIGTERM within 5 s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || true
    child=
    if [[ -n $child_prefix ]]; then
        rm -rf "${rundir:?}/$child_prefix"
        child_prefix=
    fi
}
helper=   # measure.py / verify.py running in the background
helper_churn=   # churn.py running in the background
on_exit() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n $helper ]]; then
        kill -TERM "$helper" 2>/dev/null || true
        wait "$helper" 2>/dev/null || true
    fi
    if [[ -n $helper_churn ]]; then
        kill -TERM "$helper_churn" 2>/dev/null || true
        wait "$helper_churn" 2>/dev/null || true
    fi
    stop_capture_client
    stop_child
    rm -f "${out:?}/.measure"
    release_hugepages
    exit "$rc"
}

# ---- hugepages: reserve what is missing, give back exactly that at the end ----
huge_nr=/proc/sys/vm/nr_hugepages
huge_added=0      # pages this script added to nr_hugepages
huge_mounted=     # the mount point this script mounted
meminfo() { awk -v k="$1:" '$1 == k {print $2}' /proc/meminfo; }
reserve_hugepages() {
    [[ $nohuge != 1 ]] || return 0
    if [[ $(meminfo Hugepagesize) != 2048 ]]; then
        log "default hugepage size is not 2 MiB ($(meminfo Hugepagesize) kB); using it anyway"
    fi
    local free total want
    free=$(meminfo HugePages_Free)
    if [[ $free -lt $hugepages_wanted ]]; then
        [[ -w $huge_nr ]] || { log "need $hugepages_wanted free hugepages, have $free, and cannot write $huge_nr (root?); BENCH_NOHUGE=1 runs without"; exit 1; }
        total=$(cat "$huge_nr")
        want=$((total + hugepages_wanted - free))
        echo "$want" > "$huge_nr"
        huge_added=$(( $(cat "$huge_nr") - total ))
        free=$(meminfo HugePages_Free)
        log "hugepages: nr_hugepages $total -> $((total + huge_added)) (added $huge_added; $free free)"
        [[ $free -ge $hugepages_wanted ]] || { log "the kernel gave only $free free hugepages (memory fragmented?)"; exit 1; }
    fi
    if ! awk '$3 == "hugetlbfs" {found = 1} END {exit !found}' /proc/mounts; then
        mkdir -p /dev/hugepages
        mount -t hugetlbfs nodev /dev/hugepages
        huge_mounted=/dev/hugepages
        log "hugepages: mounted hugetlbfs on /dev/hugepages"
    fi
}
release_hugepages() {
    if [[ -n $huge_mounted ]]; then
        umount "$huge_mounted" 2>/dev/null || log "could not unmount $huge_mounted"
        huge_mounted=
    fi
    if [[ $huge_added -gt 0 ]]; then
        local total
        total=$(cat "$huge_nr")
        echo $((total > huge_added ? total - huge_added : 0)) > "$huge_nr" || true
        huge_added=0
    fi
}
trap on_exit EXIT
trap 'log interrupted; exit 130' INT
trap 'log terminated; exit 143' TERM

mkdir -p "$out"
log "output: $out"
reserve_hugepages
log "scenario $scenario: ${cases[*]}"

# ---- tools: l3fwd, TSC calibrator, pcaps ----
l3fwd=
if [[ $used_programs == *" l3fwd "* ]]; then
    l3fwd_dir=$root/build-bench/l3fwd
    [[ $l3fwd_link == shared ]] || l3fwd_dir+=-$l3fwd_link
    log "building l3fwd (${l3fwd_dir#"$root/"}, DPDK $l3fwd_link) if needed"
    l3fwd=$("$bench/build_l3fwd.sh" "$l3fwd_dir" "$l3fwd_link")
fi
mkdir -p "$root/build-bench"
testpmd=${TESTPMD:-dpdk-testpmd}
if [[ $used_programs == *" testpmd "* ]] && ! command -v "$testpmd" > /dev/null; then
    log "dpdk-testpmd not found (Debian package dpdk)"
    exit 1
fi
tsc_bin=$root/build-bench/tsc_hz
if [[ ! -x $tsc_bin || $bench/tsc_hz.c -nt $tsc_bin ]]; then
    "${CC:-cc}" -O2 -o "$tsc_bin" "$bench/tsc_hz.c"
fi
tsc_hz=$("$tsc_bin")

# One pcap per distinct traffic; the forward scenario's is flows.pcap, as it always was. The
# bigtable scenario has one pcap and one route list for all its cases (gen_bigtable.py).
declare -A c_pcap pcap_of
if [[ -n $bigtable ]]; then
    log "generating $big_routes routes and $big_destinations destinations (seed $big_seed)"
    "$py" "$bench/gen_bigtable.py" --routes-out "$out/bigtable-routes.txt" --pcap-out "$out/bigtable.pcap" \
        --routes "$big_routes" --destinations "$big_destinations" --seed "$big_seed" --size "$size"
    for c in "${cases[@]}"; do c_pcap[$c]=$out/bigtable.pcap; done
fi
for c in "${cases[@]}"; do
    [[ -z ${c_pcap[$c]:-} ]] || continue
    key="${c_size[$c]} ${c_gen[$c]}"
    if [[ -z ${pcap_of[$key]:-} ]]; then
        case $scenario in
            forward) f=$out/flows.pcap ;;
            forward6) f=$out/flows6.pcap ;;
            *) f=$out/$c.pcap ;;
        esac
        # shellcheck disable=SC2086  # c_gen holds several arguments
        "$py" "$bench/gen_pcap.py" -o "$f" --size "${c_size[$c]}" --flows "$flows" ${c_gen[$c]} "${gen_extra[@]}"
        pcap_of[$key]=$f
    fi
    c_pcap[$c]=${pcap_of[$key]}
done

# ---- the programs ----
bench_devs() {  # case -> dev0 dev1: the benchmark devices
    dev0="net_pcap0,rx_pcap=${c_pcap[$1]},infinite_rx=1"
    dev1="net_null0,no-rx=1"
}
verify_devs() {  # case -> dev0 dev1: a single replay, both ports written to pcaps
    dev0="net_pcap0,rx_pcap=${c_pcap[$1]}"
    [[ ${c_prog[$1]} != dprouter ]] || dev0+=",tx_pcap=$out/verify-$1-port0.pcap"
    dev1="net_pcap1,tx_pcap=$out/verify-$1-out.pcap"
}

churn_socket() { echo "/tmp/dprbench-$$-$1.sock"; }  # case -> the churn scenario's control socket
churn_rate=${BENCH_CHURN_RATE:-10000}
churn_window=${BENCH_CHURN_WINDOW:-5000}
[[ $churn_rate =~ ^[0-9]+$ && $churn_window =~ ^[0-9]+$ ]] || { echo "BENCH_CHURN_RATE and BENCH_CHURN_WINDOW must be numbers" >&2; exit 2; }
write_cfg() {  # file case port0-devargs port1-devargs
    local mtu=${c_mtu[$2]} icmp=${c_icmp[$2]} in6='' out6='' route6='' nb6=''
    if [[ -n $ipv6 ]]; then  # forward6: the IPv6 addresses, route and static neighbour
        in6=', "2001:200::1/64"'
        out6=', "2001:200:0:9::1/64"'
        route6=$'\n  - prefix: "2001:200:0:1::/64"\n    via: "2001:200:0:9::2"'
        nb6=$'\n  - address: "2001:200:0:9::2"\n    mac: "02:00:00:00:00:02"\n    interface: out'
    fi
    cat > "$1" <<EOF
# Generated by scripts/bench.sh ($scenario, case $2). Port 0 ("in") replays the pcap; port 1 ("out")
# is where 198.18.1.0/24 (forward6: 2001:200:0:1::/64) is routed.
dpdk:
  eal_args: [$(printf '"%s", ' "${eal_common[@]}" | sed 's/, $//')]
  workers: 1
interfaces:
  - name: in
    device: "$3"
    addresses: ["198.18.0.1/24"$in6]
    mac: "02:00:00:00:00:01"
  - name: out
    device: "$4"
    addresses: ["198.18.9.1/24"$out6]${mtu:+
    mtu: $mtu}
routes:
  - prefix: 198.18.1.0/24
    via: 198.18.9.2$route6${return_route:+
  # The traffic's sources, behind a router on port 0's link: where ICMP errors go.
  - prefix: 198.18.64.0/18
    via: 198.18.0.2}
neighbors:
  - address: 198.18.9.2
    mac: "02:00:00:00:00:02"
    interface: out$nb6${return_route:+
  - address: 198.18.0.2
    mac: "02:00:00:00:00:10"
    interface: in}
# No dprouterctl socket (runs in parallel must not contend for /run/dprouter.sock), unless the
# case changes routes (churn) or captures: then one of its own.
control_plane:
  socket: "${churn_scn:+$(churn_socket "$2")}${c_capture[$2]:+$out/$2.sock}"
EOF
    if [[ -n $icmp ]]; then
        printf 'icmp:\n  rate_limit:\n%s\n' "$icmp" >> "$1"
    fi
    if [[ ${c_idle[$2]} == sleep ]]; then
        printf '  idle: sleep\n  idle_max_us: %s\n' "$idle_max_us" > "$1.idle"
        sed -i "/^  workers: 1\$/r $1.idle" "$1"
        rm -f "$1.idle"
    fi
    if [[ -n $bigtable ]]; then
        # net_pcap's infinite_rx keeps every frame of the capture in an mbuf of dprouter's pool.
        printf '  mbufs: %d\n' $((big_destinations + 32768)) > "$1.mbufs"
        sed -i "/^  workers: 1\$/r $1.mbufs" "$1"
        rm -f "$1.mbufs"
        if [[ $2 == routes-big ]]; then
            echo "routes_file: bigtable-routes.txt   # relative to this file" >> "$1"
        else
            # The first 9 of the random routes, and a default route that catches the traffic.
            awk '/^#/ {next} {printf "  - prefix: %s\n    via: %s\n", $1, $3; if (++n == 9) exit}' \
                "$out/bigtable-routes.txt" > "$1.routes"
            printf '  - prefix: 0.0.0.0/0\n    via: 198.18.9.2\n' >> "$1.routes"
            sed -i "/^routes:\$/r $1.routes" "$1"
            rm -f "$1.routes"
        fi
    fi
}

# The ICMP limits a case's configuration gives dprouter, "RATE,BURST" each (verify.py, report.py).
limits_of() {  # case -> lim_global lim_dest lim_frag
    lim_global=1000,50 lim_dest=10,10 lim_frag=1000,100
    if [[ -n ${c_icmp[$1]} ]]; then
        local l
        l=$(sed -n 's/.*global: {rate: \([0-9.]*\), burst: \([0-9.]*\)}.*/\1,\2/p' <<< "${c_icmp[$1]}")
        [[ -z $l ]] || lim_global=$l
        l=$(sed -n 's/.*per_destination: {rate: \([0-9.]*\), burst: \([0-9.]*\)}.*/\1,\2/p' <<< "${c_icmp[$1]}")
        [[ -z $l ]] || lim_dest=$l
        l=$(sed -n 's/.*frag_needed: {rate: \([0-9.]*\), burst: \([0-9.]*\)}.*/\1,\2/p' <<< "${c_icmp[$1]}")
        [[ -z $l ]] || lim_frag=$l
    fi
}

# l3fwd: by default "-l 1", so lcore 1 is both l3fwd's main lcore and its only forwarding lcore.
# With "-l 0,1" (BENCH_L3FWD_LCORES=0,1) its main lcore 0 has no queue and busy-waits on CPU 0
# for the whole run (rte_eal_mp_wait_lcore spins), whereas dprouter's control thread on lcore 0
# sleeps; on a 2-CPU machine shared with other work that spinning skews the comparison, so the
# default keeps CPU 0 equally quiet for both programs. The forwarding loop runs on CPU 1 either
# way, and EAL's own control threads (telemetry, interrupts) land on CPU 0 in both.
# l3fwd also opens one Tx queue per lcore on every port, and a net_pcap port has as many queues
# as rx_pcap arguments; with two lcores the file is named twice, giving port 0 a second queue pair
# that is never set up or polled (the file is loaded once, by queue 0).
# The same goes for a pcap-writing port 1 in the verification pass: lcore 1 transmits on queue 1,
# so the file goes second and queue 0 (lcore 0's, never used) writes to /dev/null.
l3fwd_cmd() {  # case prefix port0-devargs port1-devargs -> cmd
    local dev0=$3 dev1=$4
    if [[ $l3fwd_lcores == 0,1 ]]; then
        dev0=${dev0/rx_pcap=/rx_pcap=${c_pcap[$1]},rx_pcap=}
        dev1=${dev1/tx_pcap=/tx_pcap=\/dev\/null,tx_pcap=}
    fi
    # shellcheck disable=SC2054  # the commas are inside arguments
    cmd=("$l3fwd" -l "$l3fwd_lcores" "${eal_common[@]:2}" --file-prefix "$2" \
        --vdev "$dev0" --vdev "$dev1" \
        -- -p 0x3 --lookup=lpm --parse-ptype --config "(0,0,$worker_cpu)" \
        --eth-dest=1,02:00:00:00:00:02)
}
# testpmd in io mode moves packets from port 0 to port 1 untouched: what the harness itself costs
# (net_pcap replay, mbuf handling, net_null Tx), the floor under both forwarders. Not verified
# (it rewrites nothing) and not part of the ratio.
testpmd_cmd() {  # case prefix port0-devargs port1-devargs -> cmd
    cmd=("$testpmd" "${eal_common[@]}" --file-prefix "$2" --vdev "$3" --vdev "$4" \
        -- --forward-mode=io --port-topology=chained --nb-cores=1 --rxq=1 --txq=1 \
        --auto-start --stats-period 3600)
}
dprouter_cmd() {  # case prefix port0-devargs port1-devargs -> cmd
    local c=$out/$1.yaml
    [[ $3 == "net_pcap0,rx_pcap=${c_pcap[$1]},infinite_rx=1" ]] || c=$out/$1-verify.yaml
    cmd=("${c_bin[$1]:-$dprouter}" --config "$c" -- --file-prefix "$2")
}

if [[ $used_programs == *" dprouter "* && ! -x $dprouter ]]; then
    log "dprouter binary '$dprouter' not found or not executable (build it: meson setup build && ninja -C build)"
    exit 1
fi
for c in "${cases[@]}"; do
    [[ ${c_prog[$c]} == dprouter ]] || continue
    bench_devs "$c"
    write_cfg "$out/$c.yaml" "$c" "$dev0" "$dev1"
    if ! "$dprouter" --config "$out/$c.yaml" --check > "$out/$c-check.log" 2>&1; then
        log "dprouter rejects the benchmark configuration ($out/$c.yaml):"
        cat "$out/$c-check.log" >&2
        exit 1
    fi
done

shquote() {  # args -> one line a shell would read back as the same words
    local a sep=
    for a in "$@"; do
        if [[ $a =~ ^[A-Za-z0-9_@%+=:,./-]+$ ]]; then printf '%s%s' "$sep" "$a"
        else printf "%s'%s'" "$sep" "${a//\'/\'\\\'\'}"; fi
        sep=' '
    done
    printf '\n'
}

start_child() {  # prefix logfile cmd...
    local prefix=$1 logf=$2
    shift 2
    rm -rf "${rundir:?}/$prefix"
    child_prefix=$prefix
    "$@" > "$logf" 2>&1 &
    child=$!
}

failed=0

# ---- verification: one pass over the pcap, both ports written to pcaps and checked ----
verify_one() {  # case
    local c=$1 prog=${c_prog[$1]} prefix="dprbench-$$-$1-verify"
    local opcap=$out/verify-$1-out.pcap icmp_pcap=$out/verify-$1-port0.pcap dev0 dev1 npkts
    local -a cmd extra=()
    rm -f "$opcap" "$icmp_pcap"
    verify_devs "$c"
    [[ $prog != dprouter ]] || write_cfg "$out/$c-verify.yaml" "$c" "$dev0" "$dev1"
    "${prog}_cmd" "$c" "$prefix" "$dev0" "$dev1"
    start_child "$prefix" "$out/verify-$c.log" "${cmd[@]}"
    npkts=$("$py" "$bench/verify.py" count "${c_pcap[$c]}")
    # 10 s (more when start-up is long: BENCH_START_TIMEOUT), plus a second per 5000 frames beyond
    # the first 10 000 (a busy machine, 64k frames).
    "$py" "$bench/verify.py" wait --prefix "$prefix" --runtime-dir "$rundir" --pid "$child" \
        --rx-count "$npkts" --timeout $((start_timeout - 20 + (npkts > 10000 ? (npkts - 10000) / 5000 : 0))) &
    helper=$!
    wait "$helper" || true
    helper=
    stop_child   # the pcap writers are flushed when the ports close
    if [[ $prog == dprouter ]]; then
        extra=(--mtu "${c_mtu[$c]:-1500}")
        # The errors can only leave when the sources are routed (ttl-flood, frag); in the forward
        # scenario they are on port 0's subnet, and dprouter would first have to resolve them.
        if [[ -n $return_route ]]; then
            limits_of "$c"
            extra+=(--icmp-output "$icmp_pcap"
                    --global-limit "$lim_global" --dest-limit "$lim_dest" --frag-limit "$lim_frag")
        fi
    fi
    local rc=0
    "$py" "$bench/verify.py" check --input "${c_pcap[$c]}" --output "$opcap" --program "$prog" \
        "${extra[@]}" 2> >(tee -a "$out/verify-$c.log" >&2) || rc=$?
    if [[ $rc != 0 ]]; then
        log "$c: $prog does not handle the benchmark traffic as expected (log: $out/verify-$c.log)"
        failed=1
        verify_failed="$verify_failed $c"
    fi
}
verify_failed=
if [[ ${BENCH_VERIFY:-1} == 1 ]]; then
    for c in "${cases[@]}"; do
        [[ ${c_prog[$c]} == testpmd ]] || verify_one "$c"
    done
fi

# ---- a quiet machine ----
# Other engineers' compilers, tests, captures and DPDK programs take CPU 1 from the worker.
busy_now() {  # -> names of such processes (not ours), one line, empty when quiet
    ps -e -o comm= | { grep -x -E 'ninja|make|cc1|cc1plus|ld|unit_tests|tcpdump|tshark|dprouter|l3fwd|dpdk-testpmd' || true; } \
        | sort | uniq -c | awk '{printf "%s%s×%s", sep, $2, $1; sep=" "}'
}
quiet_note="not checked (BENCH_QUIET_WAIT=0)"
if [[ $quiet_wait -gt 0 ]]; then
    waited=0
    busy=$(busy_now)
    while [[ -n $busy && $waited -lt $quiet_wait ]]; do
        [[ $((waited % 60)) != 0 ]] || log "machine busy ($busy); waiting for it to be quiet ($waited/$quiet_wait s)"
        sleep 5
        waited=$((waited + 5))
        busy=$(busy_now)
    done
    if [[ -n $busy ]]; then
        quiet_note="NOT quiet: still running after waiting ${quiet_wait} s: $busy"
        log "machine still busy after $quiet_wait s ($busy); measuring anyway"
    else
        quiet_note="quiet at the start (waited ${waited} s)"
    fi
fi

# ---- one measured run ----
results=$out/results.jsonl
: > "$results"

# The capture scenario: dprouterctl captures the case's interface while the run is measured. It
# starts as soon as the router's control socket answers, well within the warm-up.
capture_client=
start_capture_client() {  # case logfile
    local sock=$out/$1.sock ctl
    ctl=$(dirname "$dprouter")/dprouterctl
    (
        for _ in $(seq $((start_timeout * 10))); do [[ -S $sock ]] && break; sleep 0.1; done
        exec "$ctl" --socket "$sock" capture "${c_capture[$1]}" -w /dev/null
    ) > "$2" 2>&1 &
    capture_client=$!
}
stop_capture_client() {
    [[ -n ${capture_client:-} ]] || return 0
    kill -TERM "$capture_client" 2>/dev/null || true   # dprouterctl ends the capture cleanly
    wait "$capture_client" 2>/dev/null || true
    capture_client=
}

run_one() {  # case run-number
    local c=$1 n=$2 prog=${c_prog[$1]} prefix="dprbench-$$-$1-$2" logf=$out/$1-$2.log m busy
    local dev0 dev1
    local -a cmd extra=()
    bench_devs "$c"
    "${prog}_cmd" "$c" "$prefix" "$dev0" "$dev1"
    shquote "${cmd[@]}" > "$out/$c.cmd"
    [[ $prog != dprouter ]] || extra=(--router-stats)
    busy=$(busy_now)
    start_child "$prefix" "$logf" "${cmd[@]}"
    local churn_pid= churn_out=$out/$c-$n.churn
    if [[ $c == churn ]]; then
        # On CPU 0 with the router's control thread: the worker's CPU 1 stays the worker's.
        taskset -c 0 "$py" "$bench/churn.py" --socket "$(churn_socket "$c")" --rate "$churn_rate" \
            --window "$churn_window" --connect-timeout "$start_timeout" > "$churn_out" 2>&1 &
        churn_pid=$!
        helper_churn=$churn_pid
    fi
    [[ -z ${c_capture[$c]} ]] || start_capture_client "$c" "$out/$c-$n-capture.log"
    # In the background and waited for, so that a signal to this script acts at once.
    "$py" "$bench/measure.py" --prefix "$prefix" --runtime-dir "$rundir" --pid "$child" \
        --worker-cpu "$worker_cpu" --warmup "$warmup" --duration "$duration" --start-timeout "$start_timeout" "${extra[@]}" \
        > "$out/.measure" &
    helper=$!
    if wait "$helper"; then
        helper=
        m=$(cat "$out/.measure")
    else
        helper=
        m=$(cat "$out/.measure")
        failed=1
        [[ -n $m ]] || m='{"error": "measure.py failed"}'
        log "$c run $n failed: $m (log: $logf)"
        tail -5 "$logf" | sed 's/^/    /' >&2
    fi
    rm -f "$out/.measure"
    if [[ -n $churn_pid ]]; then
        kill -TERM "$churn_pid" 2>/dev/null || true
        wait "$churn_pid" 2>/dev/null || true
        helper_churn=
        # The client's figures go in with the measurement ("churn": sent, ok, refused, rate).
        m=$("$py" -c 'import json,sys
m = json.loads(sys.argv[1])
try:
    m["churn"] = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
except (OSError, ValueError, IndexError):
    m["churn"] = {"error": "no output from churn.py"}
print(json.dumps(m))' "$m" "$churn_out")
        log "$c run $n: churn client: $(tail -1 "$churn_out")"
    fi
    stop_capture_client
    stop_child
    # Case, program, run number, TSC rate, the case's traffic and limits, load average and other
    # busy processes go in with the measurement.
    limits_of "$c"
    "$py" - "$m" "$c" "$prog" "$n" "$tsc_hz" "${c_size[$c]}" "${c_gen[$c]} ${gen_extra[*]}" \
        "${c_mtu[$c]}" "$lim_global" "$lim_dest" "$lim_frag" "$busy" "$scenario" >> "$results" <<'PY'
import json, sys
(m, case, prog, n, tsc, size, gen, mtu, lg, ld, lf, busy, scenario) = sys.argv[1:]
d = json.loads(m)
g = gen.split()
share = float(g[g.index("--ttl-expired-share") + 1]) if "--ttl-expired-share" in g else 0.0
d.update(case=case, program=prog, run=int(n), tsc_hz=float(tsc), scenario=scenario,
         size=int(size), expired_share=share, df="--df" in g, mtu=int(mtu) if mtu else 1500,
         limits={"global": [float(x) for x in lg.split(",")],
                 "per_destination": [float(x) for x in ld.split(",")],
                 "frag_needed": [float(x) for x in lf.split(",")]},
         loadavg=open("/proc/loadavg").read().split()[0], busy=busy)
print(json.dumps(d))
PY
    if [[ $m != *'"error"'* ]]; then
        "$py" -c 'import json,sys; d=json.loads(sys.argv[1]); print("[bench] %-14s run %s: out %.3f Mpps, in %.3f Mpps, port 0 out %.0f/s, worker on CPU %.0f%%" % (sys.argv[2], sys.argv[3], d["tx_pps"]/1e6, d["rx_pps"]/1e6, d.get("rx_port_tx_pps", 0), 100*d.get("worker_cpu_share", 0)))' \
            "$m" "$c" "$n" >&2
    fi
}

log "TSC: $tsc_hz Hz; $runs runs each of: ${cases[*]}; window ${duration}s after ${warmup}s warm-up"
for n in $(seq "$runs"); do
    for c in "${cases[@]}"; do
        run_one "$c" "$n"
    done
done

# ---- optional: where the worker's time goes (after the measured runs, which it would disturb) ----
# perf samples the worker thread (the busiest one pinned to CPU 1) on its CPU clock for
# BENCH_PERF seconds, after the warm-up; the report goes by shared object and symbol. The PMDs
# (librte_net_pcap, librte_net_null) are stripped, so their share is per object only.
perf_one() {  # case seconds
    local c=$1 secs=$2 prog=${c_prog[$1]} prefix="dprbench-$$-$1-perf" dev0 dev1 tid
    local -a cmd
    bench_devs "$c"
    "${prog}_cmd" "$c" "$prefix" "$dev0" "$dev1"
    start_child "$prefix" "$out/$c-perf.log" "${cmd[@]}"
    if [[ $prog == dprouter ]]; then  # its tables may take long to build (bigtable)
        local waited=0
        until grep -q '^dprouter: forwarding:' "$out/$c-perf.log" || [[ $waited -ge $start_timeout ]]; do
            sleep 1
            waited=$((waited + 1))
        done
    fi
    sleep $((warmup + 2))
    tid=$(for t in /proc/"$child"/task/*; do
              if grep -q "^Cpus_allowed_list:[[:space:]]*$worker_cpu\$" "$t/status" 2>/dev/null; then
                  echo "$(cut -d' ' -f1 "$t/schedstat") ${t##*/}"
              fi
          done | sort -n | tail -1 | cut -d' ' -f2)
    if [[ -z $tid ]]; then
        log "$c: no worker thread on CPU $worker_cpu to profile"
        stop_child
        return
    fi
    perf record -q -e cpu-clock -F 2999 -t "$tid" -o "$out/$c-perf.data" -- sleep "$secs" > /dev/null 2>&1 || true
    stop_child
    {
        echo "# $c: worker thread $tid, $secs s of cpu-clock samples; by shared object, then by symbol"
        perf report -i "$out/$c-perf.data" --no-children --sort dso --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -8
        echo
        echo "# symbols (stripped objects' unnamed addresses left out):"
        perf report -i "$out/$c-perf.data" --no-children --sort dso,sym --stdio 2>/dev/null \
            | grep -v -e '^#' -e '^$' -e '\[\.\] 0x[0-9a-f]*$' | head -20
    } > "$out/$c-perf.txt"
    log "$c: profile in $out/$c-perf.txt"
}
if [[ ${BENCH_PERF:-0} != 0 ]]; then
    if command -v perf > /dev/null; then
        for c in "${cases[@]}"; do perf_one "$c" "$BENCH_PERF"; done
    else
        log "BENCH_PERF: perf not found (Debian package linux-perf); no profiles"
    fi
fi

{
    echo "dprouter benchmark, scenario $scenario, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "host: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, kernel $(uname -r), DPDK $(pkg-config --modversion libdpdk 2>/dev/null || echo '?')"
    echo "tree: git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- 2>/dev/null || echo ' (with uncommitted changes)'); dprouter binary $(date -r "$dprouter" +%Y-%m-%dT%H:%M 2>/dev/null || echo '?')"
    echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1) (family $(sed -n 's/^cpu family[[:space:]]*: //p' /proc/cpuinfo | head -1), model $(sed -n 's/^model[[:space:]]*: //p' /proc/cpuinfo | head -1)); TSC $tsc_hz Hz"
    echo "memory: $memory_note"
    [[ $idle_default == poll ]] || echo "dprouter: dpdk.idle: $idle_default, idle_max_us $idle_max_us (BENCH_IDLE)"
    echo "frames: $(if [[ -n $bigtable ]]; then echo "$big_destinations destinations, $big_routes routes (seed $big_seed)"; else echo "$flows flows"; fi); window ${duration}s after ${warmup}s warm-up; TSC $tsc_hz Hz; machine: $quiet_note"
    for c in "${cases[@]}"; do
        read -r gen <<< "${c_gen[$c]} ${gen_extra[*]}" || true   # trimmed
        echo "$c: ${c_desc[$c]}; ${c_size[$c]}-byte frames${c_mtu[$c]:+, egress MTU ${c_mtu[$c]}}${gen:+; gen_pcap.py $gen}"
        echo "    $(cat "$out/$c.cmd" 2>/dev/null)"
    done
    if [[ ${BENCH_VERIFY:-1} != 1 ]]; then
        echo "output check: skipped (BENCH_VERIFY=0)"
    elif [[ -n $verify_failed ]]; then
        echo "output check: FAILED for:$verify_failed (see verify-*.log)"
    else
        checked=$(for c in "${cases[@]}"; do [[ ${c_prog[$c]} == testpmd ]] || printf '%s ' "$c"; done)
        echo "output check: passed (${checked% }: port 1 and ICMP errors as expected; verify-*.log)"
    fi
    if [[ ${BENCH_PERF:-0} != 0 ]]; then
        echo "profiles (BENCH_PERF=$BENCH_PERF s each, after the runs): $(for c in "${cases[@]}"; do [[ ! -f $out/$c-perf.txt ]] || printf '%s-perf.txt ' "$c"; done)"
    fi
    echo
    "$py" "$bench/report.py" "$results" --json "$out/summary.json" --scenario "$scenario"
} | tee "$out/results.txt"
log "results: $out/results.txt"
exit "$failed"
