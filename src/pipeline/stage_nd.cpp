// Worker side of IPv6 Neighbor Discovery (stage_nd.hpp).
//
// FOUNDATION STUB: sends to resolved next hops only; solicitations, holding and redirects come
// with the Neighbor Discovery work.
#include "stage_nd.hpp"

#include "stage_common.hpp"

namespace dprouter::stage {

void nd_input(WorkerContext& ctx, const Tables&, rte_mbuf* m, rte_ether_hdr*, rte_ipv6_hdr*, uint32_t, uint32_t,
              uint16_t) {
    drop(ctx, m, Drop::local_unhandled);
}

void send_to_next_hop6(WorkerContext& ctx, const Tables& t, rte_mbuf* m, rte_ether_hdr* eth, const NextHop6& nh,
                       const uint8_t* dst, bool) {
    PackedNeighbor l2;
    if (nh.has_gateway()) {
        l2.word = nh.l2.load(std::memory_order_acquire);
    } else if (ctx.neighbors6 == nullptr || !ctx.neighbors6->lookup(dst, nh.port, &l2)) {
        l2.word = 0;
    }
    if (l2.state() != NeighborState::reachable) {
        drop(ctx, m, Drop::neighbor_failed);
        return;
    }
    l2.copy_mac(&eth->dst_addr);
    rte_ether_addr_copy(&t.ifaces[nh.port].mac, &eth->src_addr);
    emit(ctx, nh.port, m);
}

void maybe_redirect6(WorkerContext&, const Tables&, const rte_mbuf*, const rte_ipv6_hdr*, const NextHop6&, uint16_t) {}

}  // namespace dprouter::stage
