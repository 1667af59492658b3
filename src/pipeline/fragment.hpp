// Fragmentation of transit datagrams that are larger than the egress MTU and may be fragmented
// (RFC 791, RFC 1812 4.2.2.7 and 5.2.6). Uses DPDK's rte_ip_frag: by reference (direct header mbufs
// chained to indirect mbufs over the original payload) where the egress PMD sends chains, by copy
// where it does not. rte_ip_frag keeps the offset base and MF of an input that is itself a fragment,
// and copies only options with the copy flag into the fragments after the first.
#pragma once

#include <rte_mbuf.h>

#include "dprouter/pipeline.hpp"

namespace dprouter {

// `m` is the whole frame (Ethernet header first) with TTL already decremented. Consumes `m`; each
// fragment gets a fresh Ethernet header and checksum and goes to the next hop like any packet.
void fragment_and_send(WorkerContext& ctx, const Tables& t, rte_mbuf* m, const NextHop& nh);

}  // namespace dprouter
