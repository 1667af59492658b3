// Small helpers every stage uses: dropping with a reason and queueing for transmission.
#pragma once

#include <rte_mbuf.h>

#include "dprouter/pipeline.hpp"

namespace dprouter::stage {

inline void drop(WorkerContext& ctx, rte_mbuf* m, Drop reason) {
    ctx.counters->drop(reason);
    rte_pktmbuf_free(m);
}

// A frame that is no received packet's outcome lost on its way out (Outbound::own, transit_piece).
inline void lose_own(WorkerContext& ctx, rte_mbuf* m) {
    ctx.counters->event(Event::own_frames_dropped);
    rte_pktmbuf_free(m);
}

// A frame lost before it reached a TX batch: the received packet's drop, or one of ours.
inline void drop_outbound(WorkerContext& ctx, rte_mbuf* m, Outbound o, Drop reason) {
    if (o == Outbound::transit)
        drop(ctx, m, reason);
    else
        lose_own(ctx, m);
}

// Queues a transit packet: it counts `forwarded` when the port takes it (tx_account).
inline void emit(WorkerContext& ctx, uint16_t port, rte_mbuf* m) {
    uint16_t& n = ctx.out.count[port];
    if (n == TxBatch::kCapacity) [[unlikely]] {
        drop(ctx, m, Drop::tx_full);
        return;
    }
    ctx.out.pkts[port][n++] = m;
}

// Queues a frame that does not count as forwarded (the router's own, a transit piece): its
// position is marked for tx_account.
inline void emit_own(WorkerContext& ctx, uint16_t port, rte_mbuf* m) {
    uint16_t& n = ctx.out.count[port];
    if (n == TxBatch::kCapacity) [[unlikely]] {
        lose_own(ctx, m);
        return;
    }
    ctx.out.own_bits[port][n / 64] |= uint64_t{1} << (n % 64);
    ++ctx.out.own[port];
    ctx.out.pkts[port][n++] = m;
}

inline void emit_as(WorkerContext& ctx, uint16_t port, rte_mbuf* m, Outbound o) {
    if (o == Outbound::transit)
        emit(ctx, port, m);
    else
        emit_own(ctx, port, m);
}

}  // namespace dprouter::stage
