// IPv6 Neighbor Discovery on the worker side (RFC 4861): what the forwarding stages call to receive
// ND messages, to send a packet to an IPv6 next hop, and to redirect a host to a better first hop.
// The control-thread half (resolution, reachability state, hold queues) is Nd6Resolver
// (dprouter/nd_resolver.hpp); the workers only read the neighbour cache and report what they learn.
#pragma once

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dprouter/pipeline.hpp"
#include "dprouter/tables.hpp"
#include "icmp/icmp6_error.hpp"
#include "stage_common.hpp"

namespace dprouter::stage {

// An ICMPv6 message of type 133..137 (router/neighbor solicitation and advertisement, redirect)
// addressed to us or to a group we listen to. `l4_off` is the offset of the ICMPv6 header in the
// frame, `l4_len` its length (up to the end of the IPv6 payload). Consumes `m`.
void nd_input(WorkerContext& ctx, const Tables& t, rte_mbuf* m, rte_ether_hdr* eth, rte_ipv6_hdr* ip,
              uint32_t l4_off, uint32_t l4_len, uint16_t rx_port);

// Called for a transit packet about to leave by the interface it arrived on: sends the source a
// Redirect (RFC 4861 8.2) when the rules allow and the interface has icmp_redirects on. The packet
// is not consumed (it is still forwarded). `ip` is its header as received.
void maybe_redirect6(WorkerContext& ctx, const Tables& t, const rte_mbuf* m, const rte_ipv6_hdr* ip,
                     const NextHop6& nh, uint16_t rx_port);

// A transit packet (hop limit already decremented) whose next hop never answered Neighbor
// Discovery: the sender gets destination unreachable code 3, address unreachable (RFC 4443 3.1),
// quoting the header as it arrived. Also used for the held packets the control thread gives up on.
inline void refuse_unresolved6(WorkerContext& ctx, const Tables& t, rte_mbuf* m, Outbound o = Outbound::transit) {
    auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv6_hdr*, RTE_ETHER_HDR_LEN);
    ++ip->hop_limits;
    icmp6_send_error(ctx, t, m, {IcmpKind::icmp6_address_unreachable});
    drop_outbound(ctx, m, o, Drop::neighbor_failed);
}

// Hands the packet to the control thread, which solicits `target` and sends the packet when (if)
// it answers. The 16-byte target travels in the headroom (set_held_meta6).
inline void hold_for_nd(WorkerContext& ctx, rte_mbuf* m, const uint8_t* target, uint16_t port, Outbound o) {
    if (rte_pktmbuf_headroom(m) < 16) [[unlikely]] {
        drop_outbound(ctx, m, o, Drop::nd_hold_no_headroom);
        return;
    }
    set_held_meta6(m, target, port, o);
    if (rte_ring_sp_enqueue(ctx.hold_ring, m) != 0) [[unlikely]] {
        drop_outbound(ctx, m, o, Drop::control_ring_full);
        return;
    }
    ctx.counters->event(Event::held_for_nd);
}

// Last stage of every IPv6 packet leaving through a next hop: find the link-layer address of the
// gateway (or of `dst` for an on-link destination), rewrite the Ethernet header and queue the frame,
// or hand the packet to the control thread to wait for Neighbor Discovery. Packets the router
// originates (Outbound::own) never cause an error; transit packets arrive here with their hop
// limit already decremented. Consumes `m`.
inline void send_to_next_hop6(WorkerContext& ctx, const Tables& t, rte_mbuf* m, rte_ether_hdr* eth,
                              const NextHop6& nh, const uint8_t* dst, Outbound o) {
    PackedNeighbor l2;
    const uint8_t* target;
    if (nh.has_gateway()) {
        target = nh.gateway;
        l2.word = nh.l2.load(std::memory_order_acquire);  // kept current by the control thread
    } else {
        target = dst;
        if (!ctx.neighbors6->lookup(dst, nh.port, &l2)) l2.word = 0;  // unknown: incomplete
    }
    const NeighborState state = l2.state();
    if (state == NeighborState::reachable) [[likely]] {
        l2.copy_mac(&eth->dst_addr);
        rte_ether_addr_copy(&t.ifaces[nh.port].mac, &eth->src_addr);
        emit_as(ctx, nh.port, m, o);
    } else if (state == NeighborState::incomplete) {
        hold_for_nd(ctx, m, target, nh.port, o);
    } else if (o == Outbound::transit) {
        refuse_unresolved6(ctx, t, m);  // failed
    } else {
        lose_own(ctx, m);  // ours: never an error about our own packet
    }
}

}  // namespace dprouter::stage
