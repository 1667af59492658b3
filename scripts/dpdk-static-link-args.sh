#!/usr/bin/env bash
# Print, one per line, the linker arguments that link the installed DPDK (Debian's libdpdk-dev)
# into dprouter statically, for meson's `dpdk_link=static` (the default).
#
# Why static: in a shared DPDK every per-lcore variable a PMD or library touches on the hot path
# (rte_lcore_id() inside rte_mempool_put_bulk/get_bulk, called by every Rx refill and Tx free)
# goes through __tls_get_addr, because a shared object must use the general-dynamic TLS model.
# Linked into the executable the linker relaxes those accesses to a plain %fs-relative load, and
# calls between DPDK libraries stop going through the PLT. docs/benchmarking.md has the figures.
#
# What is linked, and how:
# - every DPDK library and bus/mempool/net/common driver archive, inside --whole-archive, because
#   drivers and many libraries register themselves from constructors (RTE_INIT, RTE_PMD_REGISTER_*)
#   that nothing references by name. The crypto, compress, regex, vDPA, event, baseband, raw and
#   DMA drivers and QAT's common code (crypto and compression) are left out: dprouter opens none
#   of those device classes, and they would pull in libraries it has no use for (ISA-L, IPsec-MB).
# - the libraries those archives need (rdma-core for mlx4/mlx5, libxdp/libbpf for af_xdp, libpcap,
#   libnuma, libfdt, ...) as shared libraries, from libdpdk's own pkg-config requirements; with
#   --as-needed only the ones really referenced end up in the binary.
# A static EAL does not load the shared PMD directory (EAL loads it only into a shared build), so
# everything a user may open must be in this list; the left-out classes are not.
set -euo pipefail

pc=libdpdk
if ! pkg-config --exists "$pc"; then
    echo "dpdk-static-link-args: pkg-config cannot find $pc (install libdpdk-dev)" >&2
    exit 1
fi
libdir=$(pkg-config --variable=libdir "$pc")

skip='^librte_((crypto|compress|regex|vdpa|event|baseband|raw|dma)_|common_qat)'
archives=()
# Drivers: libdpdk.pc's Libs.private already names them as -l:librte_*.a.
for a in $(pkg-config --static --libs-only-l "$pc" | tr ' ' '\n' | sed -n 's/^-l:\(librte_.*\.a\)$/\1/p'); do
    [[ $a =~ $skip ]] && continue
    archives+=("$a")
done
# Libraries: libdpdk-libs.pc names them -lrte_NAME (which would pick the .so); libdpdk.pc's
# Libs.private may name some of them again.
for l in $(pkg-config --libs-only-l libdpdk-libs | tr ' ' '\n' | sed -n 's/^-lrte_//p'); do
    [[ " ${archives[*]} " == *" librte_$l.a "* ]] || archives+=("librte_$l.a")
done
if (( ${#archives[@]} < 10 )); then
    echo "dpdk-static-link-args: found only ${#archives[@]} DPDK archives in $pc's pkg-config" >&2
    exit 1
fi
for a in "${archives[@]}"; do
    if [[ ! -f $libdir/$a ]]; then
        echo "dpdk-static-link-args: $libdir/$a is missing (libdpdk-dev incomplete?)" >&2
        exit 1
    fi
done

# One argument: meson reorders and de-duplicates separate linker flags, which would leave
# --whole-archive and --no-whole-archive next to each other with nothing between them.
whole="-Wl,--whole-archive"
for a in "${archives[@]}"; do whole+=",$libdir/$a"; done
echo "$whole,--no-whole-archive"
# Shared dependencies: what libdpdk.pc requires privately (but the compress PMD's libisal), and
# libdpdk-libs' own private libraries.
reqs=$(pkg-config --print-requires-private "$pc" | awk '{print $1}' | grep -v -x 'libisal' || true)
# shellcheck disable=SC2086
for f in $(pkg-config --libs $reqs libbsd) $(pkg-config --static --libs-only-other --libs-only-l libdpdk-libs | tr ' ' '\n' | grep -v -- '^-lrte_\|^-Wl,--as-needed$'); do
    echo "$f"
done
echo "-latomic"
