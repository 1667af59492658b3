// Datagrams addressed to one of the router's own addresses.
#pragma once

#include <cstddef>
#include <cstring>

#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "stage_forward.hpp"
#include "stage_ipv4_options.hpp"
#include "stage_punt.hpp"

namespace dprouter::stage {

// Turns an echo request into the reply in the same mbuf: addresses swapped (so the source is the
// address that was pinged), identifier, sequence and data unchanged. Record Route and Timestamp
// come back updated with the pinged address (RFC 1122 3.2.2.6), other options are left out: the
// reply is a new datagram of ours. The request's options passed check_options at input.
inline void echo_reply(WorkerContext& ctx, const Tables& t, rte_mbuf* m, rte_ipv4_hdr* ip, uint32_t ihl) {
    const uint32_t icmp_len = rte_be_to_cpu_16(ip->total_length) - ihl;
    auto* icmp = reinterpret_cast<rte_icmp_hdr*>(reinterpret_cast<uint8_t*>(ip) + ihl);
    if (rte_raw_cksum(icmp, icmp_len) != 0xffff) {
        drop(ctx, m, Drop::local_icmp_bad_checksum);
        return;
    }
    // Identifier, sequence and data may all be zero: the one case eqn. 3 alone gets wrong.
    icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
    icmp->icmp_cksum = csum_update16_any_data(icmp->icmp_cksum, rte_cpu_to_be_16(RTE_IP_ICMP_ECHO_REQUEST << 8),
                                              rte_cpu_to_be_16(RTE_IP_ICMP_ECHO_REPLY << 8),
                                              reinterpret_cast<const uint8_t*>(icmp), icmp_len,
                                              offsetof(rte_icmp_hdr, icmp_cksum));

    uint32_t kept_len = 0;
    if (ihl > sizeof(rte_ipv4_hdr)) [[unlikely]] {
        uint8_t kept[kMaxOptionBytes];
        kept_len = echo_options(ip, kept);
        // Slide the Ethernet header and the fixed IP header over the options left out.
        const uint32_t cut = ihl - sizeof(rte_ipv4_hdr) - kept_len;
        if (cut != 0) {
            auto* start = rte_pktmbuf_mtod(m, uint8_t*);
            std::memmove(start + cut, start, RTE_ETHER_HDR_LEN + sizeof(rte_ipv4_hdr));
            rte_pktmbuf_adj(m, static_cast<uint16_t>(cut));
            ip = reinterpret_cast<rte_ipv4_hdr*>(rte_pktmbuf_mtod(m, uint8_t*) + RTE_ETHER_HDR_LEN);
        }
        std::memcpy(ip + 1, kept, kept_len);
    }
    const uint32_t requester = ip->src_addr;
    ip->src_addr = ip->dst_addr;
    ip->dst_addr = requester;
    ip->version_ihl = static_cast<uint8_t>(RTE_IPV4_VHL_DEF + kept_len / 4);
    ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(sizeof(rte_ipv4_hdr) + kept_len + icmp_len));
    ip->fragment_offset = 0;
    ip->time_to_live = kIcmpTtl;
    if (kept_len != 0) stamp_options(ctx, t, ip, ip->src_addr);
    ip->hdr_checksum = 0;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    ctx.counters->event(Event::echo_replies);
    send_originated(ctx, t, m);
}

// A UDP datagram or TCP segment to us must be whole and have a valid checksum before we answer it
// (RFC 1122 4.1.3.4, 4.2.2.7: silently discard otherwise). UDP checksum 0 means none was sent.
inline bool l4_acceptable(const rte_mbuf* m, const rte_ipv4_hdr* ip, uint32_t ihl) {
    const uint32_t l4_len = rte_be_to_cpu_16(ip->total_length) - ihl;
    if (ip->next_proto_id == IPPROTO_UDP) {
        if (l4_len < sizeof(rte_udp_hdr)) return false;
        const auto* udp = rte_pktmbuf_mtod_offset(m, const rte_udp_hdr*, RTE_ETHER_HDR_LEN + ihl);
        if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + ihl + sizeof(rte_udp_hdr)) return false;
        if (udp->dgram_cksum == 0) return true;
    } else if (l4_len < sizeof(rte_tcp_hdr)) {
        return false;
    }
    return rte_ipv4_udptcp_cksum_mbuf_verify(m, ip, static_cast<uint16_t>(RTE_ETHER_HDR_LEN + ihl)) == 0;
}

// Answers what the router can answer; for the rest tells the sender the truth (RFC 1122 3.2.2.1,
// RFC 1812 4.3.3): UDP gets port unreachable (we listen on no port; this is how traceroute ends at
// the router), TCP gets a reset, unknown protocols get protocol unreachable. Errors about datagrams
// to us come from the address that was addressed, as Linux does.
// Only an answered echo request counts `local_delivered` (send_originated); every other datagram
// to us ends in a drop reason.
inline void local_deliver(WorkerContext& ctx, const Tables& t, rte_mbuf* m, rte_ipv4_hdr* ip, bool link_broadcast) {
    const uint32_t ihl = (ip->version_ihl & 0x0f) * 4u;
    const uint16_t frag = rte_be_to_cpu_16(ip->fragment_offset);
    // Fragments addressed to the router are not reassembled: nothing we answer needs more than one.
    if ((frag & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0) {
        drop(ctx, m, Drop::local_unhandled);
        return;
    }
    switch (ip->next_proto_id) {
    case IPPROTO_ICMP:
        if (rte_be_to_cpu_16(ip->total_length) >= ihl + sizeof(rte_icmp_hdr) &&
            rte_pktmbuf_data_len(m) == rte_pktmbuf_pkt_len(m)) {
            auto* icmp = reinterpret_cast<rte_icmp_hdr*>(reinterpret_cast<uint8_t*>(ip) + ihl);
            if (icmp->icmp_type == RTE_IP_ICMP_ECHO_REQUEST && icmp->icmp_code == 0) {
                echo_reply(ctx, t, m, ip, ihl);
                return;
            }
        }
        drop(ctx, m, Drop::local_unhandled);  // replies and errors addressed to us: nothing to do
        return;
    case IPPROTO_UDP:
        if (!l4_acceptable(m, ip, ihl)) {
            drop(ctx, m, Drop::local_l4_invalid);
            return;
        }
        icmp_send_error(ctx, t, m, {IcmpKind::port_unreachable, 0, ip->dst_addr, link_broadcast});
        drop(ctx, m, Drop::local_udp_closed_port);
        return;
    case IPPROTO_TCP:
        if (!l4_acceptable(m, ip, ihl)) {
            drop(ctx, m, Drop::local_l4_invalid);
            return;
        }
        if (link_broadcast)
            ctx.counters->icmp_suppressed_one(IcmpKind::tcp_reset, IcmpSuppress::offender_broadcast);
        else
            tcp_send_reset(ctx, t, m);
        drop(ctx, m, Drop::local_tcp_closed_port);
        return;
    default:
        icmp_send_error(ctx, t, m, {IcmpKind::protocol_unreachable, 0, ip->dst_addr, link_broadcast});
        drop(ctx, m, Drop::local_unknown_protocol);
        return;
    }
}

// The same with the kernel mirror on (control_plane.mirror): the dataplane still answers echo
// requests; everything else addressed to us is the kernel's (docs/control-plane.md): TCP and UDP
// (sessions and listeners of the daemons in its namespace, RST and port unreachable from the
// kernel itself when nothing listens), other protocols (OSPF, VRRP, ...), echo replies and ICMP
// errors about what the kernel sent, and fragments, which the kernel reassembles.
inline void local_deliver_mirrored(WorkerContext& ctx, const Tables& t, rte_mbuf* m, rte_ipv4_hdr* ip,
                                   uint16_t rx_port) {
    const uint32_t ihl = (ip->version_ihl & 0x0f) * 4u;
    if (ip->next_proto_id == IPPROTO_ICMP &&
        (rte_be_to_cpu_16(ip->fragment_offset) & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) == 0 &&
        rte_be_to_cpu_16(ip->total_length) >= ihl + sizeof(rte_icmp_hdr) &&
        rte_pktmbuf_data_len(m) == rte_pktmbuf_pkt_len(m)) {
        const auto* icmp = reinterpret_cast<const rte_icmp_hdr*>(reinterpret_cast<const uint8_t*>(ip) + ihl);
        if (icmp->icmp_type == RTE_IP_ICMP_ECHO_REQUEST && icmp->icmp_code == 0) {
            echo_reply(ctx, t, m, ip, ihl);
            return;
        }
    }
    punt(ctx, m, rx_port);
}

}  // namespace dprouter::stage
