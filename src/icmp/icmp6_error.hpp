// ICMPv6 errors the router originates (RFC 4443): the IPv6 counterpart of icmp_error.hpp, used by
// every IPv6 stage. Suppression (2.4(e)), rate limits with buckets of their own (2.4(f)), the quote
// (as much of the offender as fits in the minimum MTU, 1280 bytes, 2.4(c)), the checksum over the
// pseudo-header (2.3), the source address (2.2), then routing like any packet we originate.
// Off the fast path: called only for packets that are being refused anyway.
#pragma once

#include <cstdint>

#include <rte_mbuf.h>

#include "dprouter/icmp.hpp"
#include "dprouter/pipeline.hpp"

namespace dprouter {

inline constexpr uint32_t kIcmp6MaxLength = 1280;  // RFC 4443 2.4(c): the error fits in the IPv6 minimum MTU

struct Icmp6ErrorRequest {
    IcmpKind kind;                // one of the icmp6_* kinds
    uint32_t param = 0;           // host order: the MTU (Packet Too Big) or the pointer (Parameter Problem)
    bool link_multicast = false;  // the offender came in a link-layer multicast frame
};

// Builds and sends the error about `offender` (a frame whose IPv6 header starts after the Ethernet
// header, unmodified since it arrived: hop limit as received). The offender is not consumed.
// Returns true if one was sent (or queued for Neighbor Discovery).
bool icmp6_send_error(WorkerContext& ctx, const Tables& t, const rte_mbuf* offender, const Icmp6ErrorRequest& req);

}  // namespace dprouter
