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

#include <atomic>
#include <cstddef>
#include <cstring>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "burst.hpp"
#include "dprouter/checksum.hpp"
#include "dprouter/route_lookup.hpp"
#include "dprouter/tables.hpp"
#include "fast_path_v4_avx2.hpp"
#include "fast_path_v4_avx512.hpp"
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

// Bytes 22..25 of an IPv4 frame (TTL, protocol, checksum as stored, read little-endian) after
// ipv4_decrement_ttl: TTL - 1 and HC' = ~(~HC + 0xFFFE) folded once, the same arithmetic, so the
// bytes are the same (tests/unit/test_fast_path.cpp compares the two for every checksum value).
// Only for TTL >= 2 (the low byte does not borrow).
constexpr uint32_t v4_ttl_word_decremented(uint32_t w) {
    uint32_t sum = ((w >> 16) ^ 0xffffu) + 0xfffeu;
    sum = (sum & 0xffff) + (sum >> 16);
    return ((w & 0xffff) - 1) | ((~sum & 0xffff) << 16);
}
inline constexpr unsigned kTtlFirst = RTE_ETHER_HDR_LEN + offsetof(rte_ipv4_hdr, time_to_live);
static_assert(offsetof(rte_ipv4_hdr, next_proto_id) == offsetof(rte_ipv4_hdr, time_to_live) + 1 &&
              offsetof(rte_ipv4_hdr, hdr_checksum) == offsetof(rte_ipv4_hdr, time_to_live) + 2);

// Phase 1 over the burst, one packet at a time (the baseline build; see v4_classify_avx2 for the
// eight-at-a-time variant): where each frame starts, and per candidate its destination, length
// and decremented TTL word. There is no separate prefetch pass: iterations are independent, so
// the core already overlaps the header loads of the burst (on a NIC, where DMA left them in the
// LLC), and where the PMD has just written the frames (net_pcap copies them) a prefetcht0 per
// frame measured 3 cycles a packet for nothing.
inline void v4_classify_scalar(const Tables& t, rte_mbuf* const* pkts, Burst& b) {
    const uint64_t our_mac = mac48(t.ifaces[b.rx_port].mac);
    uint32_t cand = 0;
    uint32_t expired_mask = 0;
    for (unsigned i = 0; i < b.n; ++i) {
        const rte_mbuf* m = pkts[i];
        uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
        b.data[i] = p;
        uint32_t dst;
        uint16_t len;
        bool expired;
        if (!v4_plain(t, m, p, our_mac, dst, len, expired)) {
            b.v4_dst[i] = 0;
            continue;
        }
        uint32_t w;
        std::memcpy(&w, p + kTtlFirst, sizeof w);
        b.v4_dst[i] = dst;
        b.v4_len[i] = len;
        b.v4_ttl_word[i] = v4_ttl_word_decremented(w);
        cand |= 1u << i;
        expired_mask |= uint32_t{expired} << i;
    }
    b.v4_cand = cand;
    b.v4_expired = expired_mask;
    b.v4_count = static_cast<uint16_t>(__builtin_popcount(cand));
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

// Phase 1 with the widest variant this CPU and the EAL allow: AVX-512 (sixteen packets a step)
// when the CPU has AVX-512 F and BW and the EAL's max SIMD bitwidth permits 512-bit vectors (the
// router raises it to 512 on CPUs with AVX-512 F/DQ/BW, simd_policy.hpp; --force-max-simd-bitwidth
// =256 keeps AVX2); else AVX2 when the CPU has it and the bitwidth is at least 256 (DPDK's default
// on x86), as DPDK's own libraries choose; else one packet at a time. Decided at the first burst
// (after rte_eal_init) and kept; tests may force any variant up to the best (each wider one
// implies the narrower).
enum class V4Classify : int { undecided = -1, scalar = 0, avx2 = 1, avx512 = 2 };
inline std::atomic<int> v4_classify_choice{static_cast<int>(V4Classify::undecided)};

// What the CPU and the EAL allow (pipeline.cpp, where rte_vect.h can be included as C).
V4Classify v4_classify_best();

inline void v4_classify(const Tables& t, rte_mbuf* const* pkts, Burst& b) {
    int choice = v4_classify_choice.load(std::memory_order_relaxed);
    if (choice < 0) [[unlikely]] {
        choice = static_cast<int>(v4_classify_best());
        v4_classify_choice.store(choice, std::memory_order_relaxed);
    }
#if defined(RTE_ARCH_X86)
    if (choice == static_cast<int>(V4Classify::avx512)) {
        v4_classify_avx512(t, pkts, b);
        return;
    }
    if (choice == static_cast<int>(V4Classify::avx2)) {
        v4_classify_avx2(t, pkts, b);
        return;
    }
#endif
    v4_classify_scalar(t, pkts, b);
}

// Phases 2 and 3: one rte_fib bulk lookup for the whole burst (the FIB's scalar or AVX-512 lookup,
// chosen when the table was built), then the verdict of each candidate's next hop (reused while
// consecutive candidates share one) and its length against that egress MTU. The common burst,
// every packet a live candidate through one next hop, takes one verdict and one MTU test for all.
inline void v4_lookup(const Tables& t, Burst& b) {
    const unsigned n = b.n;
    alignas(64) uint64_t hop[Burst::kMax];
    route_lookup_bulk(t, b.v4_dst, hop, n);
    const uint32_t all = n == 32 ? ~0u : (1u << n) - 1;
    if (b.v4_cand == all) {
        // Every packet a candidate: if they all share one next hop (expired ones included: a
        // flood of TTL 1 to the same destinations as the live traffic), one verdict decides all.
        uint64_t differ = 0;
        uint32_t longest = 0;
        for (unsigned i = 0; i < n; ++i) {
            differ |= hop[i] ^ hop[0];
            longest = longest > b.v4_len[i] ? longest : b.v4_len[i];
        }
        if (differ == 0) {
            const V4HopVerdict v = v4_hop_verdict(t, b.rx_port, hop[0]);
            if (v.fast && longest <= v.mtu) {
                // RFC 1812 5.3.1 first: the expired ones get time exceeded (the route forwards).
                b.fast |= all & ~b.v4_expired;
                b.expired |= b.v4_expired;
                b.all_fast_one_port = b.v4_expired == 0;
                b.one_hop = true;
                b.eth_head[0] = v.eth_head;
                b.eth_tail[0] = v.eth_tail;
                b.egress[0] = v.port;
                return;
            }
        }
    }
    uint64_t last = kNoRouteIndex + 1;  // no lookup answers this
    V4HopVerdict v;
    uint32_t fast = 0;
    uint32_t expired = 0;
    uint32_t ports = 0;  // bit p: some fast packet leaves by port p
    for (uint32_t left = b.v4_cand; left != 0; left &= left - 1) {
        const unsigned i = static_cast<unsigned>(__builtin_ctz(left));
        if (hop[i] != last) {
            v = v4_hop_verdict(t, b.rx_port, hop[i]);
            last = hop[i];
        }
        if ((b.v4_expired >> i) & 1u) [[unlikely]] {
            // RFC 1812 5.3.1 is the first test forward_transit makes, so a plain datagram with
            // TTL <= 1 on a forwarding route gets time exceeded whatever the rest of the route.
            if (v.forward) expired |= 1u << i;
            continue;
        }
        if (!v.fast || b.v4_len[i] > v.mtu) continue;
        b.eth_head[i] = v.eth_head;
        b.eth_tail[i] = v.eth_tail;
        b.egress[i] = v.port;
        ports |= 1u << v.port;
        fast |= 1u << i;
    }
    b.fast |= fast;
    b.expired |= expired;
    // One egress port for the whole burst, every packet fast: the common case pipeline_run
    // hands to TX in one piece.
    b.all_fast_one_port = b.fast == all && (ports & (ports - 1)) == 0;
}

// For the expired packets of the burst (b.expired), in burst order: the route back to each one's
// source, as icmp_send_error looks it up before answering (one bulk lookup instead of one each).
inline void v4_expired_sources_lookup(const Tables& t, const Burst& b, uint64_t* back) {
    alignas(32) uint32_t src[Burst::kMax];
    unsigned c = 0;
    for (uint32_t left = b.expired; left != 0; left &= left - 1) {
        uint32_t s;
        std::memcpy(&s, b.data[__builtin_ctz(left)] + kSrcFirst, sizeof s);
        src[c++] = __builtin_bswap32(s);
    }
    route_lookup_bulk(t, src, back, c);
}

// Phase 4 for one fast packet: the TTL word prepared by the classify phase (TTL - 1 with the RFC
// 1624 checksum update, the same arithmetic as the stages' ipv4_decrement_ttl), then the Ethernet
// addresses prepared by v4_lookup: the gateway's MAC and the egress port's own as source. Three
// stores, no load of the frame.
inline void v4_rewrite_with(uint8_t* p, uint32_t ttl_word, uint64_t eth_head, uint32_t eth_tail) {
    std::memcpy(p + kTtlFirst, &ttl_word, sizeof ttl_word);
    std::memcpy(p, &eth_head, sizeof eth_head);
    std::memcpy(p + sizeof eth_head, &eth_tail, sizeof eth_tail);
}

inline void v4_rewrite(const Burst& b, unsigned i) {
    v4_rewrite_with(b.data[i], b.v4_ttl_word[i], b.eth_head[i], b.eth_tail[i]);
}

}  // namespace dprouter::fast
