#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions called through traps and "${prog}_cmd"
# Forwarding benchmark: dprouter against DPDK's l3fwd (LPM) in the same harness.
#
#   scripts/bench.sh [DPROUTER_BINARY]          default: build/dprouter
#
# Setup, identical for both programs: one forwarding thread on lcore/CPU 1 (dprouter: -l 0,1 with
# its control thread on lcore 0; l3fwd: see BENCH_L3FWD_LCORES), --no-pci --no-huge -m 1024.
# Port 0 is a net_pcap vdev replaying, from memory and as fast as the worker polls
# (infinite_rx=1), a pcap of 64-byte IPv4/UDP frames to 1024 flows towards 198.18.1.0/24; port 1
# is net_null (no-rx=1), which frees whatever is sent to it. Both programs route 198.18.1.0/24
# out of port 1. Rates come from the ports' own counters (DPDK telemetry,
# /ethdev/stats) over a 10 s window that starts 3 s after traffic starts. Runs alternate
# l3fwd, dprouter, l3fwd, dprouter, ... and the medians and their ratio are printed at the end.
# Before that, each program forwards the pcap once into a file that is checked byte by byte.
# docs/benchmarking.md explains the method and the caveats.
#
# Environment:
#   BENCH_RUNS=5          runs per program
#   BENCH_WARMUP=3        seconds between the first received packet and the start of the window
#   BENCH_DURATION=10     length of the measured window in seconds
#   BENCH_PROGRAMS="l3fwd dprouter"   which programs to run, in this order within each round;
#                         add "testpmd" (dpdk-testpmd --forward-mode=io) for the harness's own cost
#   BENCH_OUT=bench-out   results go to $BENCH_OUT/<date-time>/ (logs, pcap, config, results)
#   BENCH_SIZE=64         frame size including FCS;  BENCH_FLOWS=1024: number of flows
#   BENCH_GEN_ARGS=""     extra arguments for scripts/bench/gen_pcap.py (e.g. "--df")
#   BENCH_OUT_MTU=        IP MTU of dprouter's egress interface (default: dprouter's, 1500);
#                         with bigger frames dprouter fragments (l3fwd never does)
#   BENCH_VERIFY=1        first run each program once over the pcap (no infinite_rx), with port 1
#                         writing a pcap, and check the forwarded packets (scripts/bench/verify.py)
#   BENCH_L3FWD_LCORES=1  l3fwd's EAL -l: "1" (forwarding on its main lcore, CPU 0 left idle as
#                         with dprouter) or "0,1" (main lcore 0 idles by busy-waiting)
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
case "${1:-}" in -h|--help) usage; exit 0 ;; esac
[[ $# -le 1 ]] || { usage >&2; exit 2; }

dprouter=${1:-$root/build/dprouter}
runs=${BENCH_RUNS:-5}
warmup=${BENCH_WARMUP:-3}
duration=${BENCH_DURATION:-10}
programs=${BENCH_PROGRAMS:-l3fwd dprouter}
size=${BENCH_SIZE:-64}
flows=${BENCH_FLOWS:-1024}
out_mtu=${BENCH_OUT_MTU:-}
read -r -a gen_extra <<< "${BENCH_GEN_ARGS:-}"
stamp=$(date +%Y%m%d-%H%M%S)
out=${BENCH_OUT:-$root/bench-out}/$stamp
[[ $out == /* ]] || out=$PWD/$out

lcores=0,1          # dprouter: control thread on lcore 0, its one worker on lcore 1
worker_cpu=1
eal_common=(-l "$lcores" --no-pci --no-huge -m 1024)   # --in-memory cannot go with --no-huge
l3fwd_lcores=${BENCH_L3FWD_LCORES:-1}
case $l3fwd_lcores in 1|0,1) ;; *) echo "BENCH_L3FWD_LCORES must be 1 or 0,1" >&2; exit 2 ;; esac
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
on_exit() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n $helper ]]; then
        kill -TERM "$helper" 2>/dev/null || true
        wait "$helper" 2>/dev/null || true
    fi
    stop_child
    rm -f "${out:?}/.measure"
    exit "$rc"
}
trap on_exit EXIT
trap 'log interrupted; exit 130' INT
trap 'log terminated; exit 143' TERM

for p in $programs; do
    case $p in l3fwd|dprouter|testpmd) ;; *) log "unknown program '$p' in BENCH_PROGRAMS"; exit 2 ;; esac
done
mkdir -p "$out"
log "output: $out"

# ---- tools: l3fwd, TSC calibrator, pcap ----
l3fwd=
if [[ " $programs " == *" l3fwd "* ]]; then
    log "building l3fwd (build-bench/l3fwd) if needed"
    l3fwd=$("$bench/build_l3fwd.sh" "$root/build-bench/l3fwd")
fi
mkdir -p "$root/build-bench"
testpmd=${TESTPMD:-dpdk-testpmd}
if [[ " $programs " == *" testpmd "* ]] && ! command -v "$testpmd" > /dev/null; then
    log "dpdk-testpmd not found (Debian package dpdk)"
    exit 1
fi
tsc_bin=$root/build-bench/tsc_hz
if [[ ! -x $tsc_bin || $bench/tsc_hz.c -nt $tsc_bin ]]; then
    "${CC:-cc}" -O2 -o "$tsc_bin" "$bench/tsc_hz.c"
fi
tsc_hz=$("$tsc_bin")

pcap=$out/flows.pcap
"$py" "$bench/gen_pcap.py" -o "$pcap" --size "$size" --flows "$flows" "${gen_extra[@]}"

# ---- the two programs ----
# Benchmark devices; the verification pass swaps in a single replay and a pcap writer.
bench_dev0="net_pcap0,rx_pcap=$pcap,infinite_rx=1"
bench_dev1="net_null0,no-rx=1"

write_cfg() {  # file port0-devargs port1-devargs
    cat > "$1" <<EOF
# Generated by scripts/bench.sh. Port 0 ("in") replays the pcap; port 1 ("out") is where
# 198.18.1.0/24 is routed.
dpdk:
  eal_args: [$(printf '"%s", ' "${eal_common[@]}" | sed 's/, $//')]
  workers: 1
interfaces:
  - name: in
    device: "$2"
    addresses: ["198.18.0.1/24"]
    mac: "02:00:00:00:00:01"
  - name: out
    device: "$3"
    addresses: ["198.18.9.1/24"]${out_mtu:+
    mtu: $out_mtu}
routes:
  - prefix: 198.18.1.0/24
    via: 198.18.9.2
neighbors:
  - address: 198.18.9.2
    mac: "02:00:00:00:00:02"
    interface: out
EOF
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
l3fwd_cmd() {  # prefix port0-devargs port1-devargs -> cmd
    local dev0=$2 dev1=$3
    if [[ $l3fwd_lcores == 0,1 ]]; then
        dev0=${dev0/rx_pcap=/rx_pcap=$pcap,rx_pcap=}
        dev1=${dev1/tx_pcap=/tx_pcap=\/dev\/null,tx_pcap=}
    fi
    # shellcheck disable=SC2054  # the commas are inside arguments
    cmd=("$l3fwd" -l "$l3fwd_lcores" "${eal_common[@]:2}" --file-prefix "$1" \
        --vdev "$dev0" --vdev "$dev1" \
        -- -p 0x3 --lookup=lpm --parse-ptype --config "(0,0,$worker_cpu)" \
        --eth-dest=1,02:00:00:00:00:02)
}
# testpmd in io mode moves packets from port 0 to port 1 untouched: what the harness itself costs
# (net_pcap replay, mbuf handling, net_null Tx), the floor under both forwarders. Not verified
# (it rewrites nothing) and not part of the ratio.
testpmd_cmd() {  # prefix port0-devargs port1-devargs -> cmd
    cmd=("$testpmd" "${eal_common[@]}" --file-prefix "$1" --vdev "$2" --vdev "$3" \
        -- --forward-mode=io --port-topology=chained --nb-cores=1 --rxq=1 --txq=1 \
        --auto-start --stats-period 3600)
}
dprouter_cmd() {  # prefix port0-devargs port1-devargs -> cmd
    local c=$out/dprouter.yaml
    [[ $2 == "$bench_dev0" && $3 == "$bench_dev1" ]] || c=$out/dprouter-verify.yaml
    cmd=("$dprouter" --config "$c" -- --file-prefix "$1")
}

write_cfg "$out/dprouter.yaml" "$bench_dev0" "$bench_dev1"
if [[ " $programs " == *" dprouter "* ]]; then
    if [[ ! -x $dprouter ]]; then
        log "dprouter binary '$dprouter' not found or not executable (build it: meson setup build && ninja -C build)"
        exit 1
    fi
    if ! "$dprouter" --config "$out/dprouter.yaml" --check > "$out/dprouter-check.log" 2>&1; then
        log "dprouter rejects the benchmark configuration ($out/dprouter.yaml):"
        cat "$out/dprouter-check.log" >&2
        exit 1
    fi
fi

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

# ---- verification: one pass over the pcap, port 1 written to a pcap and checked ----
verify_one() {  # program
    local prog=$1 prefix="dprbench-$$-$1-verify" opcap=$out/verify-$1-out.pcap
    local -a cmd
    rm -f "$opcap"
    if [[ $prog == dprouter ]]; then
        write_cfg "$out/dprouter-verify.yaml" "net_pcap0,rx_pcap=$pcap" "net_pcap1,tx_pcap=$opcap"
    fi
    "${prog}_cmd" "$prefix" "net_pcap0,rx_pcap=$pcap" "net_pcap1,tx_pcap=$opcap"
    start_child "$prefix" "$out/verify-$prog.log" "${cmd[@]}"
    "$py" "$bench/verify.py" wait --prefix "$prefix" --runtime-dir "$rundir" --pid "$child" \
        --count "$verify_count" &
    helper=$!
    wait "$helper" || true
    helper=
    stop_child   # the pcap writer is flushed when the port closes
    local rc=0
    "$py" "$bench/verify.py" check --input "$pcap" --output "$opcap" --program "$prog" \
        --mtu "${out_mtu:-1500}" || rc=$?
    case $rc in
        0) ;;
        3) verify_skipped=1 ;;
        *) log "$prog does not forward the benchmark traffic as expected (log: $out/verify-$prog.log)"
           failed=1
           verify_failed="$verify_failed $prog" ;;
    esac
}
verify_failed=
verify_skipped=
if [[ ${BENCH_VERIFY:-1} == 1 ]]; then
    # Packets port 1 should send: all for l3fwd, the ones with TTL > 1 for dprouter; waiting for
    # the smaller count and then a little longer is enough for both.
    verify_count=$("$py" -c 'import sys; from scapy.all import rdpcap, IP; print(sum(1 for p in rdpcap(sys.argv[1]) if p[IP].ttl > 1))' "$pcap")
    for prog in $programs; do
        [[ $prog == testpmd ]] || verify_one "$prog"
    done
fi

# ---- one measured run ----
results=$out/results.jsonl
: > "$results"

run_one() {  # program run-number
    local prog=$1 n=$2 prefix="dprbench-$$-$1-$2" logf=$out/$1-$2.log m
    local -a cmd
    "${prog}_cmd" "$prefix" "$bench_dev0" "$bench_dev1"
    shquote "${cmd[@]}" > "$out/$prog.cmd"
    start_child "$prefix" "$logf" "${cmd[@]}"
    # In the background and waited for, so that a signal to this script acts at once.
    "$py" "$bench/measure.py" --prefix "$prefix" --runtime-dir "$rundir" --pid "$child" \
        --worker-cpu "$worker_cpu" --warmup "$warmup" --duration "$duration" > "$out/.measure" &
    helper=$!
    if wait "$helper"; then
        helper=
        m=$(cat "$out/.measure")
    else
        helper=
        m=$(cat "$out/.measure")
        failed=1
        [[ -n $m ]] || m='{"error": "measure.py failed"}'
        log "$prog run $n failed: $m (log: $logf)"
        tail -5 "$logf" | sed 's/^/    /' >&2
    fi
    rm -f "$out/.measure"
    stop_child
    # program, run number, TSC rate and load average go in with the measurement.
    "$py" -c 'import json,sys; d=json.loads(sys.argv[1]); d.update(program=sys.argv[2], run=int(sys.argv[3]), tsc_hz=float(sys.argv[4]), loadavg=open("/proc/loadavg").read().split()[0]); print(json.dumps(d))' \
        "$m" "$prog" "$n" "$tsc_hz" >> "$results"
    if [[ $m != *'"error"'* ]]; then
        "$py" -c 'import json,sys; d=json.loads(sys.argv[1]); print("[bench] %-8s run %s: out %.3f Mpps, in %.3f Mpps, worker on CPU %.0f%%" % (sys.argv[2], sys.argv[3], d["tx_pps"]/1e6, d["rx_pps"]/1e6, 100*d.get("worker_cpu_share", 0)))' \
            "$m" "$prog" "$n" >&2
    fi
}

log "TSC: $tsc_hz Hz; $runs runs each of: $programs; window ${duration}s after ${warmup}s warm-up"
for n in $(seq "$runs"); do
    for prog in $programs; do
        run_one "$prog" "$n"
    done
done

{
    echo "dprouter forwarding benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "host: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, kernel $(uname -r), DPDK $(pkg-config --modversion libdpdk 2>/dev/null || echo '?')"
    echo "tree: git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- 2>/dev/null || echo ' (with uncommitted changes)'); dprouter binary $(date -r "$dprouter" +%Y-%m-%dT%H:%M 2>/dev/null || echo '?')"
    echo "frames: ${size} bytes incl. FCS, $flows flows; window ${duration}s after ${warmup}s warm-up; TSC $tsc_hz Hz"
    for prog in $programs; do echo "$prog: $(cat "$out/$prog.cmd" 2>/dev/null)"; done
    if [[ ${BENCH_VERIFY:-1} != 1 ]]; then
        echo "output check: skipped (BENCH_VERIFY=0)"
    elif [[ -n $verify_failed ]]; then
        echo "output check: FAILED for:$verify_failed (see verify-*.log)"
    elif [[ -n $verify_skipped ]]; then
        echo "output check: not possible for this traffic (packets bigger than the egress MTU)"
    else
        checked=$(for p in $programs; do [[ $p == testpmd ]] || printf '%s ' "$p"; done)
        echo "output check: passed (${checked% } forward every packet correctly rewritten)"
    fi
    echo
    "$py" "$bench/report.py" "$results" --json "$out/summary.json"
} | tee "$out/results.txt"
log "results: $out/results.txt"
exit "$failed"
