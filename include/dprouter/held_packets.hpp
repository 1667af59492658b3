// What both neighbour resolvers (ArpResolver, Nd6Resolver) do with the packets they hold while a
// next hop resolves: send them once it answers, refuse them when it does not.
#pragma once

#include <cstddef>
#include <vector>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dprouter/pipeline.hpp"

namespace dprouter::held {

// Addresses every packet of `held` to `dst` from `src`, queues them on `port` in `out` and empties
// `held`. Returns how many went.
inline size_t release(std::vector<rte_mbuf*>& held, const rte_ether_addr& dst, const rte_ether_addr& src,
                      uint16_t port, std::vector<rte_mbuf*>& out) {
    for (rte_mbuf* m : held) {
        auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
        eth->dst_addr = dst;
        eth->src_addr = src;
        // A packet that stands for a received one counts `forwarded` when the worker sends it.
        m->port = held_counts(m) ? static_cast<uint16_t>(port | kInjectCounted) : port;
        out.push_back(m);
    }
    const size_t n = held.size();
    held.clear();
    return n;
}

// A held packet given up on by the control thread itself: counted in `c` (the control thread's
// counter block; none in some tests) as the drop `reason` of the received packet it stands for, or
// as a frame of ours lost (docs/architecture.md, "Counters").
inline void lose(rte_mbuf* m, WorkerCounters* c, Drop reason) {
    if (c != nullptr) {
        if (held_counts(m))
            c->drop(reason);
        else
            c->event(Event::own_frames_dropped);
    }
    rte_pktmbuf_free(m);
}

// A packet whose next hop failed. Transit packets go back to a worker (kInjectHostUnreachable),
// which owes their senders an error of their family (held_is_ipv6) and counts the drop; our own
// packets (echo replies, errors) just go.
inline void refuse(rte_mbuf* m, std::vector<rte_mbuf*>& out, WorkerCounters* c = nullptr) {
    if (held_is_transit(m)) {
        m->port = kInjectHostUnreachable;
        out.push_back(m);
    } else {
        lose(m, c, Drop::neighbor_failed);
    }
}

// Frees every packet of `held` (each counted as `reason` in `c`, see lose) and empties it;
// returns how many there were.
inline size_t free_all(std::vector<rte_mbuf*>& held, WorkerCounters* c = nullptr, Drop reason = Drop::neighbor_failed) {
    for (rte_mbuf* m : held) lose(m, c, reason);
    const size_t n = held.size();
    held.clear();
    return n;
}

}  // namespace dprouter::held
