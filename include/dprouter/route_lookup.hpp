// IPv4 route lookup in the forwarding tables' rte_fib (DIR-24-8), one destination or a burst.
//
// Contract of the bulk helper, for the burst fast paths: route_lookup_bulk fills hop_index[i] for
// dst_host[i] (host byte order), i < n, with the index of the longest matching prefix's next hop,
// or kNoRouteIndex when none matches (a 0.0.0.0/0 route matches everything); next_hop_at turns an
// index into the NextHop, nullptr for kNoRouteIndex. Any n works; bursts of 32 or 64 amortise the
// call through the fib's lookup pointer (scalar or AVX-512, chosen once when the table is built).
#pragma once

#include <cstdint>
#include <cstring>

#include <rte_fib.h>
#include <rte_fib6.h>

#include "dprouter/tables.hpp"

namespace dprouter {

inline void route_lookup_bulk(const Tables& t, const uint32_t* dst_host, uint64_t* hop_index, unsigned n) {
    // rte_fib_lookup_bulk only reads the addresses; its prototype lacks the const.
    rte_fib_lookup_bulk(t.fib, const_cast<uint32_t*>(dst_host), hop_index, static_cast<int>(n));
}

inline const NextHop* next_hop_at(const Tables& t, uint64_t hop_index) {
    if (hop_index == kNoRouteIndex) [[unlikely]] return nullptr;
    return &t.nexthops[hop_index];
}

// One destination (host order): its next hop, the default route's if only that matches, else nullptr.
inline const NextHop* route_lookup(const Tables& t, uint32_t dst_host) {
    uint64_t idx;
    route_lookup_bulk(t, &dst_host, &idx, 1);
    return next_hop_at(t, idx);
}

// IPv6: the same contract over the rte_fib6 TRIE; keys are 16-byte addresses in network order.
inline void route6_lookup_bulk(const Tables& t, const uint8_t (*dst)[16], uint64_t* hop_index, unsigned n) {
    rte_fib6_lookup_bulk(t.fib6, const_cast<uint8_t (*)[16]>(dst), hop_index, static_cast<int>(n));
}

inline const NextHop6* next_hop6_at(const Tables& t, uint64_t hop_index) {
    if (hop_index == kNoRoute6Index) [[unlikely]] return nullptr;
    return &t.nexthops6[hop_index];
}

inline const NextHop6* route6_lookup(const Tables& t, const uint8_t* dst16) {
    alignas(16) uint8_t key[1][16];
    std::memcpy(key[0], dst16, 16);
    uint64_t idx;
    route6_lookup_bulk(t, key, &idx, 1);
    return next_hop6_at(t, idx);
}

}  // namespace dprouter
