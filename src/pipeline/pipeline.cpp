// Composes the stages and the burst-vector fast path. Kept in one translation unit with the stages
// inline so the compiler sees the whole per-packet path; each stage lives in its own header under
// src/pipeline/, the fast path's phases in fast_path_v4.hpp.
// DPDK 22.11's rte_vect.h lacks the extern "C" its siblings have; included first, so that no
// other header brings it in without.
extern "C" {
#include <rte_vect.h>
}

#include "dprouter/pipeline.hpp"

#include <rte_cpuflags.h>
#include <rte_prefetch.h>

#include "fast_path.hpp"
#include "flow_hash.hpp"
#include "stage_arp.hpp"
#include "stage_forward.hpp"
#include "stage_ipv4_input.hpp"
#include "stage_ipv4_options.hpp"
#include "stage_ipv6_forward.hpp"
#include "stage_ipv6_input.hpp"
#include "stage_ipv6_local.hpp"
#include "stage_local.hpp"
#include "stage_nd.hpp"
#include "stage_punt.hpp"

namespace dprouter {
namespace {

using namespace stage;

constexpr unsigned kPrefetchAhead = 4;

// Options are rare; their check stays out of line of the common path.
[[gnu::noinline]] bool options_acceptable(WorkerContext& ctx, const Tables& t, rte_mbuf* m, const rte_ipv4_hdr* ip,
                                          uint32_t ihl, bool to_broadcast) {
    uint32_t bad = 0;
    switch (check_options(ip, ihl, &bad)) {
    case OptionsVerdict::ok:
        return true;
    case OptionsVerdict::malformed:
        // The pointer goes in the first octet of the second word.
        icmp_send_error(ctx, t, m, {IcmpKind::param_problem, rte_cpu_to_be_32(bad << 24), 0, to_broadcast});
        drop(ctx, m, Drop::ipv4_bad_options);
        return false;
    case OptionsVerdict::source_routed:
        drop(ctx, m, Drop::source_route_rejected);
        return false;
    }
    return false;
}

void ipv4_input(WorkerContext& ctx, const Tables& t, rte_mbuf* m, rte_ether_hdr* eth, bool link_broadcast,
                uint16_t rx_port) {
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
    if (!ipv4_validate(ctx, m, ip)) return;

    const uint32_t src = rte_be_to_cpu_32(ip->src_addr);
    const uint32_t dst = rte_be_to_cpu_32(ip->dst_addr);
    if (martian_source(src) || t.is_local_source(ip->src_addr)) [[unlikely]] {
        drop(ctx, m, Drop::martian_source);
        return;
    }
    if (martian_destination(dst)) [[unlikely]] {
        drop(ctx, m, Drop::martian_destination);
        return;
    }
    if (dst >= 0xe0000000u) [[unlikely]] {  // 224/4 multicast or 255.255.255.255
        // 224.0.0.0/24, link-local groups (RFC 5771 4: OSPF, VRRP, ...): the kernel's, with the mirror.
        if ((dst & 0xffffff00u) == 0xe0000000u && punts(t, rx_port)) {
            punt(ctx, m, rx_port);
            return;
        }
        drop(ctx, m, dst == 0xffffffffu ? Drop::ip_broadcast_not_forwarded : Drop::multicast_not_forwarded);
        return;
    }
    const NextHop* nh = route_lookup_raw(t, dst);
    if (nh != nullptr && nh->action == NextHopAction::multipath) [[unlikely]] nh = ecmp_member(t, nh, flow_hash4(m, ip));
    if (nh == nullptr) [[unlikely]] {
        icmp_send_error(ctx, t, m, {IcmpKind::net_unreachable, 0, 0, link_broadcast});
        drop(ctx, m, Drop::no_route);
        return;
    }
    // Options are looked at once the route is known, as Linux does: a datagram to a directed
    // broadcast with a bad option is refused without an error (RFC 1812 4.3.2.7).
    if (ip->version_ihl != RTE_IPV4_VHL_DEF) [[unlikely]] {
        const bool to_broadcast = link_broadcast || nh->action == NextHopAction::broadcast;
        if (!options_acceptable(ctx, t, m, ip, (ip->version_ihl & 0x0f) * 4u, to_broadcast)) return;
    }
    if (nh->action == NextHopAction::local) {
        if (punts(t, rx_port)) [[unlikely]]
            local_deliver_mirrored(ctx, t, m, ip, rx_port);
        else
            local_deliver(ctx, t, m, ip, link_broadcast);
        return;
    }
    if (apply_route_action(ctx, t, m, *nh, link_broadcast)) return;
    // RFC 1812 5.3.4: a datagram that arrived in a link-layer broadcast is never forwarded.
    if (link_broadcast) [[unlikely]] {
        drop(ctx, m, Drop::link_broadcast_not_forwarded);
        return;
    }
    forward_transit(ctx, t, m, eth, ip, *nh, rx_port);
}

// IPv6 (docs/architecture.md, "IPv6"): input checks, Hop-by-Hop, scope, then local delivery or
// the transit stages. Off the IPv4 path: IPv6 frames reach it only through the EtherType switch.
[[gnu::noinline]] void ipv6_input(WorkerContext& ctx, const Tables& t, rte_mbuf* m, rte_ether_hdr* eth,
                                  bool link_multicast, uint16_t rx_port) {
    const InterfaceEntry& ifc = t.ifaces[rx_port];
    if (!ifc.ipv6) [[unlikely]] {  // RFC 8200 5: no IPv6 on a link below 1280 bytes
        drop(ctx, m, Drop::ipv6_disabled);
        return;
    }
    // With the mirror every IPv6 group frame may be the kernel's (it filters by its own joins).
    if (link_multicast && !listens6_mac(ifc, eth->dst_addr) && !(ifc.punt && is_ipv6_group_mac(eth->dst_addr))) {
        drop(ctx, m, Drop::ipv6_group_not_joined);
        return;
    }
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(eth + 1);
    if (!ipv6_validate(ctx, t, m, ip, link_multicast)) return;
    if (!ipv6_addresses_ok(ctx, t, m, ip)) return;
    if (ip->proto == kNhHopByHop && !hop_by_hop_ok(ctx, t, m, ip, link_multicast)) return;
    const uint8_t* dst = ip->dst_addr;
    if (v6_multicast(dst)) [[unlikely]] {
        // Groups we listen to are ours; no multicast routing, and no error (RFC 4443 2.4(e.3)).
        if (listens6(ifc, dst))
            local6_deliver(ctx, t, m, eth, ip, {rx_port, link_multicast, ifc.link_local()});
        else if (ifc.punt && v6_link_scope_multicast(dst))
            punt(ctx, m, rx_port);  // OSPFv3 ff02::5/6, RIPng ff02::9, MLD reports, ...: the kernel's
        else
            drop(ctx, m, Drop::ipv6_multicast_not_forwarded);
        return;
    }
    if (v6_link_local(dst)) [[unlikely]] {
        // RFC 4007: fe80::/10 names an address on this link only; ours there, or nobody's we route to.
        if (t.owns6_on(rx_port, dst))
            local6_deliver(ctx, t, m, eth, ip, {rx_port, link_multicast, dst});
        else
            drop(ctx, m, Drop::ipv6_scope_violation);
        return;
    }
    const NextHop6* nh = route6_lookup_raw(t, dst);
    if (nh != nullptr && nh->action == NextHopAction::multipath) [[unlikely]] nh = ecmp_member6(t, nh, flow_hash6(m, ip));
    if (nh == nullptr) [[unlikely]] {
        icmp6_send_error(ctx, t, m, {IcmpKind::icmp6_no_route, 0, link_multicast});
        drop(ctx, m, Drop::ipv6_no_route);
        return;
    }
    if (nh->action == NextHopAction::local) {
        local6_deliver(ctx, t, m, eth, ip, {rx_port, link_multicast, dst});
        return;
    }
    if (apply_route_action6(ctx, t, m, *nh, link_multicast)) return;
    // A unicast packet in a link-layer multicast frame is not forwarded (as RFC 1812 5.3.4 for IPv4).
    if (link_multicast) [[unlikely]] {
        drop(ctx, m, Drop::ipv6_link_multicast_not_forwarded);
        return;
    }
    forward6_transit(ctx, t, m, eth, ip, *nh, rx_port);
}

void process_one(WorkerContext& ctx, const Tables& t, rte_mbuf* m, uint16_t rx_port) {
    if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN) [[unlikely]] {
        drop(ctx, m, Drop::eth_runt);
        return;
    }
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    const InterfaceEntry& ifc = t.ifaces[rx_port];
    const bool link_broadcast = rte_is_multicast_ether_addr(&eth->dst_addr);  // includes broadcast
    // Ports are promiscuous (af_packet always is), so the MAC filter is ours to apply.
    if (!link_broadcast && !rte_is_same_ether_addr(&eth->dst_addr, &ifc.mac)) [[unlikely]] {
        drop(ctx, m, Drop::eth_foreign_unicast);
        return;
    }
    switch (eth->ether_type) {
    case RTE_BE16(RTE_ETHER_TYPE_IPV4):
        ipv4_input(ctx, t, m, eth, link_broadcast, rx_port);
        return;
    case RTE_BE16(RTE_ETHER_TYPE_ARP):
        arp_input(ctx, t, m, eth, rx_port);
        return;
    case RTE_BE16(RTE_ETHER_TYPE_IPV6):
        ipv6_input(ctx, t, m, eth, link_broadcast, rx_port);
        return;
    default:
        drop(ctx, m, Drop::eth_unsupported_type);
        return;
    }
}

// stage::refuse_expired (RFC 1812 5.3.1) for a packet the classify phase found plain; the caller
// frees the mbuf with the burst's others. A flood of expired datagrams is mostly refused by the
// rate limits (RFC 1812 4.3.2.8): when the offender is one icmp_send_error would not suppress for
// another reason (plain, so neither a broadcast nor a martian source; not a fragment; not ICMP),
// the refusal is known without building anything. `global_refusing` (icmp_global_refusing_for_burst,
// asked once for the burst) is icmp_send_error's first rate question, asked before the route
// back: a flood from many sources is refused there. Otherwise `back`, the route back to the source
// (one bulk lookup for the burst's expired packets), must forward before icmp_rate_refusal may
// answer for the destination's bucket. Returns the reason for those refusals (the caller counts
// them, and every expired packet's ttl_expired drop, once per burst); nothing when
// icmp_send_error took the packet.
inline std::optional<IcmpSuppress> refuse_expired_in_burst(WorkerContext& ctx, const Tables& t, rte_mbuf* m,
                                                           const uint8_t* frame, bool global_refusing,
                                                           const uint64_t* back) {
    const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(frame + RTE_ETHER_HDR_LEN);
    if (ip->next_proto_id != IPPROTO_ICMP && (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK)) == 0) {
        if (global_refusing) [[likely]] return IcmpSuppress::rate_global;
        const NextHop* nh = next_hop_at(t, *back);
        if (nh != nullptr && nh->action == NextHopAction::forward)
            if (auto why = icmp_rate_refusal(ctx, t, ip->src_addr)) return why;
    }
    icmp_send_error(ctx, t, m, {IcmpKind::time_exceeded});
    return std::nullopt;
}

// The phases of one burst of at most fast::Burst::kMax packets (docs/architecture.md): (1) classify
// the plain transit packets of each family; (2) look their destinations up, one bulk lookup per
// family; (3) keep those whose next hop allows the fast path; (4) one pass in arrival order:
// fast packets are rewritten and queued on their egress port, every other packet goes through the
// scalar stages at its own position, so a flow split between the two paths keeps its order and
// the ICMP limiter, the rings and the TX batches see the same sequence as with the stages alone.
void run_vector(WorkerContext& ctx, const Tables& t, rte_mbuf** pkts, uint16_t n, uint16_t rx_port) {
    fast::Burst b;
    b.n = n;
    b.rx_port = rx_port;
    // Phases 1 to 3, per family, the first frame's family first (fast_path.hpp); each family ORs
    // its packets into b.fast and b.expired.
    fast::classify_and_lookup(t, pkts, b);
    // Phase 4.
    if (b.all_fast_one_port && b.one_hop) {
        // The whole burst leaves through one next hop: the same Ethernet words for every packet,
        // then the burst is appended to that port's TX batch in one copy (as n emits would).
        const uint16_t port = b.egress[0];
        const uint64_t head = b.eth_head[0];
        const uint32_t tail = b.eth_tail[0];
        if (b.v6 != 0) {  // a one-hop burst is one family (fast_path_v6.hpp, v6_lookup)
            for (uint16_t i = 0; i < n; ++i) fast::v6_rewrite_with(b.data[i], head, tail);
        } else {
            for (uint16_t i = 0; i < n; ++i) fast::v4_rewrite_with(b.data[i], b.v4_ttl_word[i], head, tail);
        }
        uint16_t& count = ctx.out.count[port];
        if (count + n <= TxBatch::kCapacity) {
            std::memcpy(&ctx.out.pkts[port][count], pkts, n * sizeof *pkts);
            count = static_cast<uint16_t>(count + n);
        } else {
            for (uint16_t i = 0; i < n; ++i) emit(ctx, port, pkts[i]);
        }
        return;
    }
    const uint32_t fast_mask = b.fast;
    if (b.all_fast_one_port) {
        const uint16_t port = b.egress[0];
        uint16_t& count = ctx.out.count[port];
        if (count + n <= TxBatch::kCapacity) {
            if (b.v6 != 0) {  // a single-port burst is one family
                for (uint16_t i = 0; i < n; ++i) fast::v6_rewrite(b, i);
            } else {
                for (uint16_t i = 0; i < n; ++i) fast::v4_rewrite(b, i);
            }
            std::memcpy(&ctx.out.pkts[port][count], pkts, n * sizeof *pkts);
            count = static_cast<uint16_t>(count + n);
            return;
        }
    }
    const uint32_t expired_mask = b.expired;
    // For the expired packets: does the global budget refuse them all? If not, their routes back
    // to their sources, one bulk lookup for the burst (the lookup icmp_send_error makes for each
    // next). The mbufs they leave are freed together.
    alignas(64) uint64_t back[fast::Burst::kMax];
    bool global_refusing = false;
    if (expired_mask != 0) [[unlikely]] {
        global_refusing = icmp_global_refusing_for_burst(ctx, t);
        if (!global_refusing) fast::v4_expired_sources_lookup(t, b, back);
    }
    rte_mbuf* expired[fast::Burst::kMax];
    unsigned n_expired = 0;
    unsigned n_refused_dest = 0;  // expired packets refused by a rate limit, unbuilt
    unsigned n_refused_global = 0;
    for (uint16_t i = 0; i < n; ++i) {
        if (fast_mask & (1u << i)) {
            if (b.one_hop) {  // IPv4 only here: v6_lookup clears it when it adds packets, and sets
                              // it only for whole bursts to one port (handled above)
                fast::v4_rewrite_with(b.data[i], b.v4_ttl_word[i], b.eth_head[0], b.eth_tail[0]);
                emit(ctx, b.egress[0], pkts[i]);
            } else {
                if (b.v6 & (1u << i))
                    fast::v6_rewrite(b, i);
                else
                    fast::v4_rewrite(b, i);
                emit(ctx, b.egress[i], pkts[i]);
            }
        } else if (expired_mask & (1u << i)) {
            if (auto why = refuse_expired_in_burst(ctx, t, pkts[i], b.data[i], global_refusing, &back[n_expired]))
                ++(*why == IcmpSuppress::rate_global ? n_refused_global : n_refused_dest);
            expired[n_expired++] = pkts[i];
        } else {
            process_one(ctx, t, pkts[i], rx_port);
        }
    }
    if (n_expired != 0) {
        rte_pktmbuf_free_bulk(expired, n_expired);
        // What refuse_expired_in_burst's packets count, per burst (as drop() and
        // icmp_suppressed_one() would have counted each).
        WorkerCounters& c = *ctx.counters;
        c.drops[static_cast<size_t>(Drop::ttl_expired)] += n_expired;
        c.icmp_suppressed[static_cast<size_t>(IcmpKind::time_exceeded)] += n_refused_dest + n_refused_global;
        c.icmp_suppressed_why[static_cast<size_t>(IcmpSuppress::rate_destination)] += n_refused_dest;
        c.icmp_suppressed_why[static_cast<size_t>(IcmpSuppress::rate_global)] += n_refused_global;
    }
}

}  // namespace

fast::V4Classify fast::v4_classify_best() {
#if defined(RTE_ARCH_X86)
    if (rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512F) > 0 && rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512BW) > 0 &&
        rte_vect_get_max_simd_bitwidth() >= RTE_VECT_SIMD_512)
        return V4Classify::avx512;
    if (rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX2) > 0 && rte_vect_get_max_simd_bitwidth() >= RTE_VECT_SIMD_256)
        return V4Classify::avx2;
#endif
    return V4Classify::scalar;
}

void pipeline_run(WorkerContext& ctx, const Tables& t, rte_mbuf** pkts, uint16_t n, uint16_t rx_port) {
    ctx.counters->ports[rx_port].rx += n;
    constexpr unsigned kMax = fast::Burst::kMax;
    for (unsigned off = 0; off < n; off += kMax) {
        const unsigned k = n - off < kMax ? n - off : kMax;
        run_vector(ctx, t, pkts + off, static_cast<uint16_t>(k), rx_port);
    }
}

void pipeline_run_scalar(WorkerContext& ctx, const Tables& t, rte_mbuf** pkts, uint16_t n, uint16_t rx_port) {
    ctx.counters->ports[rx_port].rx += n;
    const uint16_t lead = n < kPrefetchAhead ? n : kPrefetchAhead;
    for (uint16_t i = 0; i < lead; ++i) rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
    for (uint16_t i = 0; i < n; ++i) {
        if (i + kPrefetchAhead < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void*));
        process_one(ctx, t, pkts[i], rx_port);
    }
}

void pipeline_take_injected(WorkerContext& ctx, const Tables& t) {
    rte_mbuf* pkts[kRxBurst];
    const unsigned n = rte_ring_sc_dequeue_burst(ctx.inject_ring, reinterpret_cast<void**>(pkts), kRxBurst, nullptr);
    for (unsigned i = 0; i < n; ++i) {
        rte_mbuf* m = pkts[i];
        if (m->port == kInjectHostUnreachable) {
            // The family the packet was held as: ICMP host unreachable, or ICMPv6 address unreachable.
            const Outbound o = held_counts(m) ? Outbound::transit : Outbound::transit_piece;
            if (held_is_ipv6(m))
                refuse_unresolved6(ctx, t, m, o);
            else
                refuse_unresolved(ctx, t, m, o);
            continue;
        }
        // A released packet that stands for a received one counts `forwarded` once sent.
        if (m->port & kInjectCounted) {
            m->port = static_cast<uint16_t>(m->port & ~kInjectCounted);
            emit(ctx, m->port, m);
        } else {
            emit_own(ctx, m->port, m);
        }
    }
    if (n) ctx.counters->event(Event::injected, n);
}

}  // namespace dprouter
