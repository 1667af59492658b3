// ICMPv6 errors the router originates (RFC 4443): the IPv6 counterpart of icmp_error.hpp, used by
// every IPv6 stage. Suppression (2.4(e)), rate limits with buckets of their own (2.4(f)), the quote
// (as much of the offender as fits in the minimum MTU, 1280 bytes, 2.4(c)), the checksum over the
// pseudo-header (2.3), the source address (2.2), then routing like any packet we originate.
// Off the fast path: called only for packets that are being refused anyway.
#pragma once

#include <cstdint>
#include <optional>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dprouter/icmp.hpp"
#include "dprouter/pipeline.hpp"

namespace dprouter {

inline constexpr uint32_t kIcmp6MaxLength = 1280;  // RFC 4443 2.4(c): the error fits in the IPv6 minimum MTU
inline constexpr uint32_t kIcmp6ErrorHeaders = sizeof(rte_ipv6_hdr) + 8;  // our IPv6 header + the ICMPv6 header

struct Icmp6ErrorRequest {
    IcmpKind kind;                // one of the icmp6_* kinds
    uint32_t param = 0;           // host order: the MTU (Packet Too Big) or the pointer (Parameter Problem)
    bool link_multicast = false;  // the offender came in a link-layer multicast frame
    // The error's source address (16 bytes, read before the call returns): for a packet addressed
    // to the router, the address it targeted (RFC 4443 2.2(a)). nullptr: the router's address on
    // the arrival interface (offender->port) matching the scope of the offender's source.
    const uint8_t* source = nullptr;
};

// Which rule of RFC 4443 2.4(e) forbids an error of `kind` about this packet, if any. `offender`
// is a frame whose IPv6 header starts after the Ethernet header.
std::optional<IcmpSuppress> icmp6_suppressed(const Tables& t, const rte_mbuf* offender, IcmpKind kind,
                                             bool link_multicast);

// Takes a token from the ICMPv6 buckets that govern `kind` towards `dst` (16 bytes).
std::optional<IcmpSuppress> icmp6_rate_limit(WorkerContext& ctx, const Tables& t, IcmpKind kind, const uint8_t* dst);

// Builds and sends the error about `offender` (a frame whose IPv6 header starts after the Ethernet
// header, unmodified since it arrived: hop limit as received; offender->port the port it arrived
// on). The offender is not consumed. Returns true if one was sent (or queued for Neighbor
// Discovery).
bool icmp6_send_error(WorkerContext& ctx, const Tables& t, const rte_mbuf* offender, const Icmp6ErrorRequest& req);

// RFC 793 reset for a TCP segment to one of our addresses (no listener), under the same rules and
// buckets; `l4_off` is the frame offset of its TCP header (past any extension headers).
bool tcp6_send_reset(WorkerContext& ctx, const Tables& t, const rte_mbuf* offender, uint32_t l4_off);

}  // namespace dprouter
