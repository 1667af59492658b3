// The poll-mode loop of one worker lcore (with dpdk.idle: sleep, one that sleeps when idle).
#pragma once

#include <atomic>
#include <cstdint>

#include <rte_rcu_qsbr.h>

#include "dprouter/pipeline.hpp"

namespace dprouter {

struct WorkerSetup {
    WorkerContext* ctx = nullptr;
    uint16_t queue = 0;                       // RX and TX queue index on every port
    uint16_t n_ports = 0;
    uint16_t ports[kMaxPorts]{};
    const std::atomic<Tables*>* tables = nullptr;
    rte_rcu_qsbr* qsbr = nullptr;
    const std::atomic<bool>* stop = nullptr;
    bool sleep_when_idle = false;  // dpdk.idle: sleep (back off in sleeps when the queues are empty)
    unsigned idle_max_us = 100;    // the longest of those sleeps
};

// rte_eal_remote_launch entry point; `arg` is a WorkerSetup*.
int worker_main(void* arg);

// Sends everything queued in ctx.out on `queue` for ports below `port_end`; what the device
// refuses is freed, and both are counted (tx_account).
void worker_flush(WorkerContext& ctx, uint16_t queue, uint16_t port_end = kMaxPorts);

}  // namespace dprouter
