// Fragmentation of datagrams that are larger than the egress MTU and may be fragmented: transit
// datagrams with DF clear (RFC 791, RFC 1812 4.2.2.7 and 5.2.6) and datagrams the router originates
// (echo replies, ICMP errors), which never carry DF. Uses DPDK's rte_ip_frag: by reference (direct
// header mbufs chained to indirect mbufs over the original payload) where the egress PMD sends
// chains, by copy where it does not. rte_ip_frag keeps the offset base and MF of an input that is
// itself a fragment, and copies only options with the copy flag into the fragments after the first.
#pragma once

#include <rte_mbuf.h>

#include "dprouter/pipeline.hpp"

namespace dprouter {

// Fragments the largest datagram (65535 bytes) needs at the smallest MTU (68) when it carries no
// options: (65535 - 20) / 48 rounded up. The TX batch has room for them (TxBatch::kCapacity).
inline constexpr uint16_t kMaxFragments = 1365;

// `m` is the whole frame (Ethernet header first); a transit datagram has its TTL decremented
// already. Consumes `m`; each fragment gets a fresh Ethernet header and checksum and goes to the
// next hop like any packet. A transit datagram counts as forwarded once its last piece is sent.
void fragment_and_send(WorkerContext& ctx, const Tables& t, rte_mbuf* m, const NextHop& nh, bool transit);

}  // namespace dprouter
