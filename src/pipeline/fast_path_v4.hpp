// The IPv4 phases of the burst-vector fast path (see docs/architecture.md, "Phases of a burst").
//
// A packet takes the fast path only when the scalar stages would do exactly one thing with it:
// decrement TTL, rewrite the Ethernet header for a resolved gateway and queue it on another port.
// The phases prove that with the same rules the stages apply (RFC 1812 5.2.2 input checks, 5.3.7
// martians, 5.3.4 link-layer broadcasts, 5.3.1 TTL, the egress MTU, redirects, MSS clamping) and
// send everything else to the stages untouched, so the two paths produce the same bytes and the
// same counters. Nothing here allocates, locks or branches on data an attacker controls beyond a
// predictable "is it plain?" test per packet.
#pragma once

#include <cstddef>
#include <cstring>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "burst.hpp"
#include "dprouter/checksum.hpp"
#include "dprouter/route_lookup.hpp"
#include "dprouter/tables.hpp"
#include "stage_ipv4_input.hpp"

namespace dprouter::fast {

inline constexpr uint64_t kMac48 = 0x0000ffffffffffffull;

inline constexpr uint32_t kFrameV4 = RTE_ETHER_HDR_LEN + sizeof(rte_ipv4_hdr);

// Byte order on the fast path: the compiler's builtins rather than rte_be_to_cpu_16, whose x86
// version is an `xchg %al,%ah` in inline assembly (a partial-register merge the compiler can
// neither schedule nor fold into a load). The hot path is little-endian only (as PackedNeighbor).
static_assert(RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN);
constexpr uint16_t be16_to_host(uint16_t v) { return __builtin_bswap16(v); }

// The 6 bytes of a MAC as the low 48 bits of a word, in memory order (the PackedNeighbor layout).
inline uint64_t mac48(const rte_ether_addr& a) {
    uint64_t w = 0;
    std::memcpy(&w, a.addr_bytes, RTE_ETHER_ADDR_LEN);
    return w;
}

inline constexpr unsigned kSrcFirst = RTE_ETHER_HDR_LEN + offsetof(rte_ipv4_hdr, src_addr);
inline constexpr unsigned kDstFirst = RTE_ETHER_HDR_LEN + offsetof(rte_ipv4_hdr, dst_addr);

// May an address with this first octet be a forwarded packet's source and destination? 1..126
// and 128..223: what is left once the input stage has refused martian sources and destinations
// (RFC 1812 5.3.7) and the multicast / broadcast destinations it does not forward (>= 224/4).
// Two compares instead of the stage's three predicates; the static_assert below proves they agree.
constexpr bool v4_forwardable_first_octet(uint32_t first) { return first - 1 < 223 && first != 127; }

constexpr bool v4_first_octet_rule_matches_stages() {
    for (uint32_t first = 0; first < 256; ++first) {
        for (const uint32_t low : {0x000000u, 0x123456u, 0xffffffu}) {
            const uint32_t a = first << 24 | low;
            const bool stages_forward_src = !stage::martian_source(a);
            const bool stages_forward_dst = !stage::martian_destination(a) && a < 0xe0000000u;
            if (v4_forwardable_first_octet(first) != stages_forward_src ||
                v4_forwardable_first_octet(first) != stages_forward_dst)
                return false;
        }
    }
    return true;
}
static_assert(v4_first_octet_rule_matches_stages());

// The same rule as a 256-entry table: one load per octet instead of two compares and branches.
struct V4FirstOctets {
    uint8_t ok[256];
    constexpr V4FirstOctets() : ok{} {
        for (uint32_t i = 0; i < 256; ++i) ok[i] = v4_forwardable_first_octet(i) ? 1 : 0;
    }
};
inline constexpr V4FirstOctets kV4FirstOctets{};

// Can any packet received on `rx_port` take the fast path? Not when the ingress interface clamps
// the MSS (the clamp stage must see every SYN), nor when its MAC is a group address (every frame
// to it would be a link-layer broadcast, RFC 1812 5.3.4).
inline bool v4_port_eligible(const Tables& t, uint16_t rx_port) {
    const InterfaceEntry& in = t.ifaces[rx_port];
    return in.tcp_mss_clamp == 0 && !rte_is_multicast_ether_addr(&in.mac);
}

// Phase 1 for one packet (`p` its first byte): is it plain transit IPv4? Every test is one the
// scalar stages make, with the outcome that lets them reach the forwarding step; a packet failing
// any goes to them whole. On success `dst` is its destination (host order) and `len` its total
// length.
inline bool v4_plain(const Tables& t, const rte_mbuf* m, const uint8_t* p, uint64_t our_mac, uint32_t& dst,
                     uint16_t& len, bool& expired) {
    if (rte_pktmbuf_data_len(m) < kFrameV4) return false;  // header not all in the first segment
    // Bytes 0..7: the destination MAC (and 2 bytes of the source, shifted out); bytes 12..19:
    // EtherType, version/IHL, TOS, total length, ID, as stored.
    uint64_t w0, w12;
    std::memcpy(&w0, p, sizeof w0);
    std::memcpy(&w12, p + 12, sizeof w12);
    // Our unicast MAC (so not a link-layer broadcast, RFC 1812 5.3.4); IPv4 with version 4 and
    // no options (08 00 45); total length exactly what the frame carries (padding to trim, or a
    // truncated datagram: the stages).
    if (((w0 ^ our_mac) << 16) != 0) return false;
    if ((w12 & 0xffffff) != 0x450008) return false;
    len = be16_to_host(static_cast<uint16_t>(w12 >> 32));
    if (len + uint32_t{RTE_ETHER_HDR_LEN} != rte_pktmbuf_pkt_len(m)) return false;
    const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(p + RTE_ETHER_HDR_LEN);
    // RFC 1812 5.3.1: TTL <= 1 stays a candidate, marked; what its route says decides (phase 3).
    expired = ip->time_to_live <= 1;
    // RFC 1812 5.3.7 martians and anything at or above 224/4 (multicast, class E, broadcast), on
    // the first octets (see v4_forwardable_first_octet).
    if ((kV4FirstOctets.ok[p[kSrcFirst]] & kV4FirstOctets.ok[p[kDstFirst]]) == 0) return false;
    dst = __builtin_bswap32(ip->dst_addr);
    // The checksum: trusted from the Rx offload when the PMD vouches for it, else the five-word
    // sum; an offload that says "bad" sends the packet to the stages, which count it.
    const uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
    if (ck != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
        (ck == RTE_MBUF_F_RX_IP_CKSUM_BAD || !ipv4_header20_checksum_ok(ip)))
        return false;
    return !t.is_local_source(ip->src_addr);
}

// Phase 1 over the burst: where each frame starts, and the candidates' destinations packed for the
// bulk lookup. There is no separate prefetch pass: iterations are independent, so the core already
// overlaps the header loads of the burst (on a NIC, where DMA left them in the LLC), and where the
// PMD has just written the frames (net_pcap copies them) a prefetcht0 per frame measured 3 cycles a
// packet for nothing.
inline void v4_classify(const Tables& t, rte_mbuf* const* pkts, Burst& b) {
    const uint64_t our_mac = mac48(t.ifaces[b.rx_port].mac);
    uint16_t c = 0;
    uint32_t expired_mask = 0;
    for (uint16_t i = 0; i < b.n; ++i) {
        const rte_mbuf* m = pkts[i];
        uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
        b.data[i] = p;
        uint32_t dst;
        uint16_t len;
        bool expired;
        if (!v4_plain(t, m, p, our_mac, dst, len, expired)) continue;
        b.v4_dst[c] = dst;
        b.v4_len[c] = len;
        expired_mask |= uint32_t{expired} << c;
        b.v4_pkt[c] = static_cast<uint8_t>(i);
        ++c;
    }
    b.v4_count = c;
    b.v4_expired = expired_mask;
}

// What a route's next hop means for the fast path, worked out once per distinct next hop in a
// burst (bursts mostly share a few).
struct V4HopVerdict {
    bool forward = false;   // the route forwards: an expired datagram gets time exceeded
    bool fast = false;      // forward out of another port to a resolved gateway, no MSS clamping
    uint16_t mtu = 0;       // the egress MTU: longer datagrams are the stages' (frag needed / fragment)
    uint16_t port = 0;
    uint64_t eth_head = 0;  // the new Ethernet addresses, as v4_rewrite stores them
    uint32_t eth_tail = 0;
};

// Phase 3 for one next hop: does it say "forward out of another port to a resolved gateway, with
// no MSS clamping there"? Anything else (no route, local, broadcast, blackhole/unreachable/
// prohibit, a redirect candidate leaving by its arrival port, an on-link destination that needs the
// neighbour hash, an unresolved or failed gateway, clamping) is the stages' business.
inline V4HopVerdict v4_hop_verdict(const Tables& t, uint16_t rx_port, uint64_t hop) {
    V4HopVerdict v;
    const NextHop* nh = next_hop_at(t, hop);  // null for a miss (a default route is an ordinary route)
    if (nh == nullptr || nh->action != NextHopAction::forward) return v;
    v.forward = true;
    if (nh->port == rx_port || nh->gateway_be == 0) return v;
    const InterfaceEntry& egress = t.ifaces[nh->port];
    if (egress.tcp_mss_clamp != 0) return v;
    const PackedNeighbor l2{nh->l2.load(std::memory_order_acquire)};
    if (l2.state() != NeighborState::reachable) return v;
    uint16_t src_lo;
    uint32_t src_hi;
    std::memcpy(&src_lo, egress.mac.addr_bytes, sizeof src_lo);
    std::memcpy(&src_hi, egress.mac.addr_bytes + sizeof src_lo, sizeof src_hi);
    v.fast = true;
    v.mtu = egress.mtu;
    v.port = nh->port;
    v.eth_head = (l2.word & kMac48) | uint64_t{src_lo} << 48;
    v.eth_tail = src_hi;
    return v;
}

// Phases 2 and 3: one rte_fib bulk lookup for every candidate of the burst (the FIB's scalar or
// AVX-512 lookup, chosen when the table was built), then the verdict of each candidate's next hop
// (reused while consecutive candidates share one) and its length against that egress MTU.
inline void v4_lookup(const Tables& t, Burst& b) {
    const unsigned n = b.v4_count;
    alignas(64) uint64_t hop[Burst::kMax];
    if (n != 0) route_lookup_bulk(t, b.v4_dst, hop, n);
    uint64_t last = kNoRouteIndex + 1;  // no lookup answers this
    V4HopVerdict v;
    uint32_t fast = 0;
    uint32_t expired = 0;
    uint32_t ports = 0;  // bit p: some fast packet leaves by port p
    for (unsigned c = 0; c < n; ++c) {
        if (hop[c] != last) {
            v = v4_hop_verdict(t, b.rx_port, hop[c]);
            last = hop[c];
            if (v.fast) ports |= 1u << v.port;
        }
        if ((b.v4_expired >> c) & 1u) [[unlikely]] {
            // RFC 1812 5.3.1 is the first test forward_transit makes, so a plain datagram with
            // TTL <= 1 on a forwarding route gets time exceeded whatever the rest of the route.
            if (v.forward) expired |= 1u << b.v4_pkt[c];
            continue;
        }
        if (!v.fast || b.v4_len[c] > v.mtu) continue;
        const unsigned i = b.v4_pkt[c];
        b.eth_head[i] = v.eth_head;
        b.eth_tail[i] = v.eth_tail;
        b.egress[i] = v.port;
        fast |= 1u << i;
    }
    b.fast = fast;
    b.expired = expired;
    // One egress port for the whole burst, every packet fast: the common case pipeline_run
    // hands to TX in one piece.
    b.all_fast_one_port = fast == (b.n == 32 ? ~0u : (1u << b.n) - 1) && (ports & (ports - 1)) == 0;
}

// Phase 4 for one fast packet: TTL - 1 with the RFC 1624 checksum update (the function the stages
// use, so the bytes are the same), then the Ethernet addresses prepared by v4_lookup: the
// gateway's MAC and the egress port's own as source, one 8-byte and one 4-byte store.
inline void v4_rewrite(const Burst& b, unsigned i) {
    uint8_t* p = b.data[i];
    ipv4_decrement_ttl(reinterpret_cast<rte_ipv4_hdr*>(p + RTE_ETHER_HDR_LEN));
    std::memcpy(p, &b.eth_head[i], sizeof b.eth_head[i]);
    std::memcpy(p + sizeof b.eth_head[i], &b.eth_tail[i], sizeof b.eth_tail[i]);
}

}  // namespace dprouter::fast
