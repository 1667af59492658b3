// TCP MSS clamping, the classic Path MTU Discovery workaround: a SYN (or SYN-ACK) crossing an
// interface with `tcp_mss_clamp` set has its MSS option lowered to the configured value, with the
// TCP checksum updated incrementally. Only SYNs carry MSS, so other segments cost one flag test.
#pragma once

#include <cstring>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "dprouter/checksum.hpp"
#include "stage_common.hpp"

namespace dprouter::stage {

inline constexpr uint8_t kTcpOptEnd = 0;
inline constexpr uint8_t kTcpOptNop = 1;
inline constexpr uint8_t kTcpOptMss = 2;

// Lowers the MSS option of a SYN to `clamp` if it is larger, in a TCP segment of `l4_len` bytes
// (as the IP header says) at frame offset `tcp_off`. Returns true if it rewrote it. The checksum
// update covers TCP bytes only, so it is the same for both families' pseudo-headers.
inline bool clamp_tcp_mss_at(rte_mbuf* m, uint32_t tcp_off, uint32_t l4_len, uint16_t clamp) {
    if (l4_len < sizeof(rte_tcp_hdr) || rte_pktmbuf_data_len(m) < tcp_off + sizeof(rte_tcp_hdr)) return false;
    auto* tcp = rte_pktmbuf_mtod_offset(m, rte_tcp_hdr*, tcp_off);
    if (!(tcp->tcp_flags & RTE_TCP_SYN_FLAG)) return false;
    const uint32_t tcp_hdr_len = (tcp->data_off >> 4) * 4u;
    if (tcp_hdr_len <= sizeof(rte_tcp_hdr) || tcp_hdr_len > l4_len || tcp_off + tcp_hdr_len > rte_pktmbuf_data_len(m))
        return false;
    uint8_t* opt = reinterpret_cast<uint8_t*>(tcp + 1);
    const uint32_t len = tcp_hdr_len - sizeof(rte_tcp_hdr);
    for (uint32_t i = 0; i < len;) {
        const uint8_t kind = opt[i];
        if (kind == kTcpOptEnd) break;
        if (kind == kTcpOptNop) {
            ++i;
            continue;
        }
        if (i + 1 >= len || opt[i + 1] < 2 || i + opt[i + 1] > len) return false;  // malformed: leave it
        if (kind == kTcpOptMss && opt[i + 1] == 4) {
            uint8_t* value = opt + i + 2;
            const uint16_t old_mss = static_cast<uint16_t>(value[0] << 8 | value[1]);
            if (old_mss <= clamp) return false;
            // The checksum sums 16-bit words aligned to the TCP header; the value may straddle two
            // of them, so update every aligned word it touches from its before and after images.
            // Aligned, it is one word; at an odd offset it touches two, the second ending on the
            // option's last byte or the one after it, which the header still holds (its length is a
            // multiple of 4). Reading two words of an aligned value would run past the header, and
            // past the frame when MSS is the last option of a segment without data.
            auto* base = reinterpret_cast<uint8_t*>(tcp);
            const size_t at = static_cast<size_t>(value - base);
            const size_t first = at & ~size_t{1};
            const size_t span = (at & 1) ? 4 : 2;
            uint8_t before[4];
            std::memcpy(before, base + first, span);
            value[0] = static_cast<uint8_t>(clamp >> 8);
            value[1] = static_cast<uint8_t>(clamp);
            for (size_t w = 0; w < span; w += 2) {
                uint16_t old_word, new_word;
                std::memcpy(&old_word, before + w, 2);
                std::memcpy(&new_word, base + first + w, 2);
                if (old_word != new_word) tcp->cksum = csum_update16(tcp->cksum, old_word, new_word);
            }
            return true;
        }
        i += opt[i + 1];
    }
    return false;
}

// IPv4: the segment follows the header, and only a first fragment holds it.
inline bool clamp_tcp_mss(rte_mbuf* m, rte_ipv4_hdr* ip, uint16_t clamp) {
    if (ip->next_proto_id != IPPROTO_TCP) return false;
    if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK)) return false;
    const uint32_t ihl = (ip->version_ihl & 0x0f) * 4u;
    const uint32_t ip_len = rte_be_to_cpu_16(ip->total_length);
    if (ip_len < ihl) return false;
    return clamp_tcp_mss_at(m, RTE_ETHER_HDR_LEN + ihl, ip_len - ihl, clamp);
}

// IPv6: TCP right after the fixed header (a router looks no further than Hop-by-Hop, RFC 8200 4;
// segments behind extension headers keep their MSS).
inline bool clamp_tcp_mss6(rte_mbuf* m, const rte_ipv6_hdr* ip, uint16_t clamp) {
    if (ip->proto != IPPROTO_TCP) return false;
    return clamp_tcp_mss_at(m, RTE_ETHER_HDR_LEN + sizeof(rte_ipv6_hdr), rte_be_to_cpu_16(ip->payload_len), clamp);
}

}  // namespace dprouter::stage
