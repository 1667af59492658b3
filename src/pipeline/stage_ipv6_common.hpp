// What every IPv6 stage (and the ICMPv6 error builder) needs: address classes (RFC 4291 2.4),
// the upper-layer checksum over the pseudo-header (RFC 8200 8.1), a bounded walk over the
// extension headers (RFC 8200 4), and the next hop towards an address, link-local ones included.
#pragma once

#include <cstdint>
#include <cstring>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dprouter/checksum.hpp"
#include "dprouter/route_lookup.hpp"
#include "dprouter/tables.hpp"

namespace dprouter::stage {

// Next Header values (IANA "Assigned Internet Protocol Numbers").
inline constexpr uint8_t kNhHopByHop = 0;
inline constexpr uint8_t kNhTcp = 6;
inline constexpr uint8_t kNhUdp = 17;
inline constexpr uint8_t kNhRouting = 43;
inline constexpr uint8_t kNhFragment = 44;
inline constexpr uint8_t kNhIcmp6 = 58;
inline constexpr uint8_t kNhNone = 59;
inline constexpr uint8_t kNhDestOpts = 60;

inline constexpr uint32_t kIpv6HdrLen = sizeof(rte_ipv6_hdr);  // 40
inline constexpr uint8_t kIcmp6EchoRequest = 128;
inline constexpr uint8_t kIcmp6EchoReply = 129;
inline constexpr uint8_t kIcmp6HopLimit = 64;  // hop limit of what we originate (Linux's default)

// Address classes, on the 16 bytes as they sit in the packet.
inline bool v6_multicast(const uint8_t* a) { return a[0] == 0xff; }
inline bool v6_link_local(const uint8_t* a) { return a[0] == 0xfe && (a[1] & 0xc0) == 0x80; }
inline bool v6_unspecified(const uint8_t* a) {
    uint64_t x, y;
    std::memcpy(&x, a, 8);
    std::memcpy(&y, a + 8, 8);
    return (x | y) == 0;
}
inline bool v6_loopback(const uint8_t* a) {
    static constexpr uint8_t kOne[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return std::memcmp(a, kOne, 16) == 0;
}
// ::ffff:0:0/96 (RFC 4291 2.5.5.2): IPv4 hosts seen through an IPv6 API, never on the wire.
inline bool v6_v4_mapped(const uint8_t* a) {
    static constexpr uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(a, kPrefix, 12) == 0;
}

inline uint32_t ipv6_payload_len(const rte_ipv6_hdr* ip) { return rte_be_to_cpu_16(ip->payload_len); }

// Does the upper-layer message at frame offset `l4_off` (`len` bytes, any segments) carry a valid
// checksum?
inline bool ipv6_l4_checksum_ok(const rte_mbuf* m, const rte_ipv6_hdr* ip, uint32_t l4_off, uint32_t len,
                                uint8_t next_header) {
    uint16_t body;
    if (rte_raw_cksum_mbuf(m, l4_off, len, &body) != 0) return false;
    const uint32_t sum = uint32_t{body} + ipv6_pseudo_sum(ip->src_addr, ip->dst_addr, len, next_header);
    return csum_fold(sum) == 0xffff;
}

// Bytes [off, off + len) of the packet, contiguous: a pointer into the mbuf, or `buf` filled
// (headers that straddle segments); nullptr when the packet is shorter.
inline const uint8_t* packet_bytes(const rte_mbuf* m, uint32_t off, uint32_t len, uint8_t* buf) {
    if (off + len > rte_pktmbuf_pkt_len(m)) return nullptr;
    return static_cast<const uint8_t*>(rte_pktmbuf_read(m, off, len, buf));
}

// Where the upper-layer header of a packet starts, past the extension headers this walk knows
// (Hop-by-Hop, Destination Options, Routing, Fragment), for the ICMPv6 suppression rules
// (RFC 4443 2.4(e)). `ip_off` is the frame offset of the IPv6 header, `end` that of the end of
// the payload. `nh` ends as the upper-layer protocol; `frag_offset` is non-zero for a fragment
// other than the first (whose upper-layer header is elsewhere). False: the chain is truncated.
struct UpperLayer {
    uint8_t nh = 0;
    uint32_t off = 0;          // frame offset of the upper-layer header
    uint16_t frag_offset = 0;  // in 8-byte units
};
inline bool ipv6_skip_extensions(const rte_mbuf* m, uint32_t ip_off, uint32_t end, UpperLayer* out) {
    const auto* ip = rte_pktmbuf_mtod_offset(m, const rte_ipv6_hdr*, ip_off);
    uint8_t nh = ip->proto;
    uint32_t off = ip_off + kIpv6HdrLen;
    out->frag_offset = 0;
    // RFC 8200 4.1 gives each header type at most once or twice; 8 is a generous bound.
    for (unsigned n = 0; n < 8; ++n) {
        uint8_t buf[4];
        switch (nh) {
        case kNhHopByHop:
        case kNhRouting:
        case kNhDestOpts: {
            const uint8_t* h = off + 2 <= end ? packet_bytes(m, off, 2, buf) : nullptr;
            if (h == nullptr) return false;
            nh = h[0];
            off += (h[1] + 1u) * 8u;
            break;
        }
        case kNhFragment: {
            const uint8_t* h = off + 8 <= end ? packet_bytes(m, off, 4, buf) : nullptr;
            if (h == nullptr) return false;
            nh = h[0];
            out->frag_offset = static_cast<uint16_t>((h[2] << 8 | h[3]) >> 3);
            off += 8;
            if (out->frag_offset != 0) {  // the upper-layer header is in the first fragment
                out->nh = nh;
                out->off = off;
                return true;
            }
            break;
        }
        default:
            out->nh = nh;
            out->off = off;
            return off <= end;
        }
    }
    return false;
}

// The next hop for a packet we send to `dst`: a link-local destination is on the link of `port`
// (the one the packet we answer arrived on; fe80::/10 is not in the FIB, RFC 4007), described in
// `scratch`; any other the FIB's, when its action forwards. nullptr: no way there.
inline const NextHop6* next_hop6_towards(const Tables& t, const uint8_t* dst, uint16_t port, NextHop6& scratch) {
    if (v6_link_local(dst)) {
        if (port >= kMaxPorts || !t.ifaces[port].ipv6) return nullptr;
        scratch.action = NextHopAction::forward;
        scratch.port = port;
        std::memset(scratch.gateway, 0, sizeof scratch.gateway);
        return &scratch;
    }
    const NextHop6* nh = route6_lookup(t, dst);
    if (nh == nullptr || nh->action != NextHopAction::forward) return nullptr;
    return nh;
}

}  // namespace dprouter::stage
