// Neighbor Discovery on the wire (RFC 4861 4): message types, option types, flags, and the few
// helpers both halves need to read and write them: the ICMPv6 checksum over the pseudo-header
// (RFC 4443 2.3), multicast MACs (RFC 2464 7) and the Ethernet + IPv6 envelope every ND message
// the router sends shares (hop limit 255, RFC 4861 6.1.2 / 7.1).
#pragma once

#include <cstdint>
#include <cstring>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>

#include "dprouter/checksum.hpp"

namespace dprouter::nd {

inline constexpr uint8_t kRouterSolicitation = 133;
inline constexpr uint8_t kRouterAdvertisement = 134;
inline constexpr uint8_t kNeighborSolicitation = 135;
inline constexpr uint8_t kNeighborAdvertisement = 136;
inline constexpr uint8_t kRedirect = 137;

inline constexpr uint8_t kOptSourceLinkAddr = 1;  // RFC 4861 4.6.1
inline constexpr uint8_t kOptTargetLinkAddr = 2;
inline constexpr uint8_t kOptRedirectedHeader = 4;  // 4.6.3

inline constexpr uint8_t kFlagRouter = 0x80;  // NA flags byte (4.4)
inline constexpr uint8_t kFlagSolicited = 0x40;
inline constexpr uint8_t kFlagOverride = 0x20;

inline constexpr uint8_t kHopLimit = 255;  // every ND message is sent with, and must arrive with, 255
inline constexpr uint8_t kProtoIcmp6 = 58;
inline constexpr uint32_t kNsNaLength = 24;  // type, code, checksum, 4 bytes, target
inline constexpr uint32_t kRedirectLength = 40;  // ... target, destination
inline constexpr uint32_t kLinkAddrOptLength = 8;  // an Ethernet address option (length 1)
inline constexpr uint32_t kEnvelope = RTE_ETHER_HDR_LEN + sizeof(rte_ipv6_hdr);

inline bool is_unspecified(const uint8_t* a) {
    static constexpr uint8_t kZero[16] = {};
    return std::memcmp(a, kZero, 16) == 0;
}
inline bool is_multicast(const uint8_t* a) { return a[0] == 0xff; }
inline bool is_link_local(const uint8_t* a) { return a[0] == 0xfe && (a[1] & 0xc0) == 0x80; }
// ff02::1:ff00:0/104 (RFC 4291 2.7.1).
inline bool is_solicited_node(const uint8_t* a) {
    static constexpr uint8_t kPrefix[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};
    return std::memcmp(a, kPrefix, 13) == 0;
}
inline void solicited_node_of(const uint8_t* a, uint8_t* out) {
    static constexpr uint8_t kPrefix[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};
    std::memcpy(out, kPrefix, 13);
    std::memcpy(out + 13, a + 13, 3);
}
// RFC 2464 7: 33:33 followed by the group's last four bytes.
inline rte_ether_addr multicast_mac(const uint8_t* group) {
    rte_ether_addr mac{{0x33, 0x33, group[12], group[13], group[14], group[15]}};
    return mac;
}

// The one's-complement sum of the pseudo-header (RFC 8200 8.1) and `len` bytes of the message,
// folded; 0xFFFF over a message with a correct checksum.
inline uint16_t icmp6_sum(const uint8_t* src, const uint8_t* dst, const void* msg, uint32_t len) {
    return csum_fold(uint32_t{rte_raw_cksum(msg, len)} + ipv6_pseudo_sum(src, dst, len, kProtoIcmp6));
}
inline bool icmp6_checksum_ok(const uint8_t* src, const uint8_t* dst, const void* msg, uint32_t len) {
    return icmp6_sum(src, dst, msg, len) == 0xffff;
}
// Fills the checksum field (bytes 2..3) of the message, which must hold zero there.
inline void icmp6_set_checksum(const uint8_t* src, const uint8_t* dst, uint8_t* msg, uint32_t len) {
    const uint16_t c = static_cast<uint16_t>(~icmp6_sum(src, dst, msg, len));
    std::memcpy(msg + 2, &c, 2);  // the sum is byte-order independent (RFC 1071 2.(B)): store as is
}

// Writes the Ethernet and IPv6 headers of an ND message (next header ICMPv6, hop limit 255,
// traffic class and flow label 0) at `frame`; returns the ICMPv6 message's start.
inline uint8_t* write_envelope(uint8_t* frame, const rte_ether_addr& eth_dst, const rte_ether_addr& eth_src,
                               const uint8_t* src, const uint8_t* dst, uint16_t payload_len) {
    auto* eth = reinterpret_cast<rte_ether_hdr*>(frame);
    eth->dst_addr = eth_dst;
    eth->src_addr = eth_src;
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(eth + 1);
    ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
    ip->payload_len = rte_cpu_to_be_16(payload_len);
    ip->proto = kProtoIcmp6;
    ip->hop_limits = kHopLimit;
    std::memcpy(ip->src_addr, src, 16);
    std::memcpy(ip->dst_addr, dst, 16);
    return frame + kEnvelope;
}

// A link-layer address option (source or target) at `p`: 8 bytes.
inline void write_link_addr_option(uint8_t* p, uint8_t type, const rte_ether_addr& mac) {
    p[0] = type;
    p[1] = 1;  // in units of 8 bytes
    std::memcpy(p + 2, mac.addr_bytes, RTE_ETHER_ADDR_LEN);
}

}  // namespace dprouter::nd
