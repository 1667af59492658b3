// One received burst as the vector path sees it between its phases: which packets are plain transit
// traffic of a family (a bit per packet), the lookup keys of those candidates for the bulk lookups,
// and what the lookup decided for each packet that stays on the fast path.
//
// The per-family parts sit side by side: the IPv4 candidates (4-byte keys for rte_fib) and the
// IPv6 ones (16-byte keys for rte_fib6); `fast`, `eth_head` / `eth_tail` and `egress` are shared,
// which is what the rewrite phase needs whatever the family, and `v6` says which family each
// fast packet is.
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
    // Ethernet addresses and port for all of them (the per-packet arrays are not filled). Set by
    // v4_lookup, and by v6_lookup for a whole burst of IPv6 packets fast to one port.
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

    // IPv6 candidates (fast_path_v6.hpp), in burst order: destination (network order, the key
    // rte_fib6 wants), index in the burst, and the IPv6 packet's length (40 + payload length).
    uint16_t v6_count = 0;
    alignas(16) uint8_t v6_dst[kMax][16];
    uint8_t v6_pkt[kMax];
    uint16_t v6_len[kMax];
    // Bit i: fast packet i is IPv6 (its rewrite decrements the hop limit, no checksum).
    uint32_t v6 = 0;

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
