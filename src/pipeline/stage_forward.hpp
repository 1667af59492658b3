// Route lookup and the transit checks that follow it: route actions, TTL (RFC 1812 5.3.1), egress
// MTU, then TTL decrement with an incremental checksum update (RFC 1624).
#pragma once

#include <rte_ip.h>
#include <rte_lpm.h>

#include "dprouter/checksum.hpp"
#include "stage_neighbor.hpp"

namespace dprouter::stage {

// Looks up the destination; returns nullptr (and counts no_route) on a miss.
inline const NextHop* route_lookup(const Tables& t, uint32_t dst_host) {
    uint32_t idx;
    if (rte_lpm_lookup(t.lpm, dst_host, &idx) != 0) return nullptr;
    return &t.nexthops[idx];
}

// Drops for routes that do not forward. Returns true when the packet was consumed.
inline bool apply_route_action(WorkerContext& ctx, rte_mbuf* m, const NextHop& nh) {
    switch (nh.action) {
    case NextHopAction::forward:
    case NextHopAction::local:
        return false;
    case NextHopAction::broadcast:
        drop(ctx, m, Drop::ip_broadcast_not_forwarded);
        return true;
    case NextHopAction::blackhole:
        drop(ctx, m, Drop::route_blackhole);
        return true;
    case NextHopAction::unreachable:
        drop(ctx, m, Drop::route_unreachable);
        return true;
    case NextHopAction::prohibit:
        drop(ctx, m, Drop::route_prohibit);
        return true;
    }
    return false;
}

// A transit datagram whose route says forward.
inline void forward_transit(WorkerContext& ctx, const Tables& t, rte_mbuf* m, rte_ether_hdr* eth,
                            rte_ipv4_hdr* ip, const NextHop& nh) {
    if (ip->time_to_live <= 1) {
        drop(ctx, m, Drop::ttl_expired);
        return;
    }
    if (rte_be_to_cpu_16(ip->total_length) > t.ifaces[nh.port].mtu) {
        drop(ctx, m, Drop::mtu_exceeded);
        return;
    }
    ipv4_decrement_ttl(ip);
    ctx.counters->event(Event::forwarded);
    send_to_next_hop(ctx, t, m, eth, nh, ip->dst_addr);
}

// A datagram the router itself originates (echo reply, later ICMP errors): routed like any other,
// without TTL decrement.
inline void send_originated(WorkerContext& ctx, const Tables& t, rte_mbuf* m) {
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
    const NextHop* nh = route_lookup(t, rte_be_to_cpu_32(ip->dst_addr));
    if (nh == nullptr) {
        drop(ctx, m, Drop::no_route);
        return;
    }
    if (apply_route_action(ctx, m, *nh)) return;
    if (nh->action != NextHopAction::forward) {  // to ourselves: nothing to send
        drop(ctx, m, Drop::local_unhandled);
        return;
    }
    send_to_next_hop(ctx, t, m, eth, *nh, ip->dst_addr);
}

}  // namespace dprouter::stage
