#!/usr/bin/env bash
# Prepares a host with real NICs for dprouter (docs/deployment.md): hugepages, IOMMU check, NIC
# binding to vfio-pci and back. Prints every command that changes the machine ("+ CMD") and what it did.
#
#   scripts/setup-host.sh [--dry-run] check
#   scripts/setup-host.sh [--dry-run] hugepages SIZE [--pagesize 2M|1G] [--node N]
#   scripts/setup-host.sh hugepages show
#   scripts/setup-host.sh [--dry-run] bind PCI|IFNAME...
#   scripts/setup-host.sh [--dry-run] restore [PCI|IFNAME...]     (also: unbind)
#   scripts/setup-host.sh status
#
# check      IOMMU groups present, vfio-pci loaded or loadable, hugepages reserved and mounted, CPU flags
#            (SSE4.2, 1G pages, AVX2, AVX-512 F/DQ/BW, invariant TSC), the CPU isolation options of the
#            kernel command line, and the NUMA node of every network PCI device. Lines start with
#            "ok", "WARN" or "FAIL"; exit status 1 when any FAIL.
# hugepages  reserve SIZE (K/M/G suffix, as dpdk-hugepages.py takes it) of pages of --pagesize (default:
#            the kernel's default size) on every NUMA node, or on --node N only (dpdk-hugepages.py's
#            rule), mount hugetlbfs when no mount of that page size exists, then show the result.
#            `hugepages 0` gives free pages back.
# bind       bind each device (a PCI address, 0000: optional, or the name of its kernel interface) to
#            vfio-pci with dpdk-devbind.py, after recording its kernel driver and interface names in
#            the state file. Refuses a device one of whose interfaces carries a default route of
#            either family (`ip route show default`, `ip -6 route show default`), directly or under a
#            bond, bridge or VLAN on top of it: unbinding it would cut the machine off. There is no
#            override: move the default route first (or, knowingly, use dpdk-devbind.py --force).
# restore    bind devices back to the kernel driver recorded by `bind` (all recorded ones without
#            arguments); an interface name given here is looked up in the state file.
# status     network PCI devices: driver, NUMA node, kernel interfaces, default-route carrier, and
#            what the state file recorded.
#
# --dry-run prints the commands that would change something and changes nothing.
#
# Environment (tests/lab/test_setup_host.sh runs the script against a crafted tree with these):
#   SETUP_HOST_SYSFS      sysfs root (default /sys)
#   SETUP_HOST_PROC       procfs root for cmdline, cpuinfo, meminfo and mounts (default /proc)
#   SETUP_HOST_DEVBIND    the dpdk-devbind.py to run (default dpdk-devbind.py, package dpdk)
#   SETUP_HOST_HUGEPAGES  the dpdk-hugepages.py to run (default dpdk-hugepages.py, package dpdk)
#   SETUP_HOST_STATE      the state file (default /run/dprouter/bind-state; /run is cleared at boot, as
#                         are the bindings it records)
set -euo pipefail

SYSFS=${SETUP_HOST_SYSFS:-/sys}
PROC=${SETUP_HOST_PROC:-/proc}
DEVBIND=${SETUP_HOST_DEVBIND:-dpdk-devbind.py}
HUGEPAGES=${SETUP_HOST_HUGEPAGES:-dpdk-hugepages.py}
STATE=${SETUP_HOST_STATE:-/run/dprouter/bind-state}
PROG=setup-host.sh
DRY_RUN=0

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }
die() { echo "$PROG: $*" >&2; exit 1; }

# run CMD...: print it; execute it unless --dry-run.
run() {
    echo "+ $*"
    ((DRY_RUN)) || "$@"
}

# ---------------------------------------------------------------------------------------------------
# Devices and interfaces

# A PCI address in the kernel's full form (domain:bus:device.function, lower case), or empty.
normalize_pci() {
    local a=${1,,}
    [[ $a =~ ^[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$ ]] && a=0000:$a
    [[ $a =~ ^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$ ]] && echo "$a"
    return 0
}

pci_dir() { echo "$SYSFS/bus/pci/devices/$1"; }

# The driver a device is bound to now, or "none".
pci_driver() {
    local link
    link=$(readlink "$(pci_dir "$1")/driver" 2>/dev/null) || { echo none; return; }
    basename "$link"
}

# The kernel interfaces of a device (none while it is bound to vfio-pci). virtio-net puts them one
# level down, under the virtioN device.
pci_ifnames() {
    local d
    for d in "$(pci_dir "$1")"/net "$(pci_dir "$1")"/virtio*/net; do
        [[ -d $d ]] && ls -1 "$d"
    done
    return 0
}

pci_numa() {
    local n
    n=$(cat "$(pci_dir "$1")/numa_node" 2>/dev/null || echo -1)
    echo "$n"
}

# Network PCI devices (class 0x02xxxx), one a line.
net_pci_devices() {
    local d class
    for d in "$SYSFS"/bus/pci/devices/*; do
        [[ -e $d/class ]] || continue
        class=$(<"$d/class")
        [[ $class == 0x02* ]] && basename "$d"
    done
    return 0
}

# The state file's line for a device: "PCI DRIVER IFNAME,IFNAME" (IFNAME "-" when it had none).
state_line() {
    [[ -f $STATE ]] || return 0
    awk -v p="$1" '$1 == p' "$STATE"
}

# A PCI address for a PCI address or a kernel interface name (also one recorded in the state file,
# which is where the name of an interface bound to vfio-pci survives).
resolve_device() {
    local arg=$1 pci link
    pci=$(normalize_pci "$arg")
    if [[ -n $pci ]]; then
        [[ -d $(pci_dir "$pci") ]] || die "no PCI device $pci ($SYSFS/bus/pci/devices/$pci does not exist)"
        echo "$pci"
        return
    fi
    if [[ -e $SYSFS/class/net/$arg ]]; then
        link=$(readlink -f "$SYSFS/class/net/$arg/device" 2>/dev/null) ||
            die "interface $arg has no device: it is not a NIC (virtual interfaces cannot be bound)"
        # The nearest PCI device on the way up (virtio-net: .../0000:00:03.0/virtio2).
        while [[ $link == */* && -z $(normalize_pci "$(basename "$link")") ]]; do link=${link%/*}; done
        pci=$(basename "$link")
        [[ -n $(normalize_pci "$pci") ]] || die "interface $arg is not on a PCI device"
        echo "$pci"
        return
    fi
    if [[ -f $STATE ]]; then
        pci=$(awk -v i="$arg" '{ n = split($3, a, ","); for (k = 1; k <= n; k++) if (a[k] == i) print $1 }' "$STATE")
        if [[ -n $pci ]]; then echo "$pci"; return; fi
    fi
    die "$arg is neither a PCI address (0000:03:00.0) nor a network interface"
}

# Interfaces under a device: itself and, recursively, the lower devices of a bond, bridge or VLAN
# (sysfs lower_* links), so that a default route on bond0 protects its member NICs too.
lower_interfaces() {
    local dev=$1 l
    echo "$dev"
    for l in "$SYSFS/class/net/$dev"/lower_*; do
        [[ -e $l || -L $l ]] || continue
        lower_interfaces "${l##*/lower_}"
    done
}

# Every interface a default route (IPv4 or IPv6, any table ip shows by default) leaves through,
# including the members under it. One line each: "IFNAME ROUTE".
default_route_carriers() {
    local fam line dev
    for fam in -4 -6; do
        while IFS= read -r line; do
            [[ -n $line ]] || continue
            # Multipath routes name several devices on one -o line.
            for dev in $(grep -o 'dev [^ ]*' <<<"$line" | awk '{print $2}'); do
                while IFS= read -r l; do echo "$l ip $fam route: $line"; done < <(lower_interfaces "$dev")
            done
        done < <(ip -o "$fam" route show default 2>/dev/null | sed 's/\\/ /g; s/  */ /g')
    done
}

# Refuses (exit 1) when an interface of PCI carries a default route.
refuse_default_route() {
    local pci=$1 ifs carriers i hit
    ifs=$(pci_ifnames "$pci")
    [[ -n $ifs ]] || return 0
    carriers=$(default_route_carriers)
    for i in $ifs; do
        hit=$(awk -v i="$i" '$1 == i { $1 = ""; sub(/^ /, ""); print; exit }' <<<"$carriers")
        if [[ -n $hit ]]; then
            echo "$PROG: refusing to unbind $pci from $(pci_driver "$pci"): its interface $i carries the default route ($hit)." >&2
            echo "$PROG: binding it to vfio-pci would take the machine's connectivity with it; move the default route to another interface first." >&2
            exit 1
        fi
    done
}

# ---------------------------------------------------------------------------------------------------
# bind / restore

cmd_bind() {
    (($#)) || die "bind: name at least one PCI address or interface"
    local arg pci drv ifs devs=()
    for arg in "$@"; do devs+=("$(resolve_device "$arg")"); done
    # Every refusal before any change: a command line of three devices binds all three or none.
    for pci in "${devs[@]}"; do refuse_default_route "$pci"; done
    for pci in "${devs[@]}"; do
        drv=$(pci_driver "$pci")
        ifs=$(pci_ifnames "$pci" | paste -sd, -)
        if [[ $drv == vfio-pci ]]; then
            echo "$pci: already bound to vfio-pci, nothing to do"
            continue
        fi
        if [[ ! -d $SYSFS/bus/pci/drivers/vfio-pci ]]; then
            run modprobe vfio-pci
        fi
        if [[ -z $(state_line "$pci") ]]; then
            echo "$pci: recording driver $drv and interfaces ${ifs:--} in $STATE"
            if ((!DRY_RUN)); then
                mkdir -p "$(dirname "$STATE")"
                echo "$pci $drv ${ifs:--}" >>"$STATE"
            fi
        fi
        run "$DEVBIND" --bind=vfio-pci "$pci"
        echo "$pci: bound to vfio-pci (was ${drv}${ifs:+, interface $ifs}); restore with: $PROG restore $pci"
    done
}

cmd_restore() {
    local devs=() arg pci line drv ifs
    if (($#)); then
        for arg in "$@"; do devs+=("$(resolve_device "$arg")"); done
    else
        [[ -s $STATE ]] || { echo "nothing recorded in $STATE: no device to restore"; return 0; }
        mapfile -t devs < <(awk '{print $1}' "$STATE")
    fi
    for pci in "${devs[@]}"; do
        line=$(state_line "$pci")
        [[ -n $line ]] || die "$pci: no original driver recorded in $STATE (bind it back with: $DEVBIND --bind=DRIVER $pci)"
        read -r _ drv ifs <<<"$line"
        if [[ $drv == none ]]; then
            run "$DEVBIND" --unbind "$pci"
        else
            run "$DEVBIND" --bind="$drv" "$pci"
        fi
        if ((!DRY_RUN)); then
            awk -v p="$pci" '$1 != p' "$STATE" >"$STATE.new"
            mv "$STATE.new" "$STATE"
        fi
        echo "$pci: back on ${drv}${ifs:+ (interface ${ifs})}"
    done
}

cmd_status() {
    local pci drv ifs carriers i mark line
    carriers=$(default_route_carriers | awk '{print $1}')
    printf '%-14s %-10s %-5s %-20s %s\n' PCI DRIVER NUMA INTERFACES NOTE
    for pci in $(net_pci_devices); do
        drv=$(pci_driver "$pci")
        ifs=$(pci_ifnames "$pci" | paste -sd, -)
        mark=""
        for i in $(pci_ifnames "$pci"); do
            grep -qx "$i" <<<"$carriers" && mark="default route (never bound)"
        done
        line=$(state_line "$pci")
        [[ -n $line ]] && mark="${mark:+$mark; }bound by $PROG, was $(awk '{print $2}' <<<"$line")"
        printf '%-14s %-10s %-5s %-20s %s\n' "$pci" "$drv" "$(pci_numa "$pci")" "${ifs:--}" "$mark"
    done
    [[ -s $STATE ]] && echo "state file $STATE:" && sed 's/^/  /' "$STATE"
    return 0
}

# ---------------------------------------------------------------------------------------------------
# hugepages

cmd_hugepages() {
    (($#)) || die "hugepages: give a SIZE (2G, 512M) or 'show'"
    if [[ $1 == show ]]; then
        "$HUGEPAGES" --show
        return
    fi
    local size=$1 pagesize="" node=""
    shift
    [[ $size =~ ^[0-9]+[KkMmGg]?$ ]] || die "hugepages: SIZE must be a number with an optional K, M or G suffix, not '$size'"
    while (($#)); do
        case $1 in
        --pagesize) [[ $# -ge 2 ]] || die "--pagesize needs a value"; pagesize=$2; shift 2 ;;
        --node) [[ $# -ge 2 ]] || die "--node needs a value"; node=$2; shift 2 ;;
        *) die "hugepages: unknown option '$1'" ;;
        esac
    done
    local args=(--reserve "$size")
    [[ -n $pagesize ]] && args+=(--pagesize "$pagesize")
    [[ -n $node ]] && args+=(--node "$node")
    run "$HUGEPAGES" "${args[@]}"
    # One hugetlbfs mount per page size: /dev/hugepages for the default size (Debian mounts it at
    # boot), /dev/hugepages-1G and the like for another.
    local kb dir=/dev/hugepages
    kb=$(page_kb "${pagesize:-default}")
    if [[ $kb != "$(page_kb default)" ]]; then dir=/dev/hugepages-$(fmt_pagesize "$kb"); fi
    if awk -v o="pagesize=$((kb / 1024))M" '$3 == "hugetlbfs" && $4 ~ o {found = 1} END {exit !found}' "$PROC/mounts"; then
        echo "hugetlbfs for $(fmt_pagesize "$kb") pages already mounted"
    else
        run mkdir -p "$dir"
        run "$HUGEPAGES" --mount --pagesize "$(fmt_pagesize "$kb")" --directory "$dir"
    fi
    ((DRY_RUN)) || "$HUGEPAGES" --show
}

# kB of a page size given as 2M/1G/2048K, or of the default one.
page_kb() {
    local s=$1
    if [[ $s == default ]]; then awk '/^Hugepagesize:/ {print $2}' "$PROC/meminfo"; return; fi
    case ${s^^} in
    *G) echo $((${s%[Gg]} * 1024 * 1024)) ;;
    *M) echo $((${s%[Mm]} * 1024)) ;;
    *K) echo "${s%[Kk]}" ;;
    *) die "page size '$s': use 2M or 1G" ;;
    esac
}

# A page size in kB as people write it: 2M, 1G.
fmt_pagesize() { if (($1 % (1024 * 1024) == 0)); then echo "$(($1 / 1024 / 1024))G"; else echo "$(($1 / 1024))M"; fi; }

# ---------------------------------------------------------------------------------------------------
# check

FAILS=0
ok() { echo "ok    $*"; }
warn() { echo "WARN  $*"; }
bad() { echo "FAIL  $*"; FAILS=$((FAILS + 1)); }

cmd_check() {
    local cmdline groups flags n f d total free kb pci node cpus

    cmdline=$(cat "$PROC/cmdline" 2>/dev/null || true)
    groups=$(find "$SYSFS/kernel/iommu_groups" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    if ((groups > 0)); then
        ok "IOMMU: $groups groups in $SYSFS/kernel/iommu_groups"
    else
        bad "IOMMU: no groups in $SYSFS/kernel/iommu_groups: enable VT-d/AMD-Vi in the BIOS and boot with intel_iommu=on iommu=pt (Intel) or amd_iommu=on iommu=pt (AMD)"
    fi

    # /sys/module/vfio_pci exists once it is loaded, and always when it is built in.
    if [[ -d $SYSFS/module/vfio_pci ]]; then
        ok "vfio-pci: loaded"
    elif ! command -v modinfo >/dev/null; then
        bad "vfio-pci: not loaded, and no modinfo to look for it (package kmod)"
    elif modinfo vfio-pci >/dev/null 2>&1; then
        ok "vfio-pci: loadable (bind loads it)"
    else
        bad "vfio-pci: module not found (modinfo vfio-pci): a kernel without VFIO cannot give DPDK a NIC"
    fi

    local any=0
    for d in "$SYSFS"/kernel/mm/hugepages/hugepages-*; do
        [[ -d $d ]] || continue
        total=$(<"$d/nr_hugepages")
        free=$(<"$d/free_hugepages")
        kb=${d##*hugepages-}
        kb=${kb%kB}
        ((total > 0)) || continue
        any=1
        ok "hugepages: $total of $(fmt_pagesize "$kb") ($((total * kb / 1024)) MB), $free free"
    done
    ((any)) || bad "hugepages: none reserved: $PROG hugepages 2G (or hugepagesz=1G hugepages=N on the kernel command line)"
    if awk '$3 == "hugetlbfs" {found = 1} END {exit !found}' "$PROC/mounts" 2>/dev/null; then
        ok "hugetlbfs: mounted at $(awk '$3 == "hugetlbfs" {print $2}' "$PROC/mounts" | paste -sd' ' -)"
    else
        warn "hugetlbfs: not mounted (dpdk-hugepages.py --mount; only EAL's --in-memory does without)"
    fi

    flags=" $(awk -F': ' '/^flags/ {print $2; exit}' "$PROC/cpuinfo" 2>/dev/null) "
    [[ $flags == *" sse4_2 "* ]] && ok "CPU: sse4_2 (the baseline Debian's DPDK is built for)" ||
        bad "CPU: no sse4_2: Debian's DPDK needs it"
    [[ $flags == *" pdpe1gb "* ]] && ok "CPU: pdpe1gb (1 GB hugepages possible)" ||
        warn "CPU: no pdpe1gb: 2 MB hugepages only"
    [[ $flags == *" avx2 "* ]] && ok "CPU: avx2" || warn "CPU: no avx2: scalar burst paths"
    if [[ $flags == *" avx512f "* && $flags == *" avx512dq "* && $flags == *" avx512bw "* ]]; then
        ok "CPU: avx512f/dq/bw (AVX-512 FIB lookups; see docs/configuration.md on --force-max-simd-bitwidth)"
    else
        warn "CPU: no avx512f/dq/bw: the FIBs use their scalar or AVX2 lookups"
    fi
    [[ $flags == *" constant_tsc "* && $flags == *" nonstop_tsc "* ]] && ok "CPU: invariant TSC" ||
        warn "CPU: no constant_tsc/nonstop_tsc: DPDK's timers drift with the clock"

    for f in isolcpus nohz_full rcu_nocbs; do
        if [[ " $cmdline " =~ [[:space:]]$f=([^[:space:]]+) ]]; then
            ok "kernel command line: $f=${BASH_REMATCH[1]}"
        else
            warn "kernel command line: no $f= (workers share their cores with the kernel; docs/deployment.md)"
        fi
    done

    n=0
    for d in "$SYSFS"/devices/system/node/node[0-9]*; do
        [[ -d $d ]] || continue
        n=$((n + 1))
        cpus=$(cat "$d/cpulist" 2>/dev/null || echo "?")
        ok "NUMA node ${d##*node}: CPUs $cpus"
    done
    ((n > 0)) || ok "NUMA: no node information (one node)"
    for pci in $(net_pci_devices); do
        node=$(pci_numa "$pci")
        ok "NIC $pci ($(pci_driver "$pci")$(ifs=$(pci_ifnames "$pci" | paste -sd, -); [[ -n $ifs ]] && echo ", $ifs")): NUMA node $node"
    done

    if ((FAILS)); then
        echo "$FAILS problem(s) above"
        return 1
    fi
    echo "no problems found"
}

# ---------------------------------------------------------------------------------------------------

# --dry-run and --help anywhere on the line.
args=()
for a in "$@"; do
    case $a in
    --dry-run) DRY_RUN=1 ;;
    -h | --help) usage; exit 0 ;;
    *) args+=("$a") ;;
    esac
done
set -- "${args[@]}"
(($#)) || { usage >&2; exit 2; }
cmd=$1
shift
case $cmd in
check) cmd_check ;;
hugepages) cmd_hugepages "$@" ;;
bind) cmd_bind "$@" ;;
restore | unbind) cmd_restore "$@" ;;
status) cmd_status ;;
help) usage ;;
*) echo "$PROG: unknown command '$cmd'" >&2; usage >&2; exit 2 ;;
esac
