// The one component every stage uses to answer a datagram with an ICMP error (or, for TCP to the
// router, a RST): suppression rules (RFC 1812 4.3.2.7), rate limits (4.3.2.8), the quote (4.3.2.3),
// the envelope (4.3.2.5), the source address (4.3.2.4), then routing like any packet we originate.
// Off the fast path: called only for datagrams that are being refused anyway.
#pragma once

#include <cstdint>
#include <optional>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "dprouter/icmp.hpp"
#include "dprouter/pipeline.hpp"

namespace dprouter {

inline constexpr uint32_t kIcmpMaxLength = 576;  // RFC 1812 4.3.2.3: the whole error fits in 576 bytes
inline constexpr uint32_t kIcmpErrorHeaders = sizeof(rte_ipv4_hdr) + 8;  // our IP header + the ICMP header

// How many bytes of the offender (`offender_len` of them available, IP header of `offender_ihl`
// bytes first) an error leaving by a link of `egress_mtu` quotes. The route back is looked up
// first, so that the size is decided knowing the egress.
uint32_t icmp_quote_length(uint32_t offender_len, uint32_t offender_ihl, uint16_t egress_mtu);

struct IcmpErrorRequest {
    IcmpKind kind;
    uint32_t rest_be = 0;         // second word of the ICMP header: MTU, gateway or pointer
    uint32_t source_be = 0;       // 0: an address of the egress interface; else this address
    bool link_broadcast = false;  // the offender came in a link-layer broadcast/multicast frame
};

// Which rule forbids an error about this datagram, if any. `ip` is the offender's header as it
// arrived and `len` the bytes of it available (at least the IP header).
std::optional<IcmpSuppress> icmp_suppressed(const rte_ipv4_hdr* ip, uint32_t len, bool link_broadcast);

// Brings the worker's share of the configured limits up to date with the tables' generation
// (both families' limiters use it).
void icmp_refresh_limits(WorkerContext& ctx, const Tables& t);

// Takes a token from the buckets that govern `kind` towards `dst_be`; on refusal says which.
std::optional<IcmpSuppress> icmp_rate_limit(WorkerContext& ctx, const Tables& t, IcmpKind kind, uint32_t dst_be);

// The rate limits' answer for an error to `dst_be` (not frag needed) when it is a refusal that
// leaves the limiter as icmp_rate_limit would: the global bucket is inside the window it last
// found itself empty for (rate_global; icmp_rate_limit asks it first and changes nothing), or the
// destination's bucket refills and has no token (rate_destination, with the same refill
// icmp_rate_limit makes). Nothing when an error may go, or when the limits are not yet the current
// tables' (icmp_rate_limit refreshes them first). The vector path's cheap refusal of a flood of
// expired datagrams: for an offender icmp_send_error does not suppress for another reason, it
// would count this reason and do nothing else.
std::optional<IcmpSuppress> icmp_rate_refusal(WorkerContext& ctx, const Tables& t, uint32_t dst_be);

// Is `global` (ctx.limiter.global, or global6 for ICMPv6), under the current tables' limits, inside
// its empty window, so that an error drawing on it is refused whatever else is true? The senders
// of errors and resets ask it before they look up the route back, as Linux asks its global limit
// before its route lookup: it takes nothing, and under a flood from many sources it saves a lookup
// per offender. Frag needed and Packet Too Big have buckets of their own and do not ask.
bool icmp_global_refuses(WorkerContext& ctx, const Tables& t, const TokenBucket& global);

// icmp_rate_refusal's first answer, for every destination at once: does the global bucket refuse
// now? Asked once per burst, when the worker's clock stands still for the burst (the worker
// loop's TSC, or a test's): nothing the burst does can end the refusal before the clock moves
// (sending takes tokens, never gives them back). False when the clock runs per call.
bool icmp_global_refusing_for_burst(const WorkerContext& ctx, const Tables& t);

// Builds and sends the error about `offender` (a frame whose IP header starts after the Ethernet
// header, unmodified since it arrived). The offender is not consumed. Returns true if one was sent
// (or queued for ARP).
bool icmp_send_error(WorkerContext& ctx, const Tables& t, const rte_mbuf* offender, const IcmpErrorRequest& req);

// The TCP header of the RFC 793 reset ("reset generation") answering `otcp`, which carried
// `data_len` bytes of data; the checksum is left zero for the caller's family.
void fill_tcp_reset(rte_tcp_hdr* tcp, const rte_tcp_hdr* otcp, uint32_t data_len);

// RFC 793 reset for a TCP segment to one of our addresses (no listener), under the same rules.
bool tcp_send_reset(WorkerContext& ctx, const Tables& t, const rte_mbuf* offender);

}  // namespace dprouter
