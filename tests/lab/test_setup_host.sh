#!/usr/bin/env bash
# scripts/setup-host.sh against a crafted sysfs/procfs tree and a fake dpdk-devbind.py that logs its
# arguments (this machine has no NIC to bind), with the default routes of a real network namespace:
#
#   - check reads IOMMU groups, vfio-pci, hugepages, CPU flags, isolation options and NIC NUMA nodes,
#     and fails without IOMMU groups;
#   - bind by interface name and by short PCI address records the kernel driver and calls devbind;
#     --dry-run changes nothing; restore by the recorded interface name binds the driver back;
#   - bind refuses a NIC carrying the IPv6 default route, a NIC under a bond carrying the IPv4 one
#     (multipath), and a whole command line holding one of them; once the routes are gone it binds;
#   - hugepages reserves real 2 MB pages (4 more than now, /proc/meminfo shows them) and gives them back.
#
#   tests/lab/test_setup_host.sh build/dprouter      (the binary is not used; every lab test takes it)
set -u
source "$(dirname "$0")/lib.sh"

[[ $EUID -eq 0 ]] || { echo "$LAB_NAME: must run as root" >&2; exit 2; }
SCRIPT=$LAB_REPO/scripts/setup-host.sh
LAB_TMP=$(mktemp -d "/tmp/dprouter-${LAB_NAME}-XXXXXX")
NS=${DPR_LAB_PREFIX}setup-host
trap 'lab_test_cleanup' EXIT
trap 'echo "$LAB_NAME: interrupted"; exit 130' INT TERM
lab_on_cleanup "ip netns del $NS"

S=$LAB_TMP/sys P=$LAB_TMP/proc
export SETUP_HOST_SYSFS=$S SETUP_HOST_PROC=$P SETUP_HOST_DEVBIND=$LAB_TMP/devbind \
    SETUP_HOST_STATE=$LAB_TMP/run/bind-state
LOG=$LAB_TMP/devbind.log
: >"$LOG"

# A NIC: PCI address, kernel driver, NUMA node, kernel interface.
fake_nic() {
    local pci=$1 drv=$2 node=$3 ifname=$4 d=$S/devices/pci0000:00/$1
    mkdir -p "$d/net/$ifname" "$S/bus/pci/drivers/$drv" "$S/class/net/$ifname"
    echo 0x020000 >"$d/class"
    echo "$node" >"$d/numa_node"
    ln -s "$S/bus/pci/drivers/$drv" "$d/driver"
    ln -s "$d" "$S/bus/pci/devices/$pci"
    ln -s "$d" "$S/class/net/$ifname/device"
}
mkdir -p "$S/bus/pci/devices" "$S/bus/pci/drivers/vfio-pci" "$S/module/vfio_pci" \
    "$S/kernel/iommu_groups/"{0,1,2,3} "$S/kernel/mm/hugepages/hugepages-2048kB" \
    "$S/devices/system/node/node0" "$S/devices/system/node/node1" "$P"
fake_nic 0000:03:00.0 ixgbe 1 dpa0
fake_nic 0000:03:00.1 ixgbe 1 dpa1
fake_nic 0000:04:00.0 i40e 0 dpb0      # carries the IPv6 default route
fake_nic 0000:05:00.0 i40e 0 dpc0      # a member of dpbond, one leg of the IPv4 default route
mkdir -p "$S/class/net/dpbond"         # the bond itself: no device, one lower link
ln -s "$S/class/net/dpc0" "$S/class/net/dpbond/lower_dpc0"
echo 512 >"$S/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
echo 500 >"$S/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"
echo 0-3 >"$S/devices/system/node/node0/cpulist"
echo 4-7 >"$S/devices/system/node/node1/cpulist"
echo "BOOT_IMAGE=/vmlinuz root=/dev/sda1 intel_iommu=on iommu=pt isolcpus=2-3,6-7 nohz_full=2-3,6-7 rcu_nocbs=2-3,6-7" >"$P/cmdline"
printf 'processor\t: 0\nflags\t\t: fpu sse4_2 avx2 pdpe1gb constant_tsc nonstop_tsc\n' >"$P/cpuinfo"
echo "Hugepagesize:       2048 kB" >"$P/meminfo"
echo "nodev /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0" >"$P/mounts"

# The fake dpdk-devbind.py: log, and move the device to the driver as the real one would.
cat >"$LAB_TMP/devbind" <<EOF
#!/bin/bash
echo "\$*" >>"$LOG"
drv=\${1#--bind=}
d=\$(readlink -f "$S/bus/pci/devices/\$2")
ln -sfn "$S/bus/pci/drivers/\$drv" "\$d/driver"
# Bound to vfio-pci, a NIC has no kernel interface.
if [[ \$drv == vfio-pci ]]; then
    for i in \$(ls "\$d/net"); do mv "$S/class/net/\$i" "$S/class/net-\$i"; done
    mv "\$d/net" "\$d/net.kernel"
else
    mv "\$d/net.kernel" "\$d/net"
    for i in \$(ls "\$d/net"); do mv "$S/class/net-\$i" "$S/class/net/\$i"; done
fi
EOF
chmod +x "$LAB_TMP/devbind"

# The routes come from a namespace holding interfaces of the same names (veths: no dummy module needed).
ip netns add "$NS" || fatal "create namespace $NS"
for i in dpa0 dpa1 dpb0 dpc0 dpbond dpother; do
    ip -n "$NS" link add "$i" type veth peer name "$i-p" && ip -n "$NS" link set "$i" up &&
        ip -n "$NS" link set "$i-p" up || fatal "veth $i in $NS"
done
ip -n "$NS" addr add 192.0.2.1/24 dev dpbond
ip -n "$NS" addr add 198.51.100.1/24 dev dpother   # the other leg: no NIC under it
ip -n "$NS" route add default nexthop via 192.0.2.254 dev dpbond nexthop via 198.51.100.254 dev dpother ||
    fatal "multipath IPv4 default route"
ip -n "$NS" addr add 2001:db8:4::1/64 dev dpb0 nodad
ip -n "$NS" -6 route add default via 2001:db8:4::ff dev dpb0 || fatal "IPv6 default route"

sh_ns() { ip netns exec "$NS" bash "$SCRIPT" "$@"; }
driver_of() { basename "$(readlink "$S/bus/pci/devices/$1/driver")"; }
out=$LAB_TMP/out

# --- check -----------------------------------------------------------------------------------------
if sh_ns check >"$out" 2>&1; then pass "check passes on a prepared host"; else fail "check passes on a prepared host" "$(cat "$out")"; fi
for want in "ok    IOMMU: 4 groups" "ok    vfio-pci: loaded" "ok    hugepages: 512 of 2M (1024 MB), 500 free" \
    "ok    kernel command line: isolcpus=2-3,6-7" "ok    NUMA node 1: CPUs 4-7" \
    "ok    NIC 0000:03:00.0 (ixgbe, dpa0): NUMA node 1" "WARN  CPU: no avx512f/dq/bw"; do
    if grep -qF -- "$want" "$out"; then pass "check says '$want'"; else fail "check says '$want'" "$(cat "$out")"; fi
done
mv "$S/kernel/iommu_groups" "$S/kernel/iommu_groups.off"; mkdir "$S/kernel/iommu_groups"
if sh_ns check >"$out" 2>&1; then fail "check fails without IOMMU groups" "$(cat "$out")"
elif grep -q "^FAIL  IOMMU: no groups.*intel_iommu=on" "$out"; then pass "check fails without IOMMU groups, says what to boot with"
else fail "check fails without IOMMU groups, says what to boot with" "$(cat "$out")"; fi
rmdir "$S/kernel/iommu_groups"; mv "$S/kernel/iommu_groups.off" "$S/kernel/iommu_groups"

# --- the default route is never unbound ------------------------------------------------------------
for dev in dpb0 0000:04:00.0 dpc0 05:00.0; do
    if sh_ns bind "$dev" >"$out" 2>&1; then fail "bind $dev refused (default route)" "$(cat "$out")"
    elif grep -q "refusing to unbind 0000:0[45]:00.0 from i40e: its interface dp[bc]0 carries the default route" "$out"; then
        pass "bind $dev refused: $(grep -o 'ip -[46] route.*' "$out" | head -1)"
    else fail "bind $dev refused with the reason" "$(cat "$out")"; fi
done
if sh_ns bind dpa0 dpb0 >"$out" 2>&1; then fail "bind dpa0 dpb0 refused as a whole" "$(cat "$out")"
elif [[ ! -s $LOG && $(driver_of 0000:03:00.0) == ixgbe && ! -e $SETUP_HOST_STATE ]]; then pass "bind dpa0 dpb0 refused as a whole: dpa0 untouched"
else fail "bind dpa0 dpb0 refused as a whole: dpa0 untouched" "devbind log: $(cat "$LOG")"; fi

# --- bind, dry run, status, restore ----------------------------------------------------------------
if sh_ns bind --dry-run 03:00.1 >"$out" 2>&1 && grep -qx "+ $LAB_TMP/devbind --bind=vfio-pci 0000:03:00.1" "$out" &&
    [[ ! -s $LOG && $(driver_of 0000:03:00.1) == ixgbe && ! -e $SETUP_HOST_STATE ]]; then
    pass "bind --dry-run prints the devbind command and changes nothing"
else fail "bind --dry-run prints the devbind command and changes nothing" "$(cat "$out")"; fi
if sh_ns bind dpa0 >"$out" 2>&1 && [[ $(cat "$LOG") == "--bind=vfio-pci 0000:03:00.0" ]] &&
    [[ $(driver_of 0000:03:00.0) == vfio-pci ]] && grep -qx "0000:03:00.0 ixgbe dpa0" "$SETUP_HOST_STATE" &&
    grep -q "bound to vfio-pci (was ixgbe, interface dpa0)" "$out"; then
    pass "bind dpa0: devbind --bind=vfio-pci 0000:03:00.0, ixgbe recorded"
else fail "bind dpa0: devbind --bind=vfio-pci 0000:03:00.0, ixgbe recorded" "$(cat "$out"; echo "log: $(cat "$LOG")")"; fi
if sh_ns bind dpa0 >"$out" 2>&1 && grep -q "already bound to vfio-pci" "$out" && [[ $(wc -l <"$LOG") -eq 1 ]]; then
    pass "bind dpa0 again: found by its recorded name, nothing to do"
else fail "bind dpa0 again: found by its recorded name, nothing to do" "$(cat "$out")"; fi
sh_ns status >"$out" 2>&1
if grep -Eq "^0000:03:00.0 +vfio-pci +1 +- +bound by setup-host.sh, was ixgbe" "$out" &&
    grep -Eq "^0000:04:00.0 +i40e +0 +dpb0 +default route" "$out" && grep -Eq "^0000:05:00.0 .*default route" "$out"; then
    pass "status: the bound NIC, the default-route carriers"
else fail "status: the bound NIC, the default-route carriers" "$(cat "$out")"; fi
if sh_ns restore dpa0 >"$out" 2>&1 && [[ $(tail -1 "$LOG") == "--bind=ixgbe 0000:03:00.0" ]] &&
    [[ $(driver_of 0000:03:00.0) == ixgbe && ! -s $SETUP_HOST_STATE ]]; then
    pass "restore dpa0: devbind --bind=ixgbe 0000:03:00.0, state emptied"
else fail "restore dpa0: devbind --bind=ixgbe 0000:03:00.0, state emptied" "$(cat "$out"; cat "$LOG")"; fi

# Without the default routes the same NICs bind: the refusals came from the routes.
ip -n "$NS" route del default
ip -n "$NS" -6 route del default
if sh_ns bind dpb0 dpc0 >"$out" 2>&1 && [[ $(driver_of 0000:04:00.0) == vfio-pci && $(driver_of 0000:05:00.0) == vfio-pci ]]; then
    pass "bind dpb0 dpc0 once the default routes are gone"
else fail "bind dpb0 dpc0 once the default routes are gone" "$(cat "$out")"; fi
if sh_ns restore >"$out" 2>&1 && [[ $(driver_of 0000:04:00.0) == i40e && $(driver_of 0000:05:00.0) == i40e && ! -s $SETUP_HOST_STATE ]]; then
    pass "restore without arguments: every recorded NIC back on i40e"
else fail "restore without arguments: every recorded NIC back on i40e" "$(cat "$out")"; fi

# --- hugepages, for real (the machine's own sysfs and dpdk-hugepages.py) ----------------------------
unset SETUP_HOST_SYSFS SETUP_HOST_PROC
total() { awk '/^HugePages_Total:/ {print $2}' /proc/meminfo; }
[[ $(awk '/^Hugepagesize:/ {print $2}' /proc/meminfo) == 2048 ]] || fatal "the default hugepage size is 2 MB"
before=$(total)
lab_on_cleanup "dpdk-hugepages.py --pagesize 2M --reserve $((before * 2))M"
# `hugepages` mounts hugetlbfs where no mount of that page size exists (what an operator wants);
# the test takes back a mount it caused, or it outlives the test (found after a CI run).
hugetlbfs_mounts() { awk '$3 == "hugetlbfs" {print $2}' /proc/mounts | sort; }
mounts_before=$(hugetlbfs_mounts)
lab_on_cleanup 'comm -13 <(echo "$mounts_before") <(hugetlbfs_mounts) | xargs -r -n1 umount'
if bash "$SCRIPT" --dry-run hugepages $(((before + 4) * 2))M --pagesize 2M >"$out" 2>&1 &&
    grep -qx "+ dpdk-hugepages.py --reserve $(((before + 4) * 2))M --pagesize 2M" "$out" && [[ $(total) == "$before" ]]; then
    pass "hugepages --dry-run: prints the reservation, reserves nothing"
else fail "hugepages --dry-run: prints the reservation, reserves nothing" "$(cat "$out")"; fi
if bash "$SCRIPT" hugepages $(((before + 4) * 2))M --pagesize 2M >"$out" 2>&1 && [[ $(total) == $((before + 4)) ]]; then
    pass "hugepages: $before -> $((before + 4)) pages of 2 MB in /proc/meminfo"
else fail "hugepages: $before -> $((before + 4)) pages of 2 MB in /proc/meminfo" "$(cat "$out"; grep Huge /proc/meminfo)"; fi
if bash "$SCRIPT" hugepages $((before * 2))M --pagesize 2M >"$out" 2>&1 && [[ $(total) == "$before" ]]; then
    pass "hugepages: given back, $before pages again"
else fail "hugepages: given back, $before pages again" "$(cat "$out"; grep Huge /proc/meminfo)"; fi

finish
