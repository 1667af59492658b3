// IPv6 packets addressed to the router: one of its addresses, or a group it listens to on the
// arrival link. The extension headers are processed in order as a destination must (RFC 8200 4),
// then ICMPv6 (echo, Neighbor Discovery), UDP and TCP are answered as IPv4's are.
#pragma once

#include <cstring>

#include <rte_tcp.h>
#include <rte_udp.h>

#include "icmp/icmp6_error.hpp"
#include "stage_common.hpp"
#include "stage_ipv6_common.hpp"
#include "stage_ipv6_forward.hpp"
#include "stage_ipv6_options.hpp"
#include "stage_nd.hpp"
#include "stage_punt.hpp"

namespace dprouter::stage {

// How a packet to us came: what an error about it may say and where it comes from.
struct Local6 {
    uint16_t rx_port;
    bool link_multicast;     // in a link-layer multicast frame
    const uint8_t* address;  // ours that it targeted: its destination, or for a group the
                             // arrival port's link-local address (RFC 4443 2.2(b))
};

// Refuses the packet with a Parameter Problem (code given by `kind`) pointing at `pointer`.
inline void refuse_param6(WorkerContext& ctx, const Tables& t, rte_mbuf* m, const Local6& in, IcmpKind kind,
                          uint32_t pointer, Drop reason) {
    icmp6_send_error(ctx, t, m, {kind, pointer, in.link_multicast, in.address});
    drop(ctx, m, reason);
}

// Walks the extension headers of a packet to us (RFC 8200 4.1 order, each bounded by the payload
// length) to its upper-layer header. Returns false when it consumed the packet; otherwise sets
// `nh` and `l4_off` (frame offset). The Hop-by-Hop header was checked at input.
inline bool walk_extensions6(WorkerContext& ctx, const Tables& t, rte_mbuf* m, const Local6& in, uint8_t* nh_out,
                             uint32_t* l4_off) {
    constexpr uint32_t ip_off = RTE_ETHER_HDR_LEN;
    const auto* ip = rte_pktmbuf_mtod_offset(m, const rte_ipv6_hdr*, ip_off);
    const uint32_t end = ip_off + kIpv6HdrLen + ipv6_payload_len(ip);
    uint8_t nh = ip->proto;
    uint32_t off = ip_off + kIpv6HdrLen;
    uint32_t nh_field = 6;  // offset (from the IPv6 header) of the Next Header field naming `nh`
    uint8_t buf[2048];
    for (unsigned n = 0;; ++n) {
        switch (nh) {
        case kNhTcp:
        case kNhUdp:
        case kNhIcmp6:
            *nh_out = nh;
            *l4_off = off;
            return true;
        case kNhNone:  // RFC 8200 4.7: nothing follows
            drop(ctx, m, Drop::local_unhandled);
            return false;
        case kNhHopByHop:
            // RFC 8200 4.3: only right after the fixed header; anywhere else it is unrecognized.
            if (off != ip_off + kIpv6HdrLen) {
                refuse_param6(ctx, t, m, in, IcmpKind::icmp6_param_next_header, nh_field, Drop::ipv6_unknown_next_header);
                return false;
            }
            break;
        case kNhDestOpts:
        case kNhRouting:
        case kNhFragment:
            break;
        default:
            if (punts(t, in.rx_port)) {  // OSPFv3 (89), VRRP (112), ...: the kernel's, with the mirror
                *nh_out = nh;
                *l4_off = off;
                return true;
            }
            // RFC 8200 4: an unrecognized Next Header: Parameter Problem code 1 pointing at it.
            refuse_param6(ctx, t, m, in, IcmpKind::icmp6_param_next_header, nh_field, Drop::ipv6_unknown_next_header);
            return false;
        }
        // An extension header: at least 8 bytes, the length in its second octet (the Fragment
        // header's is reserved: always 8). More than 16 of them is no packet anyone sends: refused
        // as malformed rather than walked on.
        const uint8_t* h = n < 16 && off + 8 <= end ? packet_bytes(m, off, 2, buf) : nullptr;
        const uint32_t len = h == nullptr ? 0 : nh == kNhFragment ? 8 : (h[1] + 1u) * 8u;
        h = h != nullptr && off + len <= end ? packet_bytes(m, off, len, buf) : nullptr;
        if (h == nullptr) {
            drop(ctx, m, Drop::ipv6_bad_extension_header);
            return false;
        }
        const uint32_t h_off = off - ip_off;
        if (nh == kNhDestOpts) {
            const OptionsVerdict6 v = check_options6(h, len, h_off, false, v6_multicast(ip->dst_addr), 0);
            if (v.action == OptionsVerdict6::refuse) {
                refuse_param6(ctx, t, m, in, v.kind, v.pointer, v.reason);
                return false;
            }
            if (v.action == OptionsVerdict6::drop) {
                drop(ctx, m, v.reason);
                return false;
            }
        } else if (nh == kNhRouting && h[3] != 0) {
            // Segments left: the router would be an intermediate node, which it is for no routing
            // type: type 0 is deprecated (RFC 5095 3), every other one unrecognized (RFC 8200
            // 4.4). Both: Parameter Problem code 0 pointing at the Routing Type field.
            refuse_param6(ctx, t, m, in, IcmpKind::icmp6_param_header, h_off + 2,
                          h[2] == 0 ? Drop::ipv6_routing_header_type0 : Drop::ipv6_routing_header_unknown);
            return false;
        } else if (nh == kNhFragment && (h[2] != 0 || (h[3] & 0xf9) != 0)) {
            // A real fragment (offset or M set): not reassembled, nothing the router answers needs
            // more than one. An atomic fragment is processed as a whole packet (RFC 8200 4.5).
            // With the mirror the kernel reassembles it (RFC 8200 4.5), whatever it carries.
            if (punts(t, in.rx_port)) {
                *nh_out = kNhFragment;
                *l4_off = off;
                return true;
            }
            drop(ctx, m, Drop::local6_fragment);
            return false;
        }
        nh_field = h_off;
        nh = h[0];
        off += len;
    }
}

// RFC 4443 4.2: the reply carries the request's identifier, sequence number and data unchanged,
// from the address that was pinged (the arrival link's link-local address for a group), to the
// requester; Linux copies the traffic class. Built in the request's mbuf, extension headers left
// out.
inline void echo_reply6(WorkerContext& ctx, const Tables& t, rte_mbuf* m, const Local6& in, uint32_t l4_off,
                        uint32_t icmp_len) {
    uint8_t from[16];  // read before the header moves: it may point into it
    std::memcpy(from, in.address, 16);
    const uint32_t cut = l4_off - RTE_ETHER_HDR_LEN - kIpv6HdrLen;
    if (cut != 0) {
        auto* start = rte_pktmbuf_mtod(m, uint8_t*);
        std::memmove(start + cut, start, RTE_ETHER_HDR_LEN + kIpv6HdrLen);
        rte_pktmbuf_adj(m, static_cast<uint16_t>(cut));
    }
    auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv6_hdr*, RTE_ETHER_HDR_LEN);
    auto* icmp = reinterpret_cast<uint8_t*>(ip + 1);
    uint8_t requester[16];
    std::memcpy(requester, ip->src_addr, 16);
    std::memcpy(ip->src_addr, from, 16);
    std::memcpy(ip->dst_addr, requester, 16);
    ip->vtc_flow = rte_cpu_to_be_32((rte_be_to_cpu_32(ip->vtc_flow) & 0xfff00000u));  // version, class; flow 0
    ip->payload_len = rte_cpu_to_be_16(static_cast<uint16_t>(icmp_len));
    ip->proto = kNhIcmp6;
    ip->hop_limits = kIcmp6HopLimit;
    icmp[0] = kIcmp6EchoReply;
    icmp[1] = 0;
    icmp[2] = icmp[3] = 0;
    const uint16_t cksum = ipv6_l4_checksum(ip->src_addr, ip->dst_addr, icmp, icmp_len, kNhIcmp6);
    std::memcpy(icmp + 2, &cksum, 2);
    ctx.counters->event(Event::echo_replies);
    send_originated6(ctx, t, m, in.rx_port);
}

// ICMPv6 to us: checksum first (RFC 4443 2.3), then echo, Neighbor Discovery, or nothing to do.
inline void local6_icmp(WorkerContext& ctx, const Tables& t, rte_mbuf* m, rte_ether_hdr* eth, rte_ipv6_hdr* ip,
                        const Local6& in, uint32_t l4_off, uint32_t l4_len) {
    if (l4_len < 4 || !ipv6_l4_checksum_ok(m, ip, l4_off, l4_len, kNhIcmp6)) {
        drop(ctx, m, Drop::local6_icmp_bad_checksum);
        return;
    }
    uint8_t buf;
    const uint8_t type = *static_cast<const uint8_t*>(rte_pktmbuf_read(m, l4_off, 1, &buf));
    if (type >= 133 && type <= 137) {  // RFC 4861: router/neighbor solicitation, advertisement, redirect
        nd_input(ctx, t, m, eth, ip, l4_off, l4_len, in.rx_port);
        return;
    }
    if (v6_unspecified(ip->src_addr)) {  // only Duplicate Address Detection may come from ::
        drop(ctx, m, Drop::ipv6_bad_source);
        return;
    }
    if (type == kIcmp6EchoRequest && l4_len >= 8 && rte_pktmbuf_is_contiguous(m)) {
        echo_reply6(ctx, t, m, in, l4_off, l4_len);
        return;
    }
    if (punts(t, in.rx_port)) {  // echo replies, errors about the kernel's packets, MLD, ...
        punt(ctx, m, in.rx_port);
        return;
    }
    drop(ctx, m, Drop::local_unhandled);  // replies and errors addressed to us: nothing to do
}

// Everything addressed to us, after the input checks and the Hop-by-Hop header. UDP gets port
// unreachable (nothing listens; how traceroute6 ends at the router), TCP a reset, both only with
// a valid checksum (RFC 8200 8.1: mandatory, zero included); errors come from the address that
// was targeted.
inline void local6_deliver(WorkerContext& ctx, const Tables& t, rte_mbuf* m, rte_ether_hdr* eth, rte_ipv6_hdr* ip,
                           const Local6& in) {
    uint8_t nh;
    uint32_t l4_off;
    if (!walk_extensions6(ctx, t, m, in, &nh, &l4_off)) return;
    const uint32_t l4_len = RTE_ETHER_HDR_LEN + kIpv6HdrLen + ipv6_payload_len(ip) - l4_off;
    if (nh == kNhIcmp6) {
        local6_icmp(ctx, t, m, eth, ip, in, l4_off, l4_len);
        return;
    }
    if (v6_unspecified(ip->src_addr)) {
        drop(ctx, m, Drop::ipv6_bad_source);
        return;
    }
    if (punts(t, in.rx_port)) {  // TCP, UDP, other protocols, fragments: the kernel checks them
        punt(ctx, m, in.rx_port);
        return;
    }
    const uint32_t min_len = nh == kNhUdp ? sizeof(rte_udp_hdr) : sizeof(rte_tcp_hdr);
    if (l4_len < min_len || !ipv6_l4_checksum_ok(m, ip, l4_off, l4_len, nh)) {
        drop(ctx, m, Drop::local_l4_invalid);
        return;
    }
    if (nh == kNhUdp) {
        icmp6_send_error(ctx, t, m, {IcmpKind::icmp6_port_unreachable, 0, in.link_multicast, in.address});
        drop(ctx, m, Drop::local_udp_closed_port);
        return;
    }
    if (in.link_multicast || v6_multicast(ip->dst_addr))
        ctx.counters->icmp_suppressed_one(IcmpKind::tcp_reset, IcmpSuppress::offender_broadcast);
    else
        tcp6_send_reset(ctx, t, m, l4_off);
    drop(ctx, m, Drop::local_tcp_closed_port);
}

}  // namespace dprouter::stage
