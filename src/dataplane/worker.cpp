#include "dprouter/worker.hpp"

#include <algorithm>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

namespace dprouter {

void worker_flush(WorkerContext& ctx, uint16_t queue, uint16_t port_end) {
    for (uint16_t port = 0; port < port_end; ++port) {
        uint16_t n = ctx.out.count[port];
        if (n == 0) continue;
        rte_mbuf** pkts = ctx.out.pkts[port];
        uint16_t sent = 0;
        while (sent < n) {
            const uint16_t s = rte_eth_tx_burst(port, queue, pkts + sent, static_cast<uint16_t>(n - sent));
            if (s == 0) break;  // queue full: do not spin, drop the rest
            sent = static_cast<uint16_t>(sent + s);
        }
        PortCounters& pc = ctx.counters->ports[port];
        pc.tx += sent;
        if (sent < n) {
            pc.tx_dropped += n - sent;
            rte_pktmbuf_free_bulk(pkts + sent, n - sent);
        }
        ctx.out.count[port] = 0;
    }
}

int worker_main(void* arg) {
    auto& w = *static_cast<WorkerSetup*>(arg);
    WorkerContext& ctx = *w.ctx;
    rte_rcu_qsbr_thread_register(w.qsbr, ctx.worker_id);
    rte_rcu_qsbr_thread_online(w.qsbr, ctx.worker_id);
    rte_mbuf* pkts[kRxBurst];
    // Every TX batch a packet can be queued on belongs to one of the worker's ports: flush only up
    // to the highest of them rather than all kMaxPorts batches on every iteration.
    uint16_t port_end = 0;
    for (uint16_t i = 0; i < w.n_ports; ++i) port_end = std::max<uint16_t>(port_end, static_cast<uint16_t>(w.ports[i] + 1));
    while (!w.stop->load(std::memory_order_relaxed)) {
        // The tables pointer stays valid until this worker next reports quiescent.
        const Tables* t = w.tables->load(std::memory_order_acquire);
        ctx.now_tsc = rte_rdtsc();  // one clock reading per iteration, for every packet of it
        for (uint16_t i = 0; i < w.n_ports; ++i) {
            const uint16_t port = w.ports[i];
            const uint16_t n = rte_eth_rx_burst(port, w.queue, pkts, kRxBurst);
            if (n != 0) pipeline_run(ctx, *t, pkts, n, port);
        }
        pipeline_take_injected(ctx, *t);
        worker_flush(ctx, w.queue, port_end);
        rte_rcu_qsbr_quiescent(w.qsbr, ctx.worker_id);
    }
    rte_rcu_qsbr_thread_offline(w.qsbr, ctx.worker_id);
    rte_rcu_qsbr_thread_unregister(w.qsbr, ctx.worker_id);
    return 0;
}

}  // namespace dprouter
