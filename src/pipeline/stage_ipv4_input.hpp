// IPv4 input checks, RFC 1812 5.2.2, and the martian filter of 5.3.7.
#pragma once

#include <rte_ip.h>

#include "dprouter/checksum.hpp"
#include "stage_common.hpp"

namespace dprouter::stage {

// Removes `excess` bytes from the end of the packet, across segments if the padding spans more than
// the last one (rte_pktmbuf_trim only trims within the last segment).
inline void trim_tail(rte_mbuf* m, uint32_t excess) {
    if (rte_pktmbuf_trim(m, static_cast<uint16_t>(excess)) == 0) return;
    const uint32_t keep = rte_pktmbuf_pkt_len(m) - excess;
    uint32_t seen = 0;
    uint16_t segs = 0;
    for (rte_mbuf* seg = m; seg != nullptr; seg = seg->next) {
        ++segs;
        if (seen + seg->data_len >= keep) {
            seg->data_len = static_cast<uint16_t>(keep - seen);
            rte_pktmbuf_free(seg->next);
            seg->next = nullptr;
            break;
        }
        seen += seg->data_len;
    }
    m->nb_segs = segs;
    m->pkt_len = keep;
}

// Validates the header that follows the Ethernet header. On success trims Ethernet padding (frames
// are padded to 60 bytes, which is not an error) and returns true; otherwise counts and frees.
inline bool ipv4_validate(WorkerContext& ctx, rte_mbuf* m, rte_ipv4_hdr* ip) {
    const uint32_t l3_len = rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN;
    // The header must sit in the first segment: every check below reads it directly.
    if (l3_len < sizeof(rte_ipv4_hdr) || rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + sizeof(rte_ipv4_hdr)) {
        drop(ctx, m, Drop::ipv4_runt);
        return false;
    }
    if ((ip->version_ihl >> 4) != 4) {
        drop(ctx, m, Drop::ipv4_bad_version);
        return false;
    }
    const uint32_t ihl = (ip->version_ihl & 0x0f) * 4u;
    if (ihl < sizeof(rte_ipv4_hdr) || ihl > l3_len || RTE_ETHER_HDR_LEN + ihl > rte_pktmbuf_data_len(m)) {
        drop(ctx, m, Drop::ipv4_bad_ihl);
        return false;
    }
    const uint64_t cksum_flags = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
    const bool sw_ok = cksum_flags == RTE_MBUF_F_RX_IP_CKSUM_GOOD ||
                       (ihl == sizeof(rte_ipv4_hdr) ? ipv4_header20_checksum_ok(ip) : rte_raw_cksum(ip, ihl) == 0xffff);
    if (cksum_flags == RTE_MBUF_F_RX_IP_CKSUM_BAD || !sw_ok) {
        drop(ctx, m, Drop::ipv4_bad_checksum);
        return false;
    }
    const uint32_t total = rte_be_to_cpu_16(ip->total_length);
    if (total < ihl || total > l3_len) {
        drop(ctx, m, Drop::ipv4_bad_total_length);
        return false;
    }
    if (total < l3_len) trim_tail(m, l3_len - total);
    return true;
}

// A source that is not a unique unicast host: 0/8, 127/8, 224/4 and above (multicast, class E,
// limited broadcast). Linux accepts class E sources; RFC 1812 5.3.7 says SHOULD NOT, and we follow it.
// (A datagram from outside claiming one of our own addresses is refused too: Tables::is_local_source.)
constexpr bool martian_source(uint32_t src_host) {
    const uint32_t first = src_host >> 24;
    return first == 0 || first == 127 || first >= 224;
}

// Destinations that are never valid on the wire: 0/8, 127/8 and class E (but not 255.255.255.255,
// which is the limited broadcast and has its own counter).
constexpr bool martian_destination(uint32_t dst_host) {
    const uint32_t first = dst_host >> 24;
    return first == 0 || first == 127 || (first >= 240 && dst_host != 0xffffffffu);
}

}  // namespace dprouter::stage
