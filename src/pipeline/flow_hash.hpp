// The flow hash that picks an ECMP member for a transit packet (route_lookup.hpp, ecmp_member).
//
// The port's RSS hash when it gave one (RTE_MBUF_F_RX_RSS_HASH; the NIC hashed the same 5-tuple
// already), else CRC32-C over addresses, protocol and, for TCP, UDP and SCTP, the ports. Fragments
// hash their addresses and protocol only, the first one included: every fragment of a datagram
// then takes one path (the non-first ones carry no ports), at the price of the fragments of a flow
// possibly taking another path than its unfragmented packets (RFC 2992 section 2 accepts that).
// IPv6 hashes the ports only when they follow the fixed header directly; a datagram with extension
// headers (a fragment header among them) hashes addresses and its first next-header value.
#pragma once

#include <cstdint>
#include <cstring>

#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

namespace dprouter::stage {

inline constexpr uint32_t kFlowHashSeed = 0x6d2b79f5u;

inline bool has_ports(uint8_t proto) { return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP; }

// `ip` points into m's first segment.
inline uint32_t flow_hash4(const rte_mbuf* m, const rte_ipv4_hdr* ip) {
    if (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH) return m->hash.rss;
    uint32_t h = rte_hash_crc_4byte(ip->src_addr, kFlowHashSeed);
    h = rte_hash_crc_4byte(ip->dst_addr, h);
    h = rte_hash_crc_1byte(ip->next_proto_id, h);
    const bool fragment = (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0;
    if (!fragment && has_ports(ip->next_proto_id)) {
        const auto* l4 = reinterpret_cast<const uint8_t*>(ip) + (ip->version_ihl & 0x0f) * 4u;
        if (l4 + 4 <= rte_pktmbuf_mtod(m, const uint8_t*) + m->data_len) {
            uint32_t ports;
            std::memcpy(&ports, l4, 4);
            h = rte_hash_crc_4byte(ports, h);
        }
    }
    return h;
}

inline uint32_t flow_hash6(const rte_mbuf* m, const rte_ipv6_hdr* ip) {
    if (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH) return m->hash.rss;
    // The addresses sit at offset 22 of the frame: hashed from an aligned copy, since
    // rte_hash_crc reads 8 bytes at a time through a uint64_t pointer.
    uint64_t a[4];
    std::memcpy(a, ip->src_addr, 16);
    std::memcpy(a + 2, ip->dst_addr, 16);
    uint32_t h = kFlowHashSeed;
    for (uint64_t w : a) h = rte_hash_crc_8byte(w, h);
    h = rte_hash_crc_1byte(ip->proto, h);
    if (has_ports(ip->proto)) {
        const auto* l4 = reinterpret_cast<const uint8_t*>(ip + 1);
        if (l4 + 4 <= rte_pktmbuf_mtod(m, const uint8_t*) + m->data_len) {
            uint32_t ports;
            std::memcpy(&ports, l4, 4);
            h = rte_hash_crc_4byte(ports, h);
        }
    }
    return h;
}

}  // namespace dprouter::stage
