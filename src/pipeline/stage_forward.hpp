// Route lookup and the transit checks that follow it: route actions, TTL (RFC 1812 5.3.1),
// redirects (5.2.7.2), egress MTU and DF (RFC 1191), then TTL decrement with an incremental
// checksum update (RFC 1624) and, in datagrams with options, Record Route and Timestamp.
#pragma once

#include <rte_ip.h>

#include <algorithm>

#include "dprouter/checksum.hpp"
#include "dprouter/route_lookup.hpp"
#include "fragment.hpp"
#include "stage_ipv4_options.hpp"
#include "stage_mss_clamp.hpp"
#include "stage_neighbor.hpp"

namespace dprouter::stage {

// The scalar stages look up one destination at a time (dprouter/route_lookup.hpp).
using dprouter::route_lookup;

// Refuses datagrams whose route does not forward, with the error each route type owes the sender.
// Returns true when the packet was consumed.
inline bool apply_route_action(WorkerContext& ctx, const Tables& t, rte_mbuf* m, const NextHop& nh, bool link_broadcast) {
    switch (nh.action) {
    case NextHopAction::forward:
    case NextHopAction::local:
    case NextHopAction::multipath:  // resolved to a member before (route_lookup.hpp)
        return false;
    case NextHopAction::broadcast:
        drop(ctx, m, Drop::ip_broadcast_not_forwarded);
        return true;
    case NextHopAction::blackhole:
        drop(ctx, m, Drop::route_blackhole);
        return true;
    case NextHopAction::unreachable:
        icmp_send_error(ctx, t, m, {IcmpKind::host_unreachable, 0, 0, link_broadcast});
        drop(ctx, m, Drop::route_unreachable);
        return true;
    case NextHopAction::prohibit:
        icmp_send_error(ctx, t, m, {IcmpKind::admin_prohibited, 0, 0, link_broadcast});
        drop(ctx, m, Drop::route_prohibit);
        return true;
    }
    return false;
}

// RFC 1812 5.2.7.2: a host redirect when the datagram leaves by the interface it came in on and its
// source is on the same subnet as the next hop (so the sender could have used it directly).
// Source-routed datagrams never get here (they are refused at input). Never a network redirect.
inline void maybe_redirect(WorkerContext& ctx, const Tables& t, const rte_mbuf* m, const rte_ipv4_hdr* ip,
                           const NextHop& nh, uint16_t rx_port) {
    if (nh.port != rx_port || !t.ifaces[rx_port].icmp_redirects) return;
    const uint32_t gateway_be = nh.gateway_be != 0 ? nh.gateway_be : ip->dst_addr;
    if (gateway_be == ip->src_addr) return;  // the sender is the better next hop itself: nothing to say
    if (!t.same_subnet(rx_port, ip->src_addr, gateway_be)) return;
    icmp_send_error(ctx, t, m, {IcmpKind::redirect_host, gateway_be});
}

// Too big for the egress MTU with DF set (RFC 1191): frag needed carrying the next-hop MTU in the
// low 16 bits of the second word, unless the lab knobs say to lie about the MTU or to stay silent.
inline void refuse_too_big(WorkerContext& ctx, const Tables& t, rte_mbuf* m, const InterfaceEntry& egress) {
    if (egress.pmtud_blackhole) {
        drop(ctx, m, Drop::pmtud_blackhole);
        return;
    }
    const uint16_t reported = egress.has_advertised_mtu ? egress.advertised_mtu : egress.mtu;
    icmp_send_error(ctx, t, m, {IcmpKind::frag_needed, rte_cpu_to_be_32(reported)});
    drop(ctx, m, Drop::mtu_exceeded);
}

// Record Route and Timestamp of a datagram on its way out through `nh`: the address recorded is the
// one the router has on the next hop's subnet of the egress interface (RFC 791: "as known in the
// environment into which this datagram is being forwarded"). Options are rare: out of line.
[[gnu::noinline]] inline void stamp_transit_options(const WorkerContext& ctx, const Tables& t, rte_ipv4_hdr* ip,
                                                    const NextHop& nh) {
    const uint32_t next_hop_be = nh.gateway_be != 0 ? nh.gateway_be : ip->dst_addr;
    if (stamp_options(ctx, t, ip, t.source_for(nh.port, next_hop_be))) {
        ip->hdr_checksum = 0;
        ip->hdr_checksum = rte_ipv4_cksum(ip);
    }
}

// A transit datagram whose route says forward. Every check that may answer with an error runs
// before the header is touched, so errors quote the datagram as it arrived.
// RFC 1812 5.3.1: a transit datagram whose TTL would reach 0 is discarded with time exceeded.
inline void refuse_expired(WorkerContext& ctx, const Tables& t, rte_mbuf* m) {
    icmp_send_error(ctx, t, m, {IcmpKind::time_exceeded});
    drop(ctx, m, Drop::ttl_expired);
}

inline void forward_transit(WorkerContext& ctx, const Tables& t, rte_mbuf* m, rte_ether_hdr* eth,
                            rte_ipv4_hdr* ip, const NextHop& nh, uint16_t rx_port) {
    if (ip->time_to_live <= 1) [[unlikely]] {
        refuse_expired(ctx, t, m);
        return;
    }
    const InterfaceEntry& egress = t.ifaces[nh.port];
    const bool too_big = rte_be_to_cpu_16(ip->total_length) > egress.mtu;
    if (too_big && (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG))) [[unlikely]] {
        refuse_too_big(ctx, t, m, egress);
        return;
    }
    if (nh.port == rx_port) [[unlikely]] maybe_redirect(ctx, t, m, ip, nh, rx_port);
    const uint16_t in_clamp = t.ifaces[rx_port].tcp_mss_clamp;
    if ((in_clamp | egress.tcp_mss_clamp) != 0) [[unlikely]] {
        const uint16_t clamp = in_clamp == 0 ? egress.tcp_mss_clamp
                               : egress.tcp_mss_clamp == 0 ? in_clamp
                                                           : std::min(in_clamp, egress.tcp_mss_clamp);
        if (clamp_tcp_mss(m, ip, clamp)) ctx.counters->event(Event::mss_clamped);
    }
    ipv4_decrement_ttl(ip);
    if (ip->version_ihl != RTE_IPV4_VHL_DEF) [[unlikely]] stamp_transit_options(ctx, t, ip, nh);
    if (too_big) [[unlikely]] {
        fragment_and_send(ctx, t, m, nh, true);
        return;
    }
    send_to_next_hop(ctx, t, m, eth, nh, ip->dst_addr, Outbound::transit);
}

// A datagram the router built (echo reply, ICMP error, TCP reset; DF clear) leaving by `nh`: in
// fragments when it is larger than the egress MTU (RFC 791: nothing leaves larger than the link
// takes), as Linux does with its own replies. Never the cause of an error.
inline void send_originated_by(WorkerContext& ctx, const Tables& t, rte_mbuf* m, const NextHop& nh) {
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
    if (rte_be_to_cpu_16(ip->total_length) > t.ifaces[nh.port].mtu) [[unlikely]] {
        fragment_and_send(ctx, t, m, nh, false);
        return;
    }
    send_to_next_hop(ctx, t, m, eth, nh, ip->dst_addr, Outbound::own);
}

// An echo reply, built in the request's mbuf: routed like any other datagram, without TTL
// decrement. The request counts `local_delivered` once its reply can be routed (else the request's
// drop, no_route); what happens to the reply after that is the reply's (own_frames_dropped).
inline void send_originated(WorkerContext& ctx, const Tables& t, rte_mbuf* m) {
    const auto* ip = rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr*, RTE_ETHER_HDR_LEN);
    const NextHop* nh = route_lookup(t, rte_be_to_cpu_32(ip->dst_addr));
    if (nh == nullptr || nh->action != NextHopAction::forward) {
        drop(ctx, m, Drop::no_route);
        return;
    }
    ctx.counters->event(Event::local_delivered);
    send_originated_by(ctx, t, m, *nh);
}

}  // namespace dprouter::stage
