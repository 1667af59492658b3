# shellcheck shell=bash
# Helpers for one-host runs of dprouter between two net_memif ports (scripts/pktgen/run.sh,
# tests/lab/test_memif_testpmd.sh). Source from bash; every function returns non-zero on failure.
#
#   hp_reserve PAGES           make sure PAGES free 2 MiB hugepages exist (raise nr_hugepages by what
#                              is missing, mount hugetlbfs if nothing is mounted); hp_release gives
#                              back exactly that; hp_in_use: pages mapped now
#   memif_router_config OUT PREFIX   scripts/pktgen/dprouter-memif.yaml with every name a second run
#                              could collide on (EAL file prefix, memif sockets, control socket)
#                              derived from PREFIX; sets MEMIF_SOCK0, MEMIF_SOCK1, ROUTER_PREFIX
#   memif_client_vdev N MAC    the devargs of the generator's memif client port N (0: into the
#                              router, 1: out of it), with the MAC the router's static neighbour has
#   dpdk_wait_telemetry PREFIX SECONDS [CMD]   until the process answers CMD (default /ethdev/list)
#   dpdk_stop PID [SECONDS]    SIGTERM, wait, SIGKILL after SECONDS (default 10); returns the exit status
#   dpdk_forget PREFIX         remove /var/run/dpdk/PREFIX (what EAL leaves behind)

MEMIF_KIT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${MEMIF_PY:=/usr/bin/python3}"

_hp_nr=/proc/sys/vm/nr_hugepages
_hp_added=0
_hp_mounted=
_hp_meminfo() { awk -v k="$1:" '$1 == k {print $2}' /proc/meminfo; }

hp_reserve() {
    local want=$1 free total
    free=$(_hp_meminfo HugePages_Free)
    if ((free < want)); then
        total=$(cat "$_hp_nr")
        echo $((total + want - free)) >"$_hp_nr" || return 1
        _hp_added=$(($(cat "$_hp_nr") - total))
        free=$(_hp_meminfo HugePages_Free)
        echo "hugepages: nr_hugepages $total -> $((total + _hp_added)), $free free" >&2
        if ((free < want)); then
            echo "hugepages: the kernel gave only $free free pages of the $want wanted (memory fragmented?)" >&2
            return 1
        fi
    fi
    if ! awk '$3 == "hugetlbfs" {f = 1} END {exit !f}' /proc/mounts; then
        mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages || return 1
        _hp_mounted=/dev/hugepages
    fi
}

# hp_in_use: 2 MiB pages mapped right now (by every process on the host).
hp_in_use() { echo $(($(_hp_meminfo HugePages_Total) - $(_hp_meminfo HugePages_Free))); }

hp_release() {
    if [[ -n $_hp_mounted ]]; then umount "$_hp_mounted" 2>/dev/null; _hp_mounted=; fi
    if ((_hp_added > 0)); then
        local total
        total=$(cat "$_hp_nr")
        echo $((total > _hp_added ? total - _hp_added : 0)) >"$_hp_nr"
        _hp_added=0
    fi
}

memif_router_config() {
    local out=$1 prefix=$2
    ROUTER_PREFIX=${prefix}dprouter-memif
    MEMIF_SOCK0=/run/${prefix}dprouter-memif0.sock
    MEMIF_SOCK1=/run/${prefix}dprouter-memif1.sock
    sed -e "s|\"dprouter-memif\"|\"$ROUTER_PREFIX\"|" \
        -e "s|/run/dprouter-memif0.sock|$MEMIF_SOCK0|; s|/run/dprouter-memif1.sock|$MEMIF_SOCK1|" \
        -e "s|socket: /run/dprouter-memif.sock|socket: /run/${prefix}dprouter-memif.sock|" \
        "$MEMIF_KIT_DIR/dprouter-memif.yaml" >"$out"
}

memif_client_vdev() {
    local n=$1 mac=$2 sock
    if ((n == 0)); then sock=$MEMIF_SOCK0; else sock=$MEMIF_SOCK1; fi
    echo "net_memif$n,role=client,id=0,socket=$sock,socket-abstract=no,mac=$mac"
}

dpdk_wait_telemetry() {
    local prefix=$1 seconds=$2 cmd=${3:-/ethdev/list}
    "$MEMIF_PY" - "$prefix" "$seconds" "$cmd" <<'EOF'
import os, sys, time
sys.path.insert(0, os.path.join(os.environ["MEMIF_KIT_DIR"], "..", "bench"))
from measure import Telemetry
prefix, seconds, cmd = sys.argv[1], float(sys.argv[2]), sys.argv[3]
deadline = time.monotonic() + seconds
while time.monotonic() < deadline:
    try:
        t = Telemetry(f"/var/run/dpdk/{prefix}/dpdk_telemetry.v2")
        if t.query(cmd) is not None:
            sys.exit(0)
        t.close()
    except (OSError, ValueError):
        pass
    time.sleep(0.2)
sys.exit(1)
EOF
}
export MEMIF_KIT_DIR

dpdk_stop() {
    local pid=$1 seconds=${2:-10} i
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < seconds * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "pid $pid did not stop within $seconds s of SIGTERM; killing it" >&2
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
}

dpdk_forget() { [[ -n $1 ]] && rm -rf "/var/run/dpdk/${1:?}"; }
