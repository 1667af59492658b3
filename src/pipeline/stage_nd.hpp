// IPv6 Neighbor Discovery on the worker side (RFC 4861): what the forwarding stages call to receive
// ND messages, to send a packet to an IPv6 next hop, and to redirect a host to a better first hop.
// The control-thread half (resolution, reachability state, hold queues) is Nd6Resolver.
#pragma once

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dprouter/pipeline.hpp"
#include "dprouter/tables.hpp"

namespace dprouter::stage {

// An ICMPv6 message of type 133..137 (router/neighbor solicitation and advertisement, redirect)
// addressed to us or to a group we listen to. `l4_off` is the offset of the ICMPv6 header in the
// frame, `l4_len` its length (up to the end of the IPv6 payload). Consumes `m`.
void nd_input(WorkerContext& ctx, const Tables& t, rte_mbuf* m, rte_ether_hdr* eth, rte_ipv6_hdr* ip,
              uint32_t l4_off, uint32_t l4_len, uint16_t rx_port);

// Last stage of every IPv6 packet leaving through a next hop: find the link-layer address of the
// gateway (or of `dst` for an on-link destination), rewrite the Ethernet header and queue the frame,
// or hand the packet to the control thread to wait for Neighbor Discovery. `transit` is false for
// packets the router originates. Consumes `m`.
void send_to_next_hop6(WorkerContext& ctx, const Tables& t, rte_mbuf* m, rte_ether_hdr* eth, const NextHop6& nh,
                       const uint8_t* dst, bool transit);

// Called for a transit packet about to leave by the interface it arrived on: sends the source a
// Redirect (RFC 4861 8.2) when the rules allow and the interface has icmp_redirects on. The packet
// is not consumed (it is still forwarded). `ip` is its header as received.
void maybe_redirect6(WorkerContext& ctx, const Tables& t, const rte_mbuf* m, const rte_ipv6_hdr* ip,
                     const NextHop6& nh, uint16_t rx_port);

}  // namespace dprouter::stage
