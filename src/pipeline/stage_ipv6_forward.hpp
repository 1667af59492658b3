// IPv6 transit: route actions, hop limit (RFC 8200 3), scope (RFC 4291 2.5.6, RFC 4007), Packet
// Too Big (RFC 8200 5, RFC 4443 3.2, RFC 8201), redirect, MSS clamp, then the next hop.
// Routers never fragment IPv6 and change nothing but the hop limit, which has no checksum.
#pragma once

#include <algorithm>

#include "icmp/icmp6_error.hpp"
#include "stage_common.hpp"
#include "stage_ipv6_common.hpp"
#include "stage_mss_clamp.hpp"
#include "stage_nd.hpp"

namespace dprouter::stage {

// Refuses packets whose route does not forward, with the error each route type owes the sender
// (as Linux: unreachable routes code 0, prohibit code 1). Returns true when the packet was consumed.
inline bool apply_route_action6(WorkerContext& ctx, const Tables& t, rte_mbuf* m, const NextHop6& nh,
                                bool link_multicast) {
    switch (nh.action) {
    case NextHopAction::forward:
    case NextHopAction::local:
    case NextHopAction::multipath:  // resolved to a member before (route_lookup.hpp)
        return false;
    case NextHopAction::broadcast:  // IPv6 has none; never built, handled like a blackhole
    case NextHopAction::blackhole:
        drop(ctx, m, Drop::ipv6_route_blackhole);
        return true;
    case NextHopAction::unreachable:
        icmp6_send_error(ctx, t, m, {IcmpKind::icmp6_no_route, 0, link_multicast});
        drop(ctx, m, Drop::ipv6_route_unreachable);
        return true;
    case NextHopAction::prohibit:
        icmp6_send_error(ctx, t, m, {IcmpKind::icmp6_admin_prohibited, 0, link_multicast});
        drop(ctx, m, Drop::ipv6_route_prohibit);
        return true;
    }
    return false;
}

// RFC 8200 5 / RFC 4443 3.2: too big for the egress link: Packet Too Big carrying its MTU, unless
// the lab knobs say to report another value (advertised_mtu) or to stay silent (pmtud_blackhole).
inline void refuse_too_big6(WorkerContext& ctx, const Tables& t, rte_mbuf* m, const InterfaceEntry& egress) {
    if (egress.pmtud_blackhole) {
        drop(ctx, m, Drop::pmtud_blackhole);
        return;
    }
    const uint32_t reported = egress.has_advertised_mtu ? egress.advertised_mtu : egress.mtu;
    icmp6_send_error(ctx, t, m, {IcmpKind::icmp6_packet_too_big, reported});
    drop(ctx, m, Drop::ipv6_too_big);
}

// The MSS a SYN crossing `ifc` may carry over IPv6: the configured clamp (`true` means mtu - 40,
// the IPv4 figure), but never more than the interface MTU less the 40-byte IPv6 and 20-byte TCP
// headers. 0: no clamp on this interface.
inline uint16_t mss_clamp6(const InterfaceEntry& ifc) {
    if (ifc.tcp_mss_clamp == 0) return 0;
    return static_cast<uint16_t>(std::min<uint32_t>(ifc.tcp_mss_clamp, ifc.mtu - 60u));
}

// RFC 8200 3: a transit packet whose hop limit would reach 0 is discarded with Time Exceeded.
inline void refuse_expired6(WorkerContext& ctx, const Tables& t, rte_mbuf* m) {
    icmp6_send_error(ctx, t, m, {IcmpKind::icmp6_time_exceeded});
    drop(ctx, m, Drop::hop_limit_exceeded);
}

// A transit packet whose route says forward. Every check that may answer with an error runs
// before the header is touched, so errors quote the packet as it arrived.
inline void forward6_transit(WorkerContext& ctx, const Tables& t, rte_mbuf* m, rte_ether_hdr* eth, rte_ipv6_hdr* ip,
                             const NextHop6& nh, uint16_t rx_port) {
    if (ip->hop_limits <= 1) [[unlikely]] {
        refuse_expired6(ctx, t, m);
        return;
    }
    // RFC 4291 2.5.6: a link-local source never leaves its link (back onto it is fine, as Linux
    // does); the sender learns why: destination unreachable, beyond scope (RFC 4443 3.1).
    if (nh.port != rx_port && v6_link_local(ip->src_addr)) [[unlikely]] {
        icmp6_send_error(ctx, t, m, {IcmpKind::icmp6_beyond_scope});
        drop(ctx, m, Drop::ipv6_scope_violation);
        return;
    }
    const InterfaceEntry& egress = t.ifaces[nh.port];
    if (kIpv6HdrLen + ipv6_payload_len(ip) > egress.mtu) [[unlikely]] {
        refuse_too_big6(ctx, t, m, egress);
        return;
    }
    if (nh.port == rx_port) [[unlikely]] maybe_redirect6(ctx, t, m, ip, nh, rx_port);
    const uint16_t in_clamp = mss_clamp6(t.ifaces[rx_port]);
    const uint16_t out_clamp = mss_clamp6(egress);
    if ((in_clamp | out_clamp) != 0) [[unlikely]] {
        const uint16_t clamp = in_clamp == 0 ? out_clamp : out_clamp == 0 ? in_clamp : std::min(in_clamp, out_clamp);
        if (clamp_tcp_mss6(m, ip, clamp)) ctx.counters->event(Event::mss_clamped);
    }
    --ip->hop_limits;
    send_to_next_hop6(ctx, t, m, eth, nh, ip->dst_addr, Outbound::transit);
}

// A packet the router built in place of one it received on `rx_port` (echo reply): routed like
// any other, a link-local destination back onto that link, without hop-limit decrement. Routers
// do not fragment what they originate here: one that does not fit the egress link is dropped.
inline void send_originated6(WorkerContext& ctx, const Tables& t, rte_mbuf* m, uint16_t rx_port) {
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    const auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(eth + 1);
    NextHop6 scratch;
    const NextHop6* nh = next_hop6_towards(t, ip->dst_addr, rx_port, scratch);
    if (nh == nullptr) {
        drop(ctx, m, Drop::ipv6_no_route);
        return;
    }
    if (kIpv6HdrLen + ipv6_payload_len(ip) > t.ifaces[nh->port].mtu) [[unlikely]] {
        drop(ctx, m, Drop::local6_reply_too_big);
        return;
    }
    ctx.counters->event(Event::local_delivered);  // the request's outcome (send_originated)
    send_to_next_hop6(ctx, t, m, eth, *nh, ip->dst_addr, Outbound::own);
}

}  // namespace dprouter::stage
