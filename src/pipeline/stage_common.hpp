// Small helpers every stage uses: dropping with a reason and queueing for transmission.
#pragma once

#include <rte_mbuf.h>

#include "dprouter/pipeline.hpp"

namespace dprouter::stage {

inline void drop(WorkerContext& ctx, rte_mbuf* m, Drop reason) {
    ctx.counters->drop(reason);
    rte_pktmbuf_free(m);
}

inline void emit(WorkerContext& ctx, uint16_t port, rte_mbuf* m) {
    uint16_t& n = ctx.out.count[port];
    if (n == TxBatch::kCapacity) [[unlikely]] {
        drop(ctx, m, Drop::tx_full);
        return;
    }
    ctx.out.pkts[port][n++] = m;
}

}  // namespace dprouter::stage
