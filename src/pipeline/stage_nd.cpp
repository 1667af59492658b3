// Worker side of IPv6 Neighbor Discovery (stage_nd.hpp): validation of received ND messages
// (RFC 4861 6.1, 7.1), answers to solicitations for our addresses (7.2.4), learning reports for the
// control thread (7.2.3, 7.2.5), and Redirects (8.2). Off the fast path: ND messages and redirects
// are rare next to transit traffic.
#include "stage_nd.hpp"
#include "stage_punt.hpp"

#include "icmp/icmp6_error.hpp"

#include <algorithm>


#include "dprouter/nd_message.hpp"

namespace dprouter::stage {
namespace {

// What the options of a received ND message say (RFC 4861 4.6). Only Ethernet-sized link-layer
// address options (length 1) are taken; others are skipped as the RFC says for unknown ones.
struct NdOptions {
    const uint8_t* source_mac = nullptr;
    const uint8_t* target_mac = nullptr;
};

// RFC 4861 7.1.1 / 7.1.2 / 6.1: every option has a non-zero length and lies within the message.
bool parse_options(const uint8_t* msg, uint32_t start, uint32_t len, NdOptions* out) {
    for (uint32_t off = start; off < len;) {
        if (len - off < 2) return false;
        const uint32_t olen = msg[off + 1] * 8u;
        if (olen == 0 || olen > len - off) return false;
        if (olen == nd::kLinkAddrOptLength) {
            if (msg[off] == nd::kOptSourceLinkAddr) out->source_mac = msg + off + 2;
            if (msg[off] == nd::kOptTargetLinkAddr) out->target_mac = msg + off + 2;
        }
        off += olen;
    }
    return true;
}

// The fixed part of each message type we accept, which is where its options start (0: not ND).
uint32_t fixed_length(uint8_t type) {
    switch (type) {
    case nd::kRouterSolicitation: return 8;
    case nd::kRouterAdvertisement: return 16;
    case nd::kNeighborSolicitation:
    case nd::kNeighborAdvertisement: return nd::kNsNaLength;
    case nd::kRedirect: return nd::kRedirectLength;
    }
    return 0;
}

void report(WorkerContext& ctx, const uint8_t* addr, uint16_t port, bool advert, uint8_t flags, const uint8_t* mac) {
    LearnMessage6 msg{};
    std::memcpy(msg.addr, addr, 16);
    msg.port = port;
    msg.is_advert = advert ? 1 : 0;
    msg.flags = flags;
    if (mac != nullptr) std::memcpy(msg.mac.addr_bytes, mac, RTE_ETHER_ADDR_LEN);  // else zero: none given
    msg.update_only = advert ? 1 : 0;  // 7.2.5: an advertisement never creates an entry
    if (rte_ring_sp_enqueue_elem(ctx.learn6_ring, &msg, sizeof msg) != 0) {
        ctx.counters->event(Event::learn_messages_lost);  // the packet itself goes on
        return;
    }
    ctx.counters->event(Event::nd_learned);
}

// RFC 4861 7.2.4: the solicitation becomes the advertisement, in place. Router flag (we forward),
// Override (the target is ours, never anycast or proxied) and the target link-layer option always;
// Solicited unless the solicitation was a DAD probe (source ::), which is answered to all nodes.
void answer_solicitation(WorkerContext& ctx, const Tables& t, rte_mbuf* m, const uint8_t* target_in,
                         const uint8_t* src_in, const rte_ether_addr& reply_mac, uint16_t rx_port) {
    constexpr uint32_t kPayload = nd::kNsNaLength + nd::kLinkAddrOptLength;
    constexpr uint32_t kFrame = nd::kEnvelope + kPayload;
    if (static_cast<uint32_t>(m->buf_len - m->data_off) < kFrame) [[unlikely]] {
        drop(ctx, m, Drop::nd_malformed);
        return;
    }
    static constexpr uint8_t kAllNodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
    uint8_t target[16];
    uint8_t dst[16];
    std::memcpy(target, target_in, 16);
    const bool dad = nd::is_unspecified(src_in);
    std::memcpy(dst, dad ? kAllNodes : src_in, 16);
    const rte_ether_addr eth_dst = dad ? nd::multicast_mac(kAllNodes) : reply_mac;

    if (m->next != nullptr) {  // the answer fits the first segment; the rest of a chain goes
        rte_pktmbuf_free(m->next);
        m->next = nullptr;
        m->nb_segs = 1;
    }
    m->data_len = kFrame;
    m->pkt_len = kFrame;
    m->ol_flags = 0;
    const InterfaceEntry& ifc = t.ifaces[rx_port];
    uint8_t* msg = nd::write_envelope(rte_pktmbuf_mtod(m, uint8_t*), eth_dst, ifc.mac, target, dst, kPayload);
    std::memset(msg, 0, kPayload);
    msg[0] = nd::kNeighborAdvertisement;
    msg[4] = nd::kFlagRouter | nd::kFlagOverride | (dad ? 0 : nd::kFlagSolicited);
    std::memcpy(msg + 8, target, 16);
    nd::write_link_addr_option(msg + nd::kNsNaLength, nd::kOptTargetLinkAddr, ifc.mac);
    nd::icmp6_set_checksum(target, dst, msg, kPayload);
    ctx.counters->event(Event::nd_solicitations_answered);
    ctx.counters->event(Event::local_delivered);
    emit_own(ctx, rx_port, m);  // the solicitation's outcome is counted; the advertisement is ours
}

// A token from the ICMPv6 buckets for a message to `dst` (icmp6_rate_limit: the destination's
// share first, so one noisy host cannot drain the global budget; RFC 4443 2.4(f), RFC 4861 8.2).
bool redirect_allowed(WorkerContext& ctx, const Tables& t, const uint8_t* dst) {
    if (auto why = icmp6_rate_limit(ctx, t, IcmpKind::icmp6_redirect, dst)) {
        ctx.counters->icmp_suppressed_one(IcmpKind::icmp6_redirect, *why);
        return false;
    }
    return true;
}

}  // namespace

void nd_input(WorkerContext& ctx, const Tables& t, rte_mbuf* m, rte_ether_hdr* eth, rte_ipv6_hdr* ip, uint32_t l4_off,
              uint32_t l4_len, uint16_t rx_port) {
    // RFC 4861 6.1.1, 7.1.1, 7.1.2: a hop limit below 255 means the message crossed a router.
    if (ip->hop_limits != nd::kHopLimit) {
        drop(ctx, m, Drop::nd_bad_hop_limit);
        return;
    }
    // ND messages are small: they are handled where the first segment holds them.
    if (l4_len < 8 || rte_pktmbuf_data_len(m) < l4_off + l4_len) {
        drop(ctx, m, Drop::nd_malformed);
        return;
    }
    const uint8_t* msg = rte_pktmbuf_mtod_offset(m, const uint8_t*, l4_off);
    if (!nd::icmp6_checksum_ok(ip->src_addr, ip->dst_addr, msg, l4_len)) {
        drop(ctx, m, Drop::local6_icmp_bad_checksum);
        return;
    }
    const uint8_t type = msg[0];
    const uint32_t fixed = fixed_length(type);
    NdOptions opt;
    if (fixed == 0 || msg[1] != 0 || l4_len < fixed || !parse_options(msg, fixed, l4_len, &opt)) {
        drop(ctx, m, Drop::nd_malformed);
        return;
    }
    if (type != nd::kNeighborSolicitation && type != nd::kNeighborAdvertisement) {
        // Router solicitations and advertisements configure hosts, and a router acts on no
        // redirect (RFC 4861 8.1's receiver is a host): counted and left alone.
        drop(ctx, m, Drop::nd_ignored);
        return;
    }
    const uint8_t* target = msg + 8;
    if (nd::is_multicast(target)) {
        drop(ctx, m, Drop::nd_malformed);
        return;
    }
    if (type == nd::kNeighborAdvertisement) {
        const uint8_t flags = msg[4];
        // 7.1.2: a multicast advertisement is never solicited.
        if (nd::is_multicast(ip->dst_addr) && (flags & nd::kFlagSolicited) != 0) {
            drop(ctx, m, Drop::nd_malformed);
            return;
        }
        if (t.is_local6(target)) {  // someone else claims one of our addresses: nothing to learn
            drop(ctx, m, Drop::nd_not_for_us);
            return;
        }
        report(ctx, target, rx_port, true, flags, opt.target_mac);
        // Consumed: the control thread learns from the report; with the mirror, the kernel from
        // the advertisement itself (answers to its own solicitations).
        if (punts(t, rx_port)) {
            punt(ctx, m, rx_port);
        } else {
            ctx.counters->event(Event::local_delivered);
            rte_pktmbuf_free(m);
        }
        return;
    }
    // 7.1.1: a DAD probe (source ::) goes to a solicited-node group and names no source address.
    const bool dad = nd::is_unspecified(ip->src_addr);
    if (dad && (!nd::is_solicited_node(ip->dst_addr) || opt.source_mac != nullptr)) {
        drop(ctx, m, Drop::nd_malformed);
        return;
    }
    if (!t.owns6_on(rx_port, target)) {
        drop(ctx, m, Drop::nd_not_for_us);  // not a proxy (7.2.3: silently discarded)
        return;
    }
    // 7.2.3: the sender's link-layer address goes into the neighbour cache (STALE if new).
    if (!dad && opt.source_mac != nullptr) report(ctx, ip->src_addr, rx_port, false, 0, opt.source_mac);
    // The kernel learns the sender from a copy (7.2.3); its own advertisement is dropped on the
    // way out. DAD probes teach nothing and are not copied.
    if (!dad && punts(t, rx_port)) punt_copy(ctx, m, rx_port);
    // Unicast back to the sender: its option if it gave one, else the frame's source.
    rte_ether_addr reply_mac = eth->src_addr;
    if (opt.source_mac != nullptr) std::memcpy(reply_mac.addr_bytes, opt.source_mac, RTE_ETHER_ADDR_LEN);
    answer_solicitation(ctx, t, m, target, ip->src_addr, reply_mac, rx_port);
}

// RFC 4861 8.2 (and rfc-duties "Redirect"): the packet leaves by the link it came in on, its
// source is a neighbour on that link (link-local, or on a connected prefix of that interface:
// unlike Linux, an off-link source gets none), and its destination is not multicast. The target
// is the better first hop: the route's gateway, or the destination itself when it is on-link.
void maybe_redirect6(WorkerContext& ctx, const Tables& t, const rte_mbuf* m, const rte_ipv6_hdr* ip, const NextHop6& nh,
                     uint16_t rx_port) {
    const InterfaceEntry& ifc = t.ifaces[rx_port];
    if (nh.port != rx_port || nh.action != NextHopAction::forward || !ifc.icmp_redirects || !ifc.ipv6) return;
    const uint8_t* src = ip->src_addr;
    const uint8_t* dst = ip->dst_addr;
    if (nd::is_multicast(dst)) return;
    if (!nd::is_link_local(src) && !t.on_link6(rx_port, src)) return;
    const uint8_t* target = nh.has_gateway() ? nh.gateway : dst;
    if (std::memcmp(target, src, 16) == 0) return;  // the sender is the better next hop itself
    if (!redirect_allowed(ctx, t, src)) return;

    // The target's link-layer address, when known (4.5: "if known").
    PackedNeighbor l2;
    if (nh.has_gateway())
        l2.word = nh.l2.load(std::memory_order_acquire);
    else if (!ctx.neighbors6->lookup(dst, nh.port, &l2))
        l2.word = 0;
    const bool with_tlla = l2.state() == NeighborState::reachable;

    // 4.6.3: as much of the packet as fits with the whole redirect in the minimum MTU (1280),
    // padded with zeros to the option's 8-byte units.
    const auto* frame = rte_pktmbuf_mtod(m, const uint8_t*);
    const uint32_t ip_off = static_cast<uint32_t>(reinterpret_cast<const uint8_t*>(ip) - frame);
    const uint32_t opts_before = with_tlla ? nd::kLinkAddrOptLength : 0;
    const uint32_t max_quote = kIcmp6MaxLength - sizeof(rte_ipv6_hdr) - nd::kRedirectLength - opts_before - 8;
    const uint32_t packet_len = sizeof(rte_ipv6_hdr) + rte_be_to_cpu_16(ip->payload_len);
    const uint32_t quote = std::min({packet_len, rte_pktmbuf_pkt_len(m) - ip_off, max_quote});
    const uint32_t padded = (quote + 7) & ~7u;
    const uint32_t payload = nd::kRedirectLength + opts_before + 8 + padded;

    rte_mbuf* r = rte_pktmbuf_alloc(ctx.pool);
    if (r == nullptr) [[unlikely]] {
        ctx.counters->icmp_suppressed_one(IcmpKind::icmp6_redirect, IcmpSuppress::no_mbuf);
        return;
    }
    auto* out = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(r, static_cast<uint16_t>(nd::kEnvelope + payload)));
    if (out == nullptr) [[unlikely]] {
        rte_pktmbuf_free(r);
        ctx.counters->icmp_suppressed_one(IcmpKind::icmp6_redirect, IcmpSuppress::no_mbuf);
        return;
    }
    // To the sender, whose frame told us its link-layer address; from our link-local address (8.2).
    const auto* in_eth = reinterpret_cast<const rte_ether_hdr*>(frame);
    uint8_t* msg = nd::write_envelope(out, in_eth->src_addr, ifc.mac, ifc.link_local(), src,
                                      static_cast<uint16_t>(payload));
    std::memset(msg, 0, payload);
    msg[0] = nd::kRedirect;
    std::memcpy(msg + 8, target, 16);
    std::memcpy(msg + 24, dst, 16);
    uint8_t* o = msg + nd::kRedirectLength;
    if (with_tlla) {
        rte_ether_addr mac;
        l2.copy_mac(&mac);
        nd::write_link_addr_option(o, nd::kOptTargetLinkAddr, mac);
        o += nd::kLinkAddrOptLength;
    }
    o[0] = nd::kOptRedirectedHeader;
    o[1] = static_cast<uint8_t>((8 + padded) / 8);
    const void* q = rte_pktmbuf_read(m, ip_off, quote, o + 8);
    if (q != o + 8) std::memcpy(o + 8, q, quote);
    nd::icmp6_set_checksum(ifc.link_local(), src, msg, payload);
    ctx.counters->icmp_sent_one(IcmpKind::icmp6_redirect);
    emit_own(ctx, rx_port, r);
}

}  // namespace dprouter::stage
