// The order in which a whole table goes into an empty FIB (LiveFib's first load of an origin).
//
// DPDK 22.11's rte_fib keeps its routes in an rte_rib, a binary trie with one node per branching
// bit, and every rte_fib_add walks it from the root (exact lookup, insert, parent lookup, then the
// covered sub-prefixes). A million routes in the file's order make each walk a chain of cache
// misses through a trie of two million nodes; in address order consecutive walks share most of
// their path. With a shorter prefix before the longer ones it covers, an add whose covering route
// has the same next hop also ends before it writes DIR-24-8 at all (the parent already answers).
#pragma once

#include <cstdint>
#include <vector>

#include "dprouter/route_store.hpp"

namespace dprouter {

// Indexes into `routes`: IPv4 first, then IPv6, each by network address (numerically), then by
// prefix length, shorter first; the trie's pre-order. Stable for equal prefixes.
std::vector<uint32_t> trie_order(const std::vector<Route>& routes);

}  // namespace dprouter
