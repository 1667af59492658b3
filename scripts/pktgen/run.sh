#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup and stop_all run from traps
# One benchmark run on one host: dprouter (or testpmd io, the baseline) between two net_memif ports,
# a generator on both, rates of every process read through DPDK telemetry. docs/pktgen.md explains it.
#
#   scripts/pktgen/run.sh [--gen pktgen|testpmd] [--dut dprouter|testpmd-io] [--profile NAME]
#                         [--duration S] [--warmup S] [--out-mtu N] [--rfc2544] [--out DIR]
#
#   --gen pktgen       (default) pktgen-dpdk, built by you (PKTGEN=/path/to/pktgen, default `pktgen`
#                      on PATH; docs/pktgen.md: version, the -ENOTSUP patch), port 0 sends the
#                      profile, port 1 receives. Profiles (scripts/pktgen/NAME.pkt):
#                      64b-1flow, 64b-1024flows (default), imix, ttl-expired, df-too-big
#   --gen testpmd      Debian's dpdk-testpmd: txonly (64-byte UDP, 198.18.0.2 -> 198.19.0.1) on the
#                      port into the router, a second testpmd rxonly on the port out of it; profile
#                      64b-1flow only (testpmd's txonly has no flows of its own worth the name)
#   --dut testpmd-io   testpmd io forwarding between the two memif server ports instead of the
#                      router: the cost of the generator and memif alone, the ceiling for the router
#   --out-mtu N        the router's `out` MTU (df-too-big: default 1300, others 1500)
#   --rfc2544          pktgen only: instead of one run at full rate, the RFC 2544 throughput search
#                      (rfc2544.py: highest rate with zero loss, by binary search), printed as a table
#
# Order: the router (the memif server) first, then the generator (client); a memif client does not
# reconnect by itself, so after a router restart pktgen needs `restart 0,1` (or a new run).
# CPU layout on this 2-CPU class of machine: the router's worker alone on CPU 1; the router's control
# thread, the generator's lcores and pktgen's command-line and timer threads on CPU 0, those two
# threads at nice 19 so that they leave the sending lcore its CPU. With 4 or more CPUs, pktgen's
# main lcore gets CPU 2 and its sending/receiving lcore CPU 3 (PG_MAIN_CPU, PG_WORKER_CPU override).
# Hugepages: RUN_HUGEPAGES 2 MiB pages free (default 2048 with pktgen, which alone takes about
# 2.6 GB, 512 otherwise); what the script added is given back at the end, every process runs with
# --huge-unlink, and the memif sockets and DPDK runtime directories are removed.
# Environment: DPR_BIN (build/dprouter), PKTGEN, RUN_HUGEPAGES, PG_MAIN_CPU, PG_WORKER_CPU, RUN_PREFIX
# (put before every socket and EAL file prefix, for two runs side by side), RFC2544_ARGS (more
# arguments for rfc2544.py, e.g. "--trial 60 --resolution 0.1").
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=memif-lib.sh
source "$here/memif-lib.sh"

usage() { sed -n '3,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
gen=pktgen dut=dprouter profile=64b-1024flows duration=10 warmup=3 out_mtu='' rfc2544='' out=''
while [[ $# -gt 0 ]]; do
    case $1 in
        --gen) gen=$2; shift ;;
        --dut) dut=$2; shift ;;
        --profile) profile=$2; shift ;;
        --duration) duration=$2; shift ;;
        --warmup) warmup=$2; shift ;;
        --out-mtu) out_mtu=$2; shift ;;
        --rfc2544) rfc2544=1 ;;
        --out) out=$2; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
case $gen in pktgen|testpmd) ;; *) echo "--gen must be pktgen or testpmd" >&2; exit 2 ;; esac
case $dut in dprouter|testpmd-io) ;; *) echo "--dut must be dprouter or testpmd-io" >&2; exit 2 ;; esac
[[ -f $here/$profile.pkt ]] || { echo "no profile $here/$profile.pkt" >&2; exit 2; }
[[ $gen == pktgen || $profile == 64b-1flow ]] || { echo "--gen testpmd sends profile 64b-1flow only" >&2; exit 2; }
[[ -z $rfc2544 || $gen == pktgen ]] || { echo "--rfc2544 needs --gen pktgen (testpmd cannot pace its sending)" >&2; exit 2; }
[[ $profile != df-too-big ]] || out_mtu=${out_mtu:-1300}
[[ $EUID -eq 0 ]] || { echo "$0: must run as root (hugepages, /run)" >&2; exit 1; }
dprouter=${DPR_BIN:-$repo/build/dprouter}
pktgen=${PKTGEN:-pktgen}
if [[ $gen == pktgen ]] && ! command -v "$pktgen" >/dev/null; then
    echo "$0: pktgen not found (PKTGEN=/path/to/pktgen; docs/pktgen.md says how to build it)" >&2; exit 1
fi
if [[ $dut == dprouter && ! -x $dprouter ]]; then echo "$0: $dprouter not found (DPR_BIN)" >&2; exit 1; fi
out=${out:-$repo/bench-out/pktgen-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
log() { printf '[run] %s\n' "$*" >&2; }

# ---- CPU layout ----
ncpu=$(nproc)
if ((ncpu >= 4)); then pg_main=${PG_MAIN_CPU:-2} pg_worker=${PG_WORKER_CPU:-3}; else pg_main=${PG_MAIN_CPU:-0} pg_worker=${PG_WORKER_CPU:-0}; fi

# ---- clean-up, however the run ends ----
# pids: the device under test first, then the generator's processes. They stop in reverse order,
# the generator before the memif server; dut_rc is the device under test's exit status.
pids=()
fifo=''
dut_rc=''
own_sockets=''
rp=${RUN_PREFIX:-}
stop_all() {
    local i
    if [[ -n $fifo ]]; then { echo quit >&"$fifo_fd"; } 2>/dev/null; sleep 1; fi
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        dpdk_stop "${pids[i]}" 10
        local rc=$?
        ((i > 0)) || dut_rc=$rc
    done
    pids=()
}
cleanup() {
    trap '' INT TERM
    stop_all
    [[ -z $own_sockets ]] || rm -f "$MEMIF_SOCK0" "$MEMIF_SOCK1"
    rm -f "$fifo"
    for p in "$ROUTER_PREFIX" "${rp}pg-gen" "${rp}pg-sink" "${rp}pg-dut"; do dpdk_forget "$p"; done
    hp_release
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT TERM

pages=${RUN_HUGEPAGES:-$([[ $gen == pktgen ]] && echo 2048 || echo 512)}
hp_reserve "$pages" || exit 1
memif_router_config "$out/dprouter.yaml" "$rp"
if [[ -n $out_mtu ]]; then
    # The second `mtu:` of the file is the `out` interface's.
    awk -v m="$out_mtu" '/^    mtu: / && ++n == 2 {sub(/[0-9]+/, m)} {print}' "$out/dprouter.yaml" >"$out/d.yaml" &&
        mv "$out/d.yaml" "$out/dprouter.yaml"
fi
for s in "$MEMIF_SOCK0" "$MEMIF_SOCK1"; do
    [[ ! -S $s ]] || { log "$s exists: another run (or a stale socket: remove it)"; exit 1; }
done
own_sockets=1

# ---- the device under test: the memif server on both ports ----
if [[ $dut == dprouter ]]; then
    "$dprouter" --config "$out/dprouter.yaml" --check || exit 1
    "$dprouter" --config "$out/dprouter.yaml" >"$out/dprouter.log" 2>&1 &
    pids+=($!)
    dut_prefix=$ROUTER_PREFIX
    dpdk_wait_telemetry "$dut_prefix" 60 /dprouter/stats || { log "router did not start: $out/dprouter.log"; exit 1; }
else
    dut_prefix=${rp}pg-dut
    dpdk-testpmd -l 0,1 --no-pci --huge-unlink --file-prefix "$dut_prefix" \
        --vdev "net_memif0,role=server,id=0,socket=$MEMIF_SOCK0,socket-abstract=no,mac=02:00:00:00:00:01" \
        --vdev "net_memif1,role=server,id=0,socket=$MEMIF_SOCK1,socket-abstract=no,mac=02:00:00:00:01:01" \
        -- --forward-mode=io --port-topology=paired --nb-cores=1 --total-num-mbufs=16384 \
        --auto-start --stats-period 3600 </dev/null >"$out/testpmd-io.log" 2>&1 &
    pids+=($!)
    dpdk_wait_telemetry "$dut_prefix" 30 || { log "testpmd io did not start: $out/testpmd-io.log"; exit 1; }
fi
log "$dut runs (file prefix $dut_prefix); memif sockets $MEMIF_SOCK0 $MEMIF_SOCK1; hugepages in use: $(hp_in_use)"

# ---- the generator: memif clients ----
vdev0=$(memif_client_vdev 0 02:00:00:00:00:02)
vdev1=$(memif_client_vdev 1 02:00:00:00:01:02)
procs=()
if [[ $gen == pktgen ]]; then
    pg_args=(-P -m "1.[0-1]" -f "$here/$profile.pkt")
    if [[ $profile == df-too-big ]]; then
        /usr/bin/python3 "$here/gen_df_mix.py" -o "$out/df-mix.pcap" || exit 1
        pg_args+=(-s "0:$out/df-mix.pcap")
    fi
    if [[ -n $rfc2544 ]]; then pg_args+=(-G); else pg_args+=(-f "$here/start.pkt"); fi
    # pktgen reads its command line from stdin: a FIFO the script holds open, so that `quit`
    # stops it cleanly at the end.
    fifo=$out/pktgen.stdin
    mkfifo "$fifo"
    exec {fifo_fd}<>"$fifo"
    "$pktgen" --lcores "0@$pg_main,1@$pg_worker" --no-pci --huge-unlink --file-prefix "${rp}pg-gen" \
        --vdev "$vdev0" --vdev "$vdev1" -- "${pg_args[@]}" <"$fifo" >"$out/pktgen.log" 2>&1 &
    pids+=($!)
    pg_pid=$!
    dpdk_wait_telemetry "${rp}pg-gen" 60 || { log "pktgen did not start: $out/pktgen.log"; exit 1; }
    # pktgen's main thread (command line, screen) and its timer spin: keep them off the sending
    # lcore's share of the CPU. EAL names the lcore threads lcore-worker-N.
    for t in /proc/"$pg_pid"/task/*; do
        [[ $(cat "$t/comm" 2>/dev/null) == lcore-worker-* ]] || renice -n 19 -p "${t##*/}" >/dev/null
    done
    procs+=(--proc "gen=${rp}pg-gen")
else
    tp() {  # prefix log vdev testpmd-args...
        local prefix=$1 logf=$2 vdev=$3
        shift 3
        dpdk-testpmd --lcores "0@$pg_main,1@$pg_worker" --no-pci --huge-unlink --file-prefix "$prefix" \
            --vdev "$vdev" -- --nb-cores=1 --total-num-mbufs=8192 --auto-start --stats-period 3600 "$@" \
            </dev/null >"$logf" 2>&1 &
        pids+=($!)
    }
    tp "${rp}pg-sink" "$out/sink.log" "$vdev1" --forward-mode=rxonly
    dpdk_wait_telemetry "${rp}pg-sink" 30 || { log "testpmd rxonly did not start: $out/sink.log"; exit 1; }
    tp "${rp}pg-gen" "$out/gen.log" "$vdev0" --forward-mode=txonly --tx-ip=198.18.0.2,198.19.0.1 \
        --eth-peer=0,02:00:00:00:00:01
    procs+=(--proc "gen=${rp}pg-gen" --proc "sink=${rp}pg-sink")
fi
log "$gen runs; hugepages in use: $(hp_in_use)"
if [[ $dut == dprouter ]]; then procs+=(--proc "router=$dut_prefix:router"); else procs+=(--proc "testpmd-io=$dut_prefix"); fi

# ---- measure ----
if [[ -n $rfc2544 ]]; then
    read -r -a rfc_args <<<"${RFC2544_ARGS:-}"
    /usr/bin/python3 "$here/rfc2544.py" --gen-prefix "${rp}pg-gen" "${procs[@]}" "${rfc_args[@]}" | tee "$out/rfc2544.txt"
    rc=${PIPESTATUS[0]}
else
    log "profile $profile: warm-up $warmup s, then $duration s measured"
    # pktgen maps its 2.6 GB and sets up its pools before it sends: half a minute on a busy 2-CPU machine.
    /usr/bin/python3 "$here/telemetry_rates.py" "${procs[@]}" --wait-traffic gen --warmup "$warmup" \
        --duration "$duration" --start-timeout 180 --json "$out/rates.json" | tee "$out/rates.txt"
    rc=${PIPESTATUS[0]}
fi
stop_all
if [[ $dut == dprouter ]]; then
    if [[ $dut_rc == 0 ]]; then log "router stopped cleanly; its counters: $out/dprouter.log"
    else log "router exited with status $dut_rc: $out/dprouter.log"; rc=1; fi
fi
log "results in $out"
exit "$rc"
