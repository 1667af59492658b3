// The run-to-completion forwarding pipeline a worker applies to each received burst.
// Everything a worker touches per packet is reachable from WorkerContext; the pipeline never
// allocates, locks, logs or makes a system call, so unit tests can drive it with crafted mbufs.
#pragma once

#include <cstdint>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dprouter/counters.hpp"
#include "dprouter/limits.hpp"
#include "dprouter/neighbor_table.hpp"
#include "dprouter/tables.hpp"

namespace dprouter {

// What a worker tells the control thread about an ARP packet addressed to us, so that the control
// thread (the only writer of the neighbour table) can learn the sender.
struct LearnMessage {
    uint32_t sender_be;
    uint16_t port;
    uint8_t is_reply;
    uint8_t reserved;
    rte_ether_addr mac;
    uint16_t reserved2;
};
static_assert(sizeof(LearnMessage) == 16);

// Packets leaving this burst, per egress port; flushed with rte_eth_tx_burst by the worker loop and
// read directly by the unit tests.
struct TxBatch {
    static constexpr unsigned kCapacity = 512;  // a burst of jumbo frames cut into many fragments fits
    uint16_t count[kMaxPorts]{};
    rte_mbuf* pkts[kMaxPorts][kCapacity];
};

// Metadata carried by a packet handed to the control thread to wait for ARP: the address to resolve
// lives in hash.usr and the egress port in port.
inline uint32_t held_next_hop(const rte_mbuf* m) { return m->hash.usr; }

struct alignas(RTE_CACHE_LINE_SIZE) WorkerContext {
    unsigned worker_id = 0;
    WorkerCounters* counters = nullptr;
    const NeighborTable* neighbors = nullptr;
    rte_ring* hold_ring = nullptr;    // worker -> control: packets waiting for a next hop (SP/SC)
    rte_ring* learn_ring = nullptr;   // worker -> control: LearnMessage elements (SP/SC)
    rte_ring* inject_ring = nullptr;  // control -> worker: complete frames, m->port = egress (SP/SC)
    TxBatch out;
};

// Runs every stage over `n` packets received on `rx_port`. Each mbuf ends up in ctx.out, in one of
// the rings, or freed with a drop counted.
void pipeline_run(WorkerContext& ctx, const Tables& t, rte_mbuf** pkts, uint16_t n, uint16_t rx_port);

// Moves frames the control thread wants sent into ctx.out.
void pipeline_take_injected(WorkerContext& ctx);

}  // namespace dprouter
