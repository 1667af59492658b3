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

#include <cstring>

#include <rte_ip.h>
#include <rte_lpm.h>
#include <rte_mbuf.h>
#include <rte_vect.h>

#include "burst.hpp"
#include "dprouter/checksum.hpp"
#include "dprouter/tables.hpp"
#include "stage_ipv4_input.hpp"

namespace dprouter::fast {

inline constexpr uint64_t kMac48 = 0x0000ffffffffffffull;
inline constexpr uint32_t kFrameV4 = RTE_ETHER_HDR_LEN + sizeof(rte_ipv4_hdr);

// The 6 bytes of a MAC as the low 48 bits of a word, in memory order (the PackedNeighbor layout).
inline uint64_t mac48(const rte_ether_addr& a) {
    uint64_t w = 0;
    std::memcpy(&w, a.addr_bytes, RTE_ETHER_ADDR_LEN);
    return w;
}

// Can any packet received on `rx_port` take the fast path? Not when the ingress interface clamps
// the MSS (the clamp stage must see every SYN), nor when its MAC is a group address (every frame
// to it would be a link-layer broadcast, RFC 1812 5.3.4).
inline bool v4_port_eligible(const Tables& t, uint16_t rx_port) {
    const InterfaceEntry& in = t.ifaces[rx_port];
    return in.tcp_mss_clamp == 0 && !rte_is_multicast_ether_addr(&in.mac);
}

// Phase 2 for one packet: is it plain transit IPv4? Every test is one the scalar stages make, with
// the outcome that lets them reach the forwarding step; a packet failing any goes to them whole.
inline bool v4_plain(const Tables& t, const rte_mbuf* m, uint64_t our_mac) {
    if (rte_pktmbuf_data_len(m) < kFrameV4) return false;  // header not all in the first segment
    const auto* p = rte_pktmbuf_mtod(m, const uint8_t*);
    uint64_t dst_mac;
    std::memcpy(&dst_mac, p, sizeof dst_mac);  // 6 MAC bytes + 2 of the source MAC, masked off
    const auto* eth = reinterpret_cast<const rte_ether_hdr*>(p);
    const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(p + RTE_ETHER_HDR_LEN);
    // Our unicast MAC (so not a link-layer broadcast); IPv4; version 4 with no options (IHL 5);
    // total length exactly what the frame carries (padding to trim: scalar); TTL left to decrement.
    bool plain = ((dst_mac ^ our_mac) & kMac48) == 0;
    plain &= eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4);
    plain &= ip->version_ihl == RTE_IPV4_VHL_DEF;
    plain &= rte_be_to_cpu_16(ip->total_length) + uint32_t{RTE_ETHER_HDR_LEN} == rte_pktmbuf_pkt_len(m);
    plain &= ip->time_to_live > 1;
    // RFC 1812 5.3.7 martians and anything at or above 224/4 (multicast, class E, broadcast), the
    // same predicates the input stage uses.
    const uint32_t src = rte_be_to_cpu_32(ip->src_addr);
    const uint32_t dst = rte_be_to_cpu_32(ip->dst_addr);
    plain &= !stage::martian_source(src);
    plain &= !stage::martian_destination(dst) & (dst < 0xe0000000u);
    if (!plain) return false;
    // The checksum: trusted from the Rx offload when the PMD vouches for it, else the five-word
    // sum; an offload that says "bad" sends the packet to the stages, which count it.
    const uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
    if (ck != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
        (ck == RTE_MBUF_F_RX_IP_CKSUM_BAD || !ipv4_header20_checksum_ok(ip)))
        return false;
    return !t.is_local_source(ip->src_addr);
}

// Phase 2 over the burst: the candidates' destinations, packed for the bulk lookup.
inline void v4_classify(const Tables& t, rte_mbuf* const* pkts, Burst& b) {
    const uint64_t our_mac = mac48(t.ifaces[b.rx_port].mac);
    uint16_t c = 0;
    for (uint16_t i = 0; i < b.n; ++i) {
        const rte_mbuf* m = pkts[i];
        if (!v4_plain(t, m, our_mac)) continue;
        const auto* ip = rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr*, RTE_ETHER_HDR_LEN);
        b.v4_dst[c] = rte_be_to_cpu_32(ip->dst_addr);
        b.v4_len[c] = rte_be_to_cpu_16(ip->total_length);
        b.v4_pkt[c] = static_cast<uint8_t>(i);
        ++c;
    }
    b.v4_count = c;
}

// Phase 4 for one candidate: does its route say "forward out of another port to a resolved
// gateway, within the MTU, with no MSS clamping there"? Anything else (no route, local, broadcast,
// blackhole/unreachable/prohibit, a redirect candidate leaving by its arrival port, an on-link
// destination that needs the neighbour hash, an unresolved or failed gateway, too big, clamp)
// is the stages' business.
inline void v4_decide(const Tables& t, Burst& b, unsigned c, uint32_t hop) {
    // rte_lpm has no /0: a miss means the default route, if any, as in route_lookup.
    const NextHop* nh = hop == UINT32_MAX ? t.default_nh : &t.nexthops[hop];
    if (nh == nullptr || nh->action != NextHopAction::forward || nh->port == b.rx_port || nh->gateway_be == 0)
        return;
    const InterfaceEntry& egress = t.ifaces[nh->port];
    if (egress.tcp_mss_clamp != 0 || b.v4_len[c] > egress.mtu) return;
    const PackedNeighbor l2{nh->l2.load(std::memory_order_acquire)};
    if (l2.state() != NeighborState::reachable) return;
    const unsigned i = b.v4_pkt[c];
    b.l2[i] = l2.word;
    b.egress[i] = nh->port;
    b.fast |= 1u << i;
}

// Phases 3 and 4: rte_lpm_lookupx4 four destinations at a time (the last group padded with its
// own first key), then the next-hop decision for each.
inline void v4_lookup(const Tables& t, Burst& b) {
    const unsigned n = b.v4_count;
    for (unsigned c = n; c % 4 != 0; ++c) b.v4_dst[c] = b.v4_dst[n - 1];
    for (unsigned c = 0; c < n; c += 4) {
        uint32_t hop[4];
        const xmm_t keys = _mm_load_si128(reinterpret_cast<const __m128i*>(&b.v4_dst[c]));
        rte_lpm_lookupx4(t.lpm, keys, hop, UINT32_MAX);
        const unsigned k = n - c < 4 ? n - c : 4;
        for (unsigned j = 0; j < k; ++j) v4_decide(t, b, c + j, hop[j]);
    }
}

// Phase 5 for one fast packet: TTL - 1 with the RFC 1624 checksum update (the same function the
// stages use, so the bytes are the same), then the Ethernet addresses: the gateway's MAC from its
// neighbour word and the egress port's own MAC as source, as one 8-byte and one 4-byte store.
inline void v4_rewrite(const Tables& t, const Burst& b, rte_mbuf* m, unsigned i) {
    auto* p = rte_pktmbuf_mtod(m, uint8_t*);
    ipv4_decrement_ttl(reinterpret_cast<rte_ipv4_hdr*>(p + RTE_ETHER_HDR_LEN));
    const uint8_t* src = t.ifaces[b.egress[i]].mac.addr_bytes;
    const uint64_t head = (b.l2[i] & kMac48) | uint64_t{src[0]} << 48 | uint64_t{src[1]} << 56;
    std::memcpy(p, &head, sizeof head);
    std::memcpy(p + sizeof head, src + 2, 4);
}

}  // namespace dprouter::fast
