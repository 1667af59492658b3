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

// ECMP (live FIB): the member of multipath next hop `nh` for a flow hash. The high bits pick it
// (hash * n / 2^32), not hash % n: an RSS hash's low bits already chose the queue, so on one worker
// they are nearly constant. Same hash, same members: same choice (a flow keeps its path).
inline const NextHop* ecmp_member(const Tables& t, const NextHop* nh, uint32_t hash) {
    const uint32_t k = static_cast<uint32_t>((uint64_t{hash} * nh->n_paths) >> 32);
    return &t.nexthops[t.groups4[static_cast<size_t>(nh - t.nexthops) * kMaxEcmpPaths + k]];
}
inline const NextHop6* ecmp_member6(const Tables& t, const NextHop6* nh, uint32_t hash) {
    const uint32_t k = static_cast<uint32_t>((uint64_t{hash} * nh->n_paths) >> 32);
    return &t.nexthops6[t.groups6[static_cast<size_t>(nh - t.nexthops6) * kMaxEcmpPaths + k]];
}
// A hash of a destination alone, for what the router itself sends (replies, ICMP errors): one path
// per destination. Fibonacci hashing: the multiply spreads the address into the high bits.
inline uint32_t destination_hash(uint32_t v) { return static_cast<uint32_t>((v * 0x9e3779b97f4a7c15ull) >> 32); }

// One destination (host order), multipath resolved by the destination: the FIB's next hop (a
// multipath one as is), the default route's if only that matches, else nullptr.
inline const NextHop* route_lookup_raw(const Tables& t, uint32_t dst_host) {
    uint64_t idx;
    route_lookup_bulk(t, &dst_host, &idx, 1);
    return next_hop_at(t, idx);
}

// One destination (host order): its next hop, the default route's if only that matches, else nullptr.
// A multipath route answers one of its members, chosen by the destination.
inline const NextHop* route_lookup(const Tables& t, uint32_t dst_host) {
    const NextHop* nh = route_lookup_raw(t, dst_host);
    if (nh != nullptr && nh->action == NextHopAction::multipath) [[unlikely]]
        nh = ecmp_member(t, nh, destination_hash(dst_host));
    return nh;
}

// IPv6: the same contract over the rte_fib6 TRIE; keys are 16-byte addresses in network order.
inline void route6_lookup_bulk(const Tables& t, const uint8_t (*dst)[16], uint64_t* hop_index, unsigned n) {
    rte_fib6_lookup_bulk(t.fib6, const_cast<uint8_t (*)[16]>(dst), hop_index, static_cast<int>(n));
}

inline const NextHop6* next_hop6_at(const Tables& t, uint64_t hop_index) {
    if (hop_index == kNoRoute6Index) [[unlikely]] return nullptr;
    return &t.nexthops6[hop_index];
}

inline const NextHop6* route6_lookup_raw(const Tables& t, const uint8_t* dst16) {
    alignas(16) uint8_t key[1][16];
    std::memcpy(key[0], dst16, 16);
    uint64_t idx;
    route6_lookup_bulk(t, key, &idx, 1);
    return next_hop6_at(t, idx);
}

inline const NextHop6* route6_lookup(const Tables& t, const uint8_t* dst16) {
    const NextHop6* nh = route6_lookup_raw(t, dst16);
    if (nh != nullptr && nh->action == NextHopAction::multipath) [[unlikely]] {
        uint64_t a, b;
        std::memcpy(&a, dst16, 8);
        std::memcpy(&b, dst16 + 8, 8);
        nh = ecmp_member6(t, nh, destination_hash(static_cast<uint32_t>(a ^ (a >> 32) ^ b ^ (b >> 32))));
    }
    return nh;
}

}  // namespace dprouter
