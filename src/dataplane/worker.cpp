#include "dprouter/worker.hpp"

#include <algorithm>

#include <sys/prctl.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_ring.h>

#include "dprouter/idle_backoff.hpp"

namespace dprouter {

void worker_flush(WorkerContext& ctx, uint16_t queue, uint16_t port_end) {
    for (uint16_t port = 0; port < port_end; ++port) {
        uint16_t n = ctx.out.count[port];
        if (n == 0) continue;
        rte_mbuf** pkts = ctx.out.pkts[port];
        // Captured as handed to the port (after rewrite); what the queue then refuses is in it too.
        if (capture_wanted(ctx.capture, port, kCaptureTx))
            capture_copy(ctx.capture, *ctx.counters, pkts, n, port, queue, kCaptureTx, worker_tsc(ctx));
        uint16_t sent = 0;
        while (sent < n) {
            const uint16_t s = rte_eth_tx_burst(port, queue, pkts + sent, static_cast<uint16_t>(n - sent));
            if (s == 0) break;  // queue full: do not spin, drop the rest
            sent = static_cast<uint16_t>(sent + s);
        }
        tx_account(ctx, port, 0, sent, n);
        ctx.out.count[port] = 0;
    }
}

namespace {

// dpdk.idle: sleep. The first empty iteration sleeps 1 us, each further one twice as long, up to
// idle_max_us; the first packet (or injected frame) brings the worker back to full polling.
// rte_delay_us_sleep is nanosleep(2): the CPU goes to other threads (other routers of a lab).
// One loop for both modes; the poll instantiation is the loop as it always was, without a branch
// or a counter of the sleep mode's.
template <bool kSleepWhenIdle>
void worker_loop(WorkerSetup& w, WorkerContext& ctx, uint16_t port_end) {
    rte_mbuf* pkts[kRxBurst];
    [[maybe_unused]] IdleBackoff backoff(1, w.idle_max_us);
    while (!w.stop->load(std::memory_order_relaxed)) {
        // The tables pointer stays valid until this worker next reports quiescent.
        const Tables* t = w.tables->load(std::memory_order_acquire);
        ctx.now_tsc = rte_rdtsc();  // one clock reading per iteration, for every packet of it
        [[maybe_unused]] unsigned received = 0;
        for (uint16_t i = 0; i < w.n_ports; ++i) {
            const uint16_t port = w.ports[i];
            const uint16_t n = rte_eth_rx_burst(port, w.queue, pkts, kRxBurst);
            if (n != 0) {
                // Captured as received, before any stage changes the frame.
                if (capture_wanted(ctx.capture, port, kCaptureRx))
                    capture_copy(ctx.capture, *ctx.counters, pkts, n, port, w.queue, kCaptureRx, ctx.now_tsc);
                pipeline_run(ctx, *t, pkts, n, port);
            }
            if constexpr (kSleepWhenIdle) received |= n;
        }
        if constexpr (kSleepWhenIdle) received |= rte_ring_count(ctx.inject_ring);
        pipeline_take_injected(ctx, *t);
        worker_flush(ctx, w.queue, port_end);
        rte_rcu_qsbr_quiescent(w.qsbr, ctx.worker_id);
        if constexpr (kSleepWhenIdle) {
            // A frame the control thread injected since the dequeue above goes out now, not after a
            // sleep (ARP and ND replies, released held packets).
            if (received != 0 || !rte_ring_empty(ctx.inject_ring)) {
                backoff.busy();
            } else {
                // Offline while asleep: the control thread, checking whether old tables can be freed,
                // need not wait for the sleep to end. The tables pointer is loaded again after coming
                // back online.
                rte_rcu_qsbr_thread_offline(w.qsbr, ctx.worker_id);
                rte_delay_us_sleep(backoff.next());
                rte_rcu_qsbr_thread_online(w.qsbr, ctx.worker_id);
            }
        }
    }
}

}  // namespace

int worker_main(void* arg) {
    auto& w = *static_cast<WorkerSetup*>(arg);
    WorkerContext& ctx = *w.ctx;
    rte_rcu_qsbr_thread_register(w.qsbr, ctx.worker_id);
    rte_rcu_qsbr_thread_online(w.qsbr, ctx.worker_id);
    // Every TX batch a packet can be queued on belongs to one of the worker's ports: flush only up
    // to the highest of them rather than all kMaxPorts batches on every iteration.
    uint16_t port_end = 0;
    for (uint16_t i = 0; i < w.n_ports; ++i) port_end = std::max<uint16_t>(port_end, static_cast<uint16_t>(w.ports[i] + 1));
    if (w.sleep_when_idle) {
        // The kernel lets a sleep run late by the thread's timer slack (50 us by default) to batch
        // wake-ups; a 1 us back-off would become 50 us or more. 1 ns asks for the sleep as given
        // (docs/benchmarking.md "Idle workers" has what that buys on a VM).
        prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
        worker_loop<true>(w, ctx, port_end);
    } else {
        worker_loop<false>(w, ctx, port_end);
    }
    rte_rcu_qsbr_thread_offline(w.qsbr, ctx.worker_id);
    rte_rcu_qsbr_thread_unregister(w.qsbr, ctx.worker_id);
    return 0;
}

}  // namespace dprouter
