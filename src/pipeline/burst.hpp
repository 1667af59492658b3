// One received burst as the vector path sees it between its phases: which packets are plain transit
// traffic of a family (a bit per packet), the lookup keys of those candidates for the bulk lookups,
// and what the lookup decided for each packet that stays on the fast path.
//
// The per-family parts sit side by side: IPv4 today; IPv6 adds its own candidate mask and keys
// (16-byte keys for rte_fib6 bulk lookups) next to the v4 ones, and shares `fast`, `l2` and
// `egress`, which are what the rewrite phase needs whatever the family.
#pragma once

#include <cstdint>

#include "dprouter/limits.hpp"

namespace dprouter::fast {

struct Burst {
    // Packets handled per vector: the masks are 32-bit. pipeline_run cuts longer arrays into
    // pieces of this size, in order.
    static constexpr unsigned kMax = 32;
    static_assert(kRxBurst <= kMax);

    uint16_t n = 0;
    uint16_t rx_port = 0;
    // Bit i: packet i leaves by the fast path (set by the lookup phase, from the classify
    // phase's candidates). Every other packet goes through the scalar stages at its position.
    uint32_t fast = 0;
    // Bit i: packet i is plain but for TTL <= 1 and its route forwards: time exceeded, without the
    // stages' parsing (RFC 1812 5.3.1; stage::refuse_expired).
    uint32_t expired = 0;
    // Every packet fast, all to one egress port (then egress[0] is that port).
    bool all_fast_one_port = false;
    // Every fast packet goes through one next hop: eth_head[0] / eth_tail[0] / egress[0] hold its
    // Ethernet addresses and port for all of them (the per-packet arrays are not filled).
    bool one_hop = false;

    // IPv4 candidates. The arrays are indexed by the packet's position in the burst, so the
    // classify phase needs no compaction and the bulk lookup runs over all n entries (a
    // non-candidate's key is 0 and its answer ignored).
    uint32_t v4_cand = 0;     // bit i: packet i is plain transit IPv4 (TTL aside)
    uint32_t v4_expired = 0;  // bit i: candidate i arrived with TTL <= 1
    uint16_t v4_count = 0;    // candidates (popcount of v4_cand)
    alignas(32) uint32_t v4_dst[kMax];  // destination, host order (the key rte_fib wants)
    alignas(32) uint32_t v4_len[kMax];  // total length, for the egress MTU test after the lookup
    // Bytes 22..25 of the frame (TTL, protocol, header checksum) as they must be after the TTL
    // decrement (RFC 1624 update): what the rewrite phase stores.
    alignas(32) uint32_t v4_ttl_word[kMax];

    // Where each packet's frame starts (mtod), read once in the classify phase.
    uint8_t* data[kMax];

    // Per fast packet (indexed by position in the burst): the new first 12 bytes of its Ethernet
    // header, the next hop's MAC and the egress port's, as an 8-byte and a 4-byte word ready to
    // store; and the egress port.
    uint64_t eth_head[kMax];
    uint32_t eth_tail[kMax];
    uint16_t egress[kMax];
};

}  // namespace dprouter::fast
