// The IPv6 phases of the burst-vector fast path, the second family next to fast_path_v4.hpp (see
// docs/architecture.md, "Phases of a burst").
//
// The same promise as for IPv4: a packet takes the fast path only when the scalar stages would do
// exactly one thing with it, decrement the hop limit, rewrite the Ethernet header for a resolved
// gateway and queue it on another port, and everything else goes to them untouched. IPv6 makes
// the rewrite cheaper (no header checksum, RFC 8200 3) and the classification stricter where the
// stages have more to say: a Hop-by-Hop Options header must be looked at by every router on the
// path (RFC 8200 4.3), link-local addresses never leave their link (RFC 4291 2.5.6, RFC 4007),
// hop limit <= 1 is owed Time Exceeded (RFC 8200 3, RFC 4443 3.3) and a packet larger than the
// egress MTU is owed Packet Too Big, never fragmented (RFC 8200 5). All of those stay with the
// stages; so do connected destinations (the neighbour cache lookup), unresolved gateways (Neighbor
// Discovery, RFC 4861 7.2), a packet leaving by its arrival interface (Redirect, RFC 4861 8.2) and
// interfaces that clamp the TCP MSS.
#pragma once

#include <cstddef>
#include <cstring>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "burst.hpp"
#include "dprouter/route_lookup.hpp"
#include "dprouter/tables.hpp"
#include "fast_path_v4.hpp"  // mac48, kMac48 (the MAC word layout), v4_port_eligible

namespace dprouter::fast {

inline constexpr uint32_t kFrameV6 = RTE_ETHER_HDR_LEN + sizeof(rte_ipv6_hdr);
inline constexpr unsigned kNextHeaderAt = RTE_ETHER_HDR_LEN + offsetof(rte_ipv6_hdr, proto);
inline constexpr unsigned kHopLimitAt = RTE_ETHER_HDR_LEN + offsetof(rte_ipv6_hdr, hop_limits);
inline constexpr unsigned kSrc6At = RTE_ETHER_HDR_LEN + offsetof(rte_ipv6_hdr, src_addr);
inline constexpr unsigned kDst6At = RTE_ETHER_HDR_LEN + offsetof(rte_ipv6_hdr, dst_addr);
inline constexpr uint8_t kNextHeaderHopByHop = 0;  // RFC 8200 4.3

// Bytes 12..15 of the frame as one little-endian word, masked to the EtherType and the version
// nibble: 86 DD, then 6 in the top four bits of byte 14 (the traffic class and flow label around it
// are the sender's business).
inline constexpr uint32_t kV6TypeMask = 0x00f0ffff;
inline constexpr uint32_t kV6TypeWord = 0x0060dd86;  // bytes 86 dd 6x (x86 and ARM are little-endian)

// May an address with this first byte be a forwarded packet's source and destination? Global
// unicast 2000::/3 (RFC 4291 2.4) and unique local fc00::/7 (RFC 4193), which routers forward
// like any unicast. Everything else goes to the stages: ::/8 (unspecified, loopback, IPv4-mapped
// and -compatible), fe80::/10 link-local and fec0::/10, ff00::/8 multicast, and the unassigned
// rest, whatever they then decide.
constexpr bool v6_forwardable_first_byte(uint32_t b) { return (b & 0xe0) == 0x20 || (b & 0xfe) == 0xfc; }

// The rule never lets through an address the input checks refuse on its first byte: multicast
// (ff), link-local (fe80::/10), and the ::/8 block that holds unspecified, loopback and IPv4-mapped.
constexpr bool v6_first_byte_rule_excludes_special() {
    for (uint32_t b = 0; b < 256; ++b)
        if (v6_forwardable_first_byte(b) && (b == 0x00 || b == 0xfe || b == 0xff)) return false;
    return true;
}
static_assert(v6_first_byte_rule_excludes_special());

// The same rule as a 256-entry table: one load per address instead of two masked compares each.
struct V6FirstBytes {
    uint8_t ok[256];
    constexpr V6FirstBytes() : ok{} {
        for (uint32_t i = 0; i < 256; ++i) ok[i] = v6_forwardable_first_byte(i) ? 1 : 0;
    }
};
inline constexpr V6FirstBytes kV6FirstBytes{};

// Can an IPv6 packet received on `rx_port` take the fast path? For the IPv4 reasons (no MSS
// clamping on the interface, not a group MAC), and the interface must run IPv6 (an MTU of at least
// 1280, RFC 8200 5).
inline bool v6_port_eligible(const Tables& t, uint16_t rx_port) {
    return t.ifaces[rx_port].ipv6 && t.fib6 != nullptr && v4_port_eligible(t, rx_port);
}

// Phase 1 for one packet (`p` its first byte): is it plain transit IPv6? On success `len` is the
// IPv6 packet's length (header included), to compare with the egress MTU after the lookup.
inline bool v6_plain(const Tables& t, const rte_mbuf* m, const uint8_t* p, uint64_t our_mac, uint16_t& len) {
    if (rte_pktmbuf_data_len(m) < kFrameV6) return false;  // header not all in the first segment
    uint64_t w0, w12;
    std::memcpy(&w0, p, sizeof w0);
    std::memcpy(&w12, p + 12, sizeof w12);
    // Our unicast MAC: not a link-layer multicast (those are the stages', ND above all), not
    // someone else's frame.
    if (((w0 ^ our_mac) << 16) != 0) return false;
    if ((static_cast<uint32_t>(w12) & kV6TypeMask) != kV6TypeWord) return false;
    // RFC 8200 3: the payload length is exactly what the frame carries after the header
    // (Ethernet padding to trim, truncation, and the jumbogram's 0 with a Hop-by-Hop option go to
    // the stages).
    const uint32_t payload = __builtin_bswap16(static_cast<uint16_t>(w12 >> 48));
    if (payload + kFrameV6 != rte_pktmbuf_pkt_len(m)) return false;
    // RFC 8200 4.3: Hop-by-Hop Options are examined by every node on the path: the stages'.
    if (p[kNextHeaderAt] == kNextHeaderHopByHop) return false;
    // RFC 8200 3 / RFC 4443 3.3: a hop limit that would reach 0 is owed Time Exceeded.
    if (p[kHopLimitAt] <= 1) return false;
    if ((kV6FirstBytes.ok[p[kSrc6At]] & kV6FirstBytes.ok[p[kDst6At]]) == 0) return false;
    len = static_cast<uint16_t>(payload + sizeof(rte_ipv6_hdr));
    // One of our own addresses as the source of a packet from outside: the stages refuse it.
    return !t.is_local6(p + kSrc6At);
}

// Phase 1 over the burst: the IPv6 candidates' destinations packed for the bulk lookup. Runs after
// the IPv4 classify, on bursts it did not claim entirely.
inline void v6_classify(const Tables& t, rte_mbuf* const* pkts, Burst& b) {
    const uint64_t our_mac = mac48(t.ifaces[b.rx_port].mac);
    const uint16_t n = b.n;  // a local: the key copies below may alias b.n for the compiler
    uint16_t c = 0;
    for (uint16_t i = 0; i < n; ++i) {
        const rte_mbuf* m = pkts[i];
        uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
        uint16_t len;
        if (!v6_plain(t, m, p, our_mac, len)) continue;
        b.data[i] = p;
        std::memcpy(b.v6_dst[c], p + kDst6At, 16);
        b.v6_len[c] = len;
        b.v6_pkt[c] = static_cast<uint8_t>(i);
        ++c;
    }
    b.v6_count = c;
}

// What an IPv6 next hop means for the fast path, worked out once per distinct next hop in a burst.
struct V6HopVerdict {
    bool fast = false;  // forward out of another port to a resolved gateway, no MSS clamping there
    uint16_t mtu = 0;   // the egress MTU: longer packets are owed Packet Too Big (the stages')
    uint16_t port = 0;
    uint64_t eth_head = 0;  // destination MAC and the first two bytes of the source, as stored
    uint32_t eth_tail = 0;  // the last four bytes of the source MAC
};

// Phase 3 for one next hop. Anything but "forward to a reachable gateway out of another port with
// no clamping" is the stages' business: no route (Destination Unreachable 0), local delivery,
// blackhole / unreachable / prohibit routes, the Redirect case (RFC 4861 8.2), an on-link
// destination (the neighbour cache), a gateway that Neighbor Discovery has not confirmed (hold
// queue, probes, Address Unreachable).
inline V6HopVerdict v6_hop_verdict(const Tables& t, uint16_t rx_port, uint64_t hop) {
    V6HopVerdict v;
    const NextHop6* nh = next_hop6_at(t, hop);
    if (nh == nullptr || nh->action != NextHopAction::forward) return v;
    if (nh->port == rx_port || !nh->has_gateway()) return v;
    const InterfaceEntry& egress = t.ifaces[nh->port];
    if (egress.tcp_mss_clamp != 0) return v;
    const PackedNeighbor l2{nh->l2.load(std::memory_order_acquire)};
    if (l2.state() != NeighborState::reachable) return v;
    const uint64_t src = mac48(egress.mac);
    v.fast = true;
    v.mtu = egress.mtu;
    v.port = nh->port;
    v.eth_head = (l2.word & kMac48) | src << 48;
    v.eth_tail = static_cast<uint32_t>(src >> 16);
    return v;
}

// Phases 2 and 3: one rte_fib6 bulk lookup for every IPv6 candidate of the burst, then each
// candidate's next-hop verdict (reused while consecutive candidates share one) and its length
// against that egress MTU. Adds to the burst's fast mask; the single-port TX append is claimed only
// for bursts the IPv4 phases left no fast packet in (a burst is one family in practice), and a
// whole burst of candidates through one next hop takes one verdict (and Burst::one_hop).
inline void v6_lookup(const Tables& t, Burst& b) {
    const unsigned n = b.v6_count;
    alignas(64) uint64_t hop[Burst::kMax];
    route6_lookup_bulk(t, b.v6_dst, hop, n);
    if (n == b.n) {
        // The whole burst is IPv6 candidates (so there is no IPv4 packet in it). If they share one
        // next hop, one verdict and one MTU test (the longest packet) decide for all, as the loop
        // below would packet by packet; then, as for IPv4, that next hop's words and port are in
        // slot 0 only (Burst::one_hop) and the rewrite phase stores the same words in every packet.
        uint64_t differ = 0;
        uint32_t longest = 0;
        for (unsigned c = 0; c < n; ++c) {
            differ |= hop[c] ^ hop[0];
            longest = longest > b.v6_len[c] ? longest : b.v6_len[c];
        }
        if (differ == 0) {
            const V6HopVerdict v = v6_hop_verdict(t, b.rx_port, hop[0]);
            if (v.fast && longest <= v.mtu) {
                const uint32_t all = n == 32 ? ~0u : (1u << n) - 1;
                b.v6 = all;
                b.fast = all;
                b.all_fast_one_port = true;
                b.one_hop = true;
                b.eth_head[0] = v.eth_head;
                b.eth_tail[0] = v.eth_tail;
                b.egress[0] = v.port;
                return;
            }
        }
    }
    if (b.one_hop) {
        // The IPv4 phases left their one next hop's words in slot 0 only; IPv6 packets fill
        // slots of their own, so spread those words to every IPv4 fast packet first.
        for (uint32_t m = b.fast; m != 0; m &= m - 1) {
            const unsigned i = static_cast<unsigned>(__builtin_ctz(m));
            b.eth_head[i] = b.eth_head[0];
            b.eth_tail[i] = b.eth_tail[0];
            b.egress[i] = b.egress[0];
        }
        b.one_hop = false;
    }
    uint64_t last = kNoRoute6Index + 1;  // no lookup answers this
    V6HopVerdict v;
    uint32_t fast = 0;
    uint32_t ports = 0;
    for (unsigned c = 0; c < n; ++c) {
        if (hop[c] != last) {
            v = v6_hop_verdict(t, b.rx_port, hop[c]);
            last = hop[c];
        }
        if (!v.fast || b.v6_len[c] > v.mtu) continue;
        const unsigned i = b.v6_pkt[c];
        b.eth_head[i] = v.eth_head;
        b.eth_tail[i] = v.eth_tail;
        b.egress[i] = v.port;
        fast |= 1u << i;
        ports |= 1u << v.port;
    }
    const bool v4_fast = b.fast != 0;
    b.v6 = fast;
    b.fast |= fast;
    b.all_fast_one_port =
        !v4_fast && fast == (b.n == 32 ? ~0u : (1u << b.n) - 1) && (ports & (ports - 1)) == 0;
}

// Phase 4 for one fast IPv6 packet: hop limit - 1 (RFC 8200 3; no checksum covers it), then the
// Ethernet addresses prepared by v6_lookup, one 8-byte and one 4-byte store.
inline void v6_rewrite_with(uint8_t* p, uint64_t eth_head, uint32_t eth_tail) {
    --p[kHopLimitAt];
    std::memcpy(p, &eth_head, sizeof eth_head);
    std::memcpy(p + sizeof eth_head, &eth_tail, sizeof eth_tail);
}

// The same for packet i of a burst, with its own words (slot 0's in a one-hop burst).
inline void v6_rewrite(const Burst& b, unsigned i) {
    const unsigned k = b.one_hop ? 0 : i;
    v6_rewrite_with(b.data[i], b.eth_head[k], b.eth_tail[k]);
}

}  // namespace dprouter::fast
