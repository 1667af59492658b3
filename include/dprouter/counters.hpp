// Per-worker counters. Each worker writes only its own block (no atomics, no sharing of cache
// lines); the control and telemetry threads read them with relaxed loads and sum on demand.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include <rte_common.h>

#include "dprouter/icmp.hpp"
#include "dprouter/limits.hpp"

namespace dprouter {

// Every reason a packet leaves the pipeline without being sent, named after the rule it enforces.
#define DPR_DROP_REASONS(X)                                                                  \
    X(eth_runt)                      /* frame shorter than an Ethernet header */            \
    X(eth_foreign_unicast)           /* unicast frame for another MAC (promiscuous ports) */ \
    X(eth_unsupported_type)          /* neither IPv4 nor ARP */                              \
    X(arp_malformed)                 /* not Ethernet/IPv4 ARP, or truncated */               \
    X(arp_not_for_us)                /* request or reply about an address we do not own */   \
    X(ipv4_runt)                     /* RFC 1812 5.2.2: fewer than 20 bytes */               \
    X(ipv4_bad_version)              /* RFC 1812 5.2.2: version != 4 */                      \
    X(ipv4_bad_ihl)                  /* RFC 1812 5.2.2: IHL < 5 or beyond the frame */       \
    X(ipv4_bad_checksum)             /* RFC 1812 5.2.2: header checksum */                   \
    X(ipv4_bad_total_length)         /* RFC 1812 5.2.2: total length < IHL*4 or > frame */   \
    X(ipv4_bad_options)              /* RFC 1812 5.2.5: malformed option (param problem) */  \
    X(source_route_rejected)         /* LSRR/SSRR: not honoured, like Linux's default */     \
    X(martian_source)                /* RFC 1812 5.3.7: source not a unique unicast host */  \
    X(martian_destination)           /* RFC 1812 5.3.7: 0/8, 127/8, 240/4 destinations */    \
    X(link_broadcast_not_forwarded)  /* RFC 1812 5.3.4: came in a broadcast/multicast frame */ \
    X(ip_broadcast_not_forwarded)    /* limited and directed broadcasts (RFC 2644) */        \
    X(multicast_not_forwarded)       /* no multicast routing */                              \
    X(no_route)                      /* LPM miss */                                          \
    X(route_blackhole)               /* blackhole route */                                   \
    X(route_unreachable)             /* unreachable route */                                 \
    X(route_prohibit)                /* prohibit route */                                    \
    X(ttl_expired)                   /* RFC 1812 5.3.1: transit TTL <= 1 */                  \
    X(mtu_exceeded)                  /* DF set and larger than the egress MTU (frag needed) */ \
    X(pmtud_blackhole)               /* same, on an interface in black-hole mode: no ICMP */  \
    X(fragmentation_failed)          /* no mbufs for fragments, or the PMD cannot send them */ \
    X(neighbor_failed)               /* next hop did not answer ARP */                       \
    X(hold_queue_full)               /* too many packets waiting for one/all next hops */    \
    X(control_ring_full)             /* the control thread is not keeping up */              \
    X(local_icmp_bad_checksum)       /* ICMP to us with a bad checksum */                    \
    X(local_unhandled)               /* to us, nothing to answer (e.g. echo replies) */      \
    X(local_l4_invalid)              /* UDP/TCP to us truncated or with a bad checksum */    \
    X(local_udp_closed_port)         /* UDP to us: port unreachable sent (if allowed) */     \
    X(local_tcp_closed_port)         /* TCP to us: RST sent (if allowed) */                  \
    X(local_unknown_protocol)        /* protocol unreachable sent (if allowed) */            \
    X(tx_full)                       /* the TX queue (or the worker's TX batch) refused it */ \
    X(frag_too_many)                 /* needs more than kMaxFragments pieces (options, tiny MTU) */ \
    X(ipv6_runt)                     /* fewer than 40 bytes after the Ethernet header */     \
    X(ipv6_bad_version)              /* RFC 8200 3: version != 6 */                          \
    X(ipv6_bad_length)               /* payload length beyond the frame */                   \
    X(ipv6_bad_source)               /* RFC 4291 2.7/2.5.2: multicast or unspecified source */ \
    X(ipv6_loopback)                 /* RFC 4291 2.5.3: ::1 on the wire */                   \
    X(ipv6_martian_destination)      /* unspecified or v4-mapped destination */              \
    X(ipv6_scope_violation)          /* RFC 4007: link-local address off its link */          \
    X(ipv6_multicast_not_forwarded)  /* no multicast routing */                              \
    X(ipv6_link_multicast_not_forwarded) /* unicast destination in a multicast frame */      \
    X(ipv6_no_route)                 /* LPM miss */                                          \
    X(ipv6_route_blackhole)          /* blackhole route */                                   \
    X(ipv6_route_unreachable)        /* unreachable route */                                 \
    X(ipv6_route_prohibit)           /* prohibit route */                                    \
    X(hop_limit_exceeded)            /* RFC 8200 3: transit hop limit <= 1 */                \
    X(ipv6_too_big)                  /* RFC 8200 5: larger than the egress MTU (Packet Too Big) */ \
    X(ipv6_bad_extension_header)     /* RFC 8200 4: truncated or malformed extension header */ \
    X(ipv6_bad_option)               /* RFC 8200 4.2: unrecognized option whose action drops */ \
    X(ipv6_routing_header_type0)     /* RFC 5095 3: type 0 routing header with segments left */ \
    X(ipv6_unknown_next_header)      /* to us: unrecognized Next Header (param problem 1) */ \
    X(nd_bad_hop_limit)              /* RFC 4861 6.1/7.1: ND message with hop limit != 255 */ \
    X(nd_malformed)                  /* RFC 4861 7.1.1: bad length, code, option or target */ \
    X(nd_not_for_us)                 /* solicitation for an address we do not own */         \
    X(local6_icmp_bad_checksum)      /* ICMPv6 to us with a bad checksum */ \
    X(ipv6_disabled)                 /* IPv6 on an interface without IPv6 (MTU < 1280) */    \
    X(ipv6_group_not_joined)         /* 33:33 frame for a group we do not listen to */       \
    X(ipv6_routing_header_unknown)   /* RFC 8200 4.4: unrecognized routing type, segments left */ \
    X(local6_fragment)               /* fragment to us: not reassembled */                   \
    X(local6_reply_too_big)          /* our echo reply / reset larger than the egress MTU */ \
    X(nd_ignored)                    /* RS, RA, Redirect received: a router takes no such advice */ \
    X(nd_hold_no_headroom)           /* no headroom to carry the ND target while held */ \
    X(punt_queue_full)               /* mirror on: the punt ring to the kernel is full */

enum class Drop : uint16_t {
#define DPR_ENUM(name) name,
    DPR_DROP_REASONS(DPR_ENUM)
#undef DPR_ENUM
        count
};

inline constexpr std::array<std::string_view, static_cast<size_t>(Drop::count)> kDropNames = {
#define DPR_NAME(name) #name,
    DPR_DROP_REASONS(DPR_NAME)
#undef DPR_NAME
};

// Things that happened to packets that were not dropped. `forwarded`, `local_delivered` and
// `punted` are, with the drop reasons, the outcomes of received packets: each packet received counts
// exactly one of them (docs/architecture.md, "Counters"); the rest are details.
#define DPR_EVENTS(X)        \
    X(forwarded)             \
    X(local_delivered)       \
    X(echo_replies)          \
    X(arp_requests_answered) \
    X(held_for_arp)          \
    X(held_for_nd)           \
    X(nd_solicitations_answered) \
    X(nd_learned)            \
    X(fragmented)            \
    X(fragments_created)     \
    X(mss_clamped)           \
    X(injected)              \
    X(punted)                \
    X(captured)              /* a copy queued for a running capture */ \
    X(capture_dropped)       /* a copy a capture lost: its ring full or no mbuf (the frame went on) */ \
    X(own_frames_dropped)    /* a frame of ours (reply, error, ARP/ND, extra fragment) lost */ \
    X(learn_messages_lost)   /* learn ring full: a neighbour report lost (the packet was not) */

enum class Event : uint16_t {
#define DPR_ENUM(name) name,
    DPR_EVENTS(DPR_ENUM)
#undef DPR_ENUM
        count
};

inline constexpr std::array<std::string_view, static_cast<size_t>(Event::count)> kEventNames = {
#define DPR_NAME(name) #name,
    DPR_EVENTS(DPR_NAME)
#undef DPR_NAME
};

struct PortCounters {
    uint64_t rx = 0;
    uint64_t tx = 0;
    uint64_t tx_dropped = 0;
};

struct alignas(RTE_CACHE_LINE_SIZE) WorkerCounters {
    std::array<uint64_t, static_cast<size_t>(Drop::count)> drops{};
    std::array<uint64_t, static_cast<size_t>(Event::count)> events{};
    std::array<PortCounters, kMaxPorts> ports{};
    std::array<uint64_t, static_cast<size_t>(IcmpKind::count)> icmp_sent{};
    std::array<uint64_t, static_cast<size_t>(IcmpKind::count)> icmp_suppressed{};  // by kind
    std::array<uint64_t, static_cast<size_t>(IcmpSuppress::count)> icmp_suppressed_why{};

    void drop(Drop d) { ++drops[static_cast<size_t>(d)]; }
    void event(Event e, uint64_t n = 1) { events[static_cast<size_t>(e)] += n; }
    void icmp_sent_one(IcmpKind k) { ++icmp_sent[static_cast<size_t>(k)]; }
    void icmp_suppressed_one(IcmpKind k, IcmpSuppress why) {
        ++icmp_suppressed[static_cast<size_t>(k)];
        ++icmp_suppressed_why[static_cast<size_t>(why)];
    }
    uint64_t dropped(Drop d) const { return drops[static_cast<size_t>(d)]; }
    uint64_t sent(IcmpKind k) const { return icmp_sent[static_cast<size_t>(k)]; }
    uint64_t icmp_sent_total() const {
        uint64_t n = 0;
        for (uint64_t v : icmp_sent) n += v;
        return n;
    }
    uint64_t icmp_suppressed_total() const {
        uint64_t n = 0;
        for (uint64_t v : icmp_suppressed_why) n += v;
        return n;
    }
    uint64_t suppressed(IcmpSuppress why) const { return icmp_suppressed_why[static_cast<size_t>(why)]; }
    uint64_t counted(Event e) const { return events[static_cast<size_t>(e)]; }
};

// Sum of all workers, read with relaxed loads while the workers run.
WorkerCounters sum_counters(const WorkerCounters* per_worker, unsigned workers);

}  // namespace dprouter
