// The punt path (control_plane.mirror, docs/control-plane.md): frames addressed to the router that
// the dataplane does not answer itself go, unchanged, to the kernel's mirror of the arrival port.
// The worker only enqueues on its own single-producer ring; the control thread writes the frames to
// the mirror. A full ring drops the frame (counted), so a flood towards the router costs a worker an
// enqueue attempt per packet and never blocks it or the forwarding of transit traffic.
#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "stage_common.hpp"

namespace dprouter::stage {

// Does the arrival interface hand what the dataplane does not answer to the kernel?
inline bool punts(const Tables& t, uint16_t rx_port) { return t.ifaces[rx_port].punt; }

// RFC 4291 2.7: a multicast group of link-local scope (ff02::/16; the flags nibble may be set).
inline bool v6_link_scope_multicast(const uint8_t* a) { return a[0] == 0xff && (a[1] & 0x0f) == 0x02; }

// RFC 2464 7: the Ethernet group 33:33:xx:xx:xx:xx an IPv6 multicast frame goes to.
inline bool is_ipv6_group_mac(const rte_ether_addr& mac) { return mac.addr_bytes[0] == 0x33 && mac.addr_bytes[1] == 0x33; }

// Hands `m` (the whole frame, as received) to the kernel through the mirror of `rx_port`. Consumes `m`.
inline void punt(WorkerContext& ctx, rte_mbuf* m, uint16_t rx_port) {
    m->port = rx_port;
    if (rte_ring_sp_enqueue(ctx.punt_ring, m) != 0) [[unlikely]] {
        drop(ctx, m, Drop::punt_queue_full);
        return;
    }
    ctx.counters->event(Event::punted);
}

// The same for a copy, when the dataplane goes on to use `m` (ARP requests and neighbour
// solicitations it answers in place: the kernel learns its neighbours from the copy). The copy
// comes from the worker's mempool; none left counts as a full queue.
// The copy is a frame of ours, not a received packet: it counts neither `punted` nor a drop
// reason, and its loss (no mbuf, ring full) is own_frames_dropped.
inline void punt_copy(WorkerContext& ctx, const rte_mbuf* m, uint16_t rx_port) {
    rte_mbuf* c = rte_pktmbuf_copy(m, ctx.pool, 0, UINT32_MAX);
    if (c == nullptr) [[unlikely]] {
        ctx.counters->event(Event::own_frames_dropped);
        return;
    }
    c->port = rx_port;
    if (rte_ring_sp_enqueue(ctx.punt_ring, c) != 0) [[unlikely]] lose_own(ctx, c);
}

}  // namespace dprouter::stage
