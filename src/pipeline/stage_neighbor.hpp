// Last stage of every packet that leaves through a next hop: find the link-layer address, rewrite
// the Ethernet header and queue the frame, or hand the packet to the control thread to wait for ARP.
#pragma once

#include "dprouter/checksum.hpp"
#include "icmp/icmp_error.hpp"
#include "stage_common.hpp"

namespace dprouter::stage {

inline void hold_for_resolution(WorkerContext& ctx, rte_mbuf* m, uint32_t target_be, uint16_t port, Outbound o) {
    set_held_meta(m, target_be, port, o);
    if (rte_ring_sp_enqueue(ctx.hold_ring, m) != 0) [[unlikely]] {
        drop_outbound(ctx, m, o, Drop::control_ring_full);
        return;
    }
    ctx.counters->event(Event::held_for_arp);
}

// A transit packet (TTL already decremented) whose next hop does not answer: the sender gets a
// host unreachable quoting the header as it arrived. A piece that does not count for its datagram
// (Outbound::transit_piece) is no drop of its own.
inline void refuse_unresolved(WorkerContext& ctx, const Tables& t, rte_mbuf* m, Outbound o = Outbound::transit) {
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(rte_pktmbuf_mtod(m, uint8_t*) + RTE_ETHER_HDR_LEN);
    ipv4_increment_ttl(ip);
    icmp_send_error(ctx, t, m, {IcmpKind::host_unreachable});
    drop_outbound(ctx, m, o, Drop::neighbor_failed);
}

// `dst_be` is the packet's IP destination, used when the next hop is on-link. Packets the router
// originates (Outbound::own) never cause an error of their own.
inline void send_to_next_hop(WorkerContext& ctx, const Tables& t, rte_mbuf* m, rte_ether_hdr* eth,
                             const NextHop& nh, uint32_t dst_be, Outbound o) {
    PackedNeighbor l2;
    uint32_t target_be;
    if (nh.gateway_be != 0) {
        target_be = nh.gateway_be;
        l2.word = nh.l2.load(std::memory_order_acquire);
    } else {
        target_be = dst_be;
        if (!ctx.neighbors->lookup(target_be, nh.port, &l2)) l2.word = 0;  // unknown: incomplete
    }
    switch (l2.state()) {
    case NeighborState::reachable:
        l2.copy_mac(&eth->dst_addr);
        rte_ether_addr_copy(&t.ifaces[nh.port].mac, &eth->src_addr);
        emit_as(ctx, nh.port, m, o);
        return;
    case NeighborState::failed:
        if (o != Outbound::own)
            refuse_unresolved(ctx, t, m, o);
        else
            lose_own(ctx, m);
        return;
    case NeighborState::incomplete:
        break;
    }
    hold_for_resolution(ctx, m, target_be, nh.port, o);
}

}  // namespace dprouter::stage
