#!/usr/bin/env bash
# Build DPDK's l3fwd example out of tree from the Debian dpdk-doc sources, against the installed
# libdpdk (pkg-config), with the same CPU flags DPDK's pkg-config file gives every application
# (dprouter is built with the same ones through meson's dependency('libdpdk')).
#
#   scripts/bench/build_l3fwd.sh [OUTDIR [shared|static]]   default: build-bench/l3fwd shared
#
# shared links DPDK's shared libraries (`pkg-config --libs libdpdk`, the example Makefile's default
# target); static links its archives with the arguments dprouter's meson build uses by default
# (scripts/dpdk-static-link-args.sh), for a comparison in which both programs are linked alike.
# Prints the path of the binary on stdout. The sources are copied first so nothing is written
# under /usr/share. OUTDIR is scratch space: never commit it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/build-bench/l3fwd}
link=${2:-shared}
examples=${DPDK_EXAMPLES:-/usr/share/dpdk/examples}
cc=${CC:-cc}

if [[ ! -d $examples/l3fwd ]]; then
    echo "build_l3fwd: $examples/l3fwd not found (install the dpdk-doc package)" >&2
    exit 1
fi
if ! pkg-config --exists libdpdk; then
    echo "build_l3fwd: pkg-config cannot find libdpdk (install libdpdk-dev)" >&2
    exit 1
fi

case $link in
    shared) read -r -a link_args <<< "$(pkg-config --libs libdpdk)" ;;
    static) link_args=$("$root/scripts/dpdk-static-link-args.sh"); mapfile -t link_args <<< "$link_args" ;;
    *) echo "build_l3fwd: link must be shared or static, not '$link'" >&2; exit 2 ;;
esac

mkdir -p "$out"
bin=$out/l3fwd
stamp=$out/.sources-from
# Rebuild when the binary is missing or the installed sources changed (e.g. a dpdk-doc upgrade).
srcid=$(cat "$examples"/l3fwd/*.[ch] "$examples"/common/*.h 2>/dev/null | sha256sum | cut -d' ' -f1)
srcid="$srcid $(pkg-config --modversion libdpdk) $link"
if [[ -x $bin && -f $stamp && "$(cat "$stamp")" == "$srcid" ]]; then
    echo "$bin"
    exit 0
fi

rm -rf "$out/src"
mkdir -p "$out/src"
cp -r "$examples/l3fwd" "$out/src/l3fwd"
[[ -d $examples/common ]] && cp -r "$examples/common" "$out/src/common"

# One local change, applied to the copy: l3fwd 22.11 always requests RTE_ETH_RX_OFFLOAD_CHECKSUM and
# exits when the port cannot do it; net_pcap cannot. Mask the request with the port's capabilities
# (the same thing it already does for the RSS hash functions). l3fwd never verifies IPv4 checksums
# in software ("this is checked in H/W"), so this changes no per-packet work.
f=$out/src/l3fwd/main.c
a1='local_port_conf.rx_adv_conf.rss_conf.rss_hf &='
a2='rxq_conf.offloads = port_conf.rxmode.offloads;'
if [[ $(grep -cF "$a1" "$f") != 1 || $(grep -cF "$a2" "$f") != 1 ]]; then
    echo "build_l3fwd: cannot find where to mask Rx offloads in main.c (l3fwd changed?)" >&2
    exit 1
fi
sed -i -e "/$a1/i\\\t\tlocal_port_conf.rxmode.offloads &= dev_info.rx_offload_capa; /* dprouter bench */" \
       -e "s|$a2|rxq_conf.offloads = port_conf.rxmode.offloads \\& dev_info.rx_offload_capa; /* dprouter bench */|" \
       "$f"
[[ $(grep -c 'dprouter bench' "$f") == 2 ]]

# The same translation units as the example's own Makefile (lpm_route_parse.c and
# em_route_parse.c are #included by l3fwd_lpm.c and l3fwd_em.c).
srcs=(main.c l3fwd_acl.c l3fwd_lpm.c l3fwd_fib.c l3fwd_em.c l3fwd_event.c
      l3fwd_event_generic.c l3fwd_event_internal_port.c)
# shellcheck disable=SC2046
(cd "$out/src/l3fwd" &&
    "$cc" -O3 $(pkg-config --cflags libdpdk) -DALLOW_EXPERIMENTAL_API -I../common \
        "${srcs[@]}" -o "$bin.tmp" "${link_args[@]}") >&2
mv "$bin.tmp" "$bin"
echo "$srcid" > "$stamp"
echo "$bin"
