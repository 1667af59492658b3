#!/usr/bin/env bash
# Large static tables (docs/benchmarking.md "Large tables"): how long `--check` takes and how much
# memory it needs for N routes (default 1,000,000) written as YAML `routes:` and as a route-list
# file (`routes_file:`), and how long the router takes from start to forwarding with them.
#
#   scripts/bench-tables.sh [build/dprouter] [N]
#
# The router runs on two net_null ports (no NIC, no namespaces; --no-huge unless TABLES_HUGE=1) with a file prefix of
# ${DPR_LAB_PREFIX:-}tables. "Forwarding" is the moment it logs "forwarding: ...": the table is
# built and published and the workers are launched (for the small lab tables that is also when it
# first answers ping). The second FIB copy is filled after that, while the workers forward
# (docs/architecture.md "Live FIB"): "both copies" is when the router logs that it is complete.
# Memory is the router's RSS at both moments (with --no-huge DPDK's memory is ordinary anonymous
# memory, counted in the RSS as it is touched), and DPDK's heap in use and in all, from telemetry.
# Environment: START_TIMEOUT (seconds, default 1800) bounds each start; START_LIST=0 and START_YAML=0
# skip the starts; TABLES_HUGE=1 runs the router on 2 MiB hugepages (--huge-unlink, as deployments
# run) instead of --no-huge -m 2048: reserve at least 1100 free pages first (the script refuses
# otherwise), and see docs/benchmarking.md "Large tables" on the first start after reserving them.
set -u
bin=$(readlink -f "${1:-build/dprouter}")
n=${2:-1000000}
here=$(cd "$(dirname "$0")" && pwd)
prefix="${DPR_LAB_PREFIX:-}tables"
start_timeout=${START_TIMEOUT:-1800}
[[ -x $bin ]] || { echo "usage: $0 [PATH/TO/dprouter] [ROUTES]" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "$0: needs /usr/bin/time (package time; scripts/install-deps.sh)" >&2; exit 2; }
tmp=$(mktemp -d /tmp/dprouter-tables-XXXXXX)
router=""
cleanup() { [[ -n $router ]] && kill -KILL "$router" 2>/dev/null; rm -rf -- "$tmp"; }
trap cleanup EXIT

memory='"--no-huge", "-m", "2048"'
if [[ ${TABLES_HUGE:-0} == 1 ]]; then
    free_pages=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
    ((free_pages >= 1100)) || { echo "$0: TABLES_HUGE=1 needs 1100 free 2 MiB hugepages, $free_pages free (echo 1100 >/proc/sys/vm/nr_hugepages)" >&2; exit 2; }
    memory='"--huge-unlink"'
fi
cat >"$tmp/base.yaml" <<YAML
dpdk:
  eal_args: ["--no-pci", $memory, "--vdev", "net_null0", "--vdev", "net_null1",
             "--file-prefix", "$prefix", "--log-level", "lib.eal:warning"]
  workers: 1
interfaces:
  - {name: lan, device: net_null0, addresses: ["10.1.0.1/24"]}
  - {name: wan, device: net_null1, addresses: ["10.2.0.1/24"]}
YAML
echo "generating $n routes (seed 1)..."
/usr/bin/python3 "$here/bench/gen_routes.py" --count "$n" --format list >"$tmp/routes.txt"
/usr/bin/python3 "$here/bench/gen_routes.py" --count "$n" --format yaml >"$tmp/routes-yaml.part"
cat "$tmp/base.yaml" "$tmp/routes-yaml.part" >"$tmp/yaml.yaml"
{ cat "$tmp/base.yaml"; echo "routes_file: routes.txt"; } >"$tmp/list.yaml"

cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
echo "CPU: $cpu, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); EAL memory: $memory"
echo "routes: $n; YAML $(du -m "$tmp/yaml.yaml" | cut -f1) MB, route list $(du -m "$tmp/routes.txt" | cut -f1) MB"

# check NAME FILE: wall time, CPU time and peak RSS of `--check` (the bounded child included)
check() {
    /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$bin" --config "$2" --check >/dev/null 2>"$tmp/err" ||
        { echo "--check $1 failed:"; head -5 "$tmp/err"; return 1; }
    read -r wall user sys rss <"$tmp/time"
    printf '%-28s %8.2f s wall %8.2f s CPU %8d MB peak RSS\n' "--check, $1" "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')" \
        "$((rss / 1024))"
}

heap_mb() {  # DPDK heap on socket 0, from telemetry: "IN-USE of SIZE"
    /usr/bin/python3 - "$1" <<'PY' 2>/dev/null || echo "?"
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(f"/var/run/dpdk/{sys.argv[1]}/dpdk_telemetry.v2")
s.recv(4096)
s.send(b"/eal/heap_info,0")
info = json.loads(s.recv(65536))["/eal/heap_info"]
print(f'{int(info["Alloc_size"]) >> 20} of {int(info["Heap_size"]) >> 20}')
PY
}

rss_mb() { awk '/^VmRSS:/ {print int($2 / 1024)}' "/proc/$1/status"; }
# CPU seconds so far (on a busy machine the wall times swing, these much less): of the process
# with its reaped children (the checking child), and of its main (control) thread alone, which
# leaves out the worker's polling once it runs.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{sub(/.*\) /, ""); print ($12 + $13 + $14 + $15) / hz}' "/proc/$1/stat"; }
control_cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{sub(/.*\) /, ""); print ($12 + $13) / hz}' "/proc/$1/task/$1/stat"; }

# start NAME FILE: seconds from exec to "forwarding:" and to "second copy complete", RSS and
# DPDK heap at each
start() {
    local log=$tmp/router-$1.log t0 t1 t2
    t0=$(date +%s.%N)
    (cd "$tmp" && exec "$bin" --config "$2") >"$log" 2>&1 &
    router=$!
    local deadline=$((SECONDS + start_timeout))
    until grep -q "forwarding:" "$log"; do
        if ! kill -0 "$router" 2>/dev/null || ((SECONDS > deadline)); then
            echo "start, $1: no 'forwarding:' within ${start_timeout} s"; tail -5 "$log"
            kill -KILL "$router" 2>/dev/null; wait "$router" 2>/dev/null; router=""; return 1
        fi
        sleep 0.05
    done
    t1=$(date +%s.%N)
    printf '%-28s %8.2f s to forwarding (%s s CPU), RSS %d MB, DPDK heap %s MB\n' "start, $1" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" "$(cpu_s "$router")" "$(rss_mb "$router")" "$(heap_mb "$prefix")"
    # Batches of one chunk or less are replayed at once and not logged.
    if ((n > 4096)); then
        until grep -q "second copy complete" "$log"; do
            if ! kill -0 "$router" 2>/dev/null || ((SECONDS > deadline)); then
                echo "start, $1: second copy not complete within ${start_timeout} s"; tail -5 "$log"; break
            fi
            sleep 0.05
        done
        t2=$(date +%s.%N)
        printf '%-28s %8.2f s to both copies (control thread %s s CPU), RSS %d MB, DPDK heap %s MB (%s)\n' "start, $1" \
            "$(awk -v a="$t0" -v b="$t2" 'BEGIN {print b - a}')" "$(control_cpu_s "$router")" "$(rss_mb "$router")" "$(heap_mb "$prefix")" \
            "$(grep -o 'second copy complete.*' "$log" | head -1)"
    fi
    kill -TERM "$router"; wait "$router" 2>/dev/null; router=""
}

check "route list" "$tmp/list.yaml"
check "YAML routes:" "$tmp/yaml.yaml"
[[ ${START_LIST:-1} == 1 ]] && start "route list" "$tmp/list.yaml"
[[ ${START_YAML:-1} == 1 ]] && start "YAML routes:" "$tmp/yaml.yaml"
exit 0
