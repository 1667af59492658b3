// What a live FIB of given limits costs in EAL memory, and the start-up check that refuses limits
// the EAL cannot hold (docs/configuration.md "control_plane.max_routes").
//
// Everything is allocated when the live FIB is created: rte_fib_create and rte_fib6_create
// allocate their tables and the mempool of their rte_rib trie at once, for two copies per family
// (live_fib.hpp). A limit that does not fit therefore fails at start, not at the millionth route;
// this check only makes that failure say what to change.
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <string>

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mempool.h>

#include "dprouter/live_fib.hpp"

namespace dprouter {
namespace {

constexpr size_t kMiB = 1u << 20;

// DPDK 22.11's private trie nodes (lib/rib/rte_rib.c, rte_rib6.c): three pointers, the next hop,
// the address, depth and a flag; 40 and 56 bytes. rte_fib reserves two nodes per route (the
// route's and a branching one), in a mempool of cache-aligned objects.
constexpr uint32_t kRibNodeBytes = 40;
constexpr uint32_t kRib6NodeBytes = 56;

size_t rib_bytes(uint32_t routes, uint32_t node_bytes) {
    const size_t nodes = 2 * size_t{routes};
    const size_t obj = rte_mempool_calc_obj_size(node_bytes, 0, nullptr);
    return nodes * obj + size_t{rte_align32pow2(static_cast<uint32_t>(nodes) + 1)} * sizeof(void*);  // + its ring
}

// Free 2 MiB (or default-size) hugepages the EAL could still map, from /proc/meminfo.
size_t free_hugepage_bytes() {
    std::ifstream in("/proc/meminfo");
    std::string key;
    size_t value = 0, free_pages = 0, page_kib = 0;
    std::string unit;
    while (in >> key >> value) {
        if (key == "HugePages_Free:") free_pages = value;
        else if (key == "Hugepagesize:") page_kib = value;
        std::getline(in, unit);
    }
    return free_pages * page_kib * 1024;
}

}  // namespace

size_t live_fib_bytes(const LiveFibLimits& l) {
    // DIR-24-8: a 2^24-entry tbl24 and 256-entry tbl8 groups (one spare), 4-byte next hops.
    const size_t fib4 = (size_t{1} << 24) * 4 + (size_t{l.tbl8_4} + 1) * 256 * 4 + rib_bytes(l.routes4, kRibNodeBytes);
    // TRIE: the same, plus its pool of free group numbers.
    const size_t fib6 = (size_t{1} << 24) * 4 + (size_t{l.tbl8_6} + 1) * 256 * 4 + size_t{l.tbl8_6} * 4 +
                        rib_bytes(l.routes6, kRib6NodeBytes);
    // Next-hop slots and their multipath members (shared by both copies), and the defer queue.
    const size_t slots = size_t{l.nexthops4} * (sizeof(NextHop) + 4 * kMaxEcmpPaths) +
                         size_t{l.nexthops6} * (sizeof(NextHop6) + 4 * kMaxEcmpPaths) +
                         size_t{rte_align32pow2(l.nexthops4 + l.nexthops6 + 1)} * 16;
    return 2 * (fib4 + fib6) + slots;
}

size_t eal_memory_available() {
    size_t free_bytes = 0;
    for (unsigned s = 0; s < rte_socket_count(); ++s) {
        rte_malloc_socket_stats st{};
        if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(s), &st) == 0) free_bytes += st.heap_freesz_bytes;
    }
    // With hugepages the EAL maps more on demand (not with --no-huge: -m is all it has).
    if (rte_eal_has_hugepages()) free_bytes += free_hugepage_bytes();
    return free_bytes;
}

std::string check_live_fib_memory(const Config& cfg, const LiveFibLimits& l, size_t available) {
    const size_t need = live_fib_bytes(l);
    if (need <= available) return {};
    const ControlPlaneConfig& cp = cfg.control_plane;
    char msg[512];
    std::snprintf(msg, sizeof msg,
                  "the live FIB for %" PRIu32 " IPv4 and %" PRIu32 " IPv6 routes (control_plane.max_routes %u, "
                  "max_routes6 %u; two copies of each FIB) needs about %zu MiB of EAL memory, and %zu MiB are "
                  "left: give the EAL more (-m, hugepages) or lower max_routes / max_routes6",
                  l.routes4, l.routes6, cp.max_routes, cp.max_routes6, (need + kMiB - 1) / kMiB, available / kMiB);
    return msg;
}

}  // namespace dprouter
