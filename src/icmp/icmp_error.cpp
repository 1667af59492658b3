#include "icmp_error.hpp"

#include <cstring>

#include <rte_hash_crc.h>
#include <rte_icmp.h>
#include <rte_tcp.h>

#include "pipeline/stage_forward.hpp"
#include "pipeline/stage_ipv4_input.hpp"

namespace dprouter {
namespace {

// ICMP types that are queries (or replies); every other type is treated as an error message,
// including unknown ones, so that we never answer an error we do not understand.
bool icmp_type_is_query(uint8_t type) {
    switch (type) {
    case 0: case 8: case 9: case 10: case 13: case 14: case 15: case 16: case 17: case 18:
        return true;
    default:
        return false;
    }
}

// Route back to the offender's source; null when there is none we may use.
const NextHop* route_back(const Tables& t, uint32_t dst_be) {
    const NextHop* nh = stage::route_lookup(t, rte_be_to_cpu_32(dst_be));
    if (nh == nullptr || nh->action != NextHopAction::forward) return nullptr;
    return nh;
}

// Fills the IPv4 header of a datagram we originate.
void fill_ip(rte_ipv4_hdr* ip, WorkerContext& ctx, uint8_t tos, uint16_t total, uint8_t proto, uint32_t src_be,
             uint32_t dst_be) {
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->type_of_service = tos;
    ip->total_length = rte_cpu_to_be_16(total);
    ip->packet_id = rte_cpu_to_be_16(ctx.next_ip_id++);
    ip->fragment_offset = 0;  // DF clear: an error must be able to reach a host behind a small link
    ip->time_to_live = kIcmpTtl;
    ip->next_proto_id = proto;
    ip->src_addr = src_be;
    ip->dst_addr = dst_be;
    ip->hdr_checksum = 0;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
}

// The per-destination slot of `dst_be`: destinations hashing to the same slot share its bucket.
IcmpLimiter::DestSlot& dest_slot(IcmpLimiter& lim, uint32_t dst_be) {
    return lim.dest[rte_hash_crc_4byte(dst_be, lim.dest_seed) % IcmpLimiter::kDestSlots];
}

}  // namespace

uint32_t icmp_quote_length(uint32_t offender_len, uint32_t offender_ihl, uint16_t egress_mtu) {
    // As much as fits both 576 bytes (RFC 1812 4.3.2.3) and the link the error leaves by, so that
    // it goes out whole; but never less than the header and 64 bits of data (RFC 792), which a
    // header with options does not leave room for at the smallest MTUs: then the error goes out in
    // fragments (its DF is clear), as RFC 791 intends for a 68-octet link.
    const uint32_t room = std::min<uint32_t>(kIcmpMaxLength, egress_mtu) - kIcmpErrorHeaders;
    const uint32_t minimum = std::min(offender_len, offender_ihl + 8);
    return std::min(offender_len, std::max(room, minimum));
}

std::optional<IcmpSuppress> icmp_suppressed(const rte_ipv4_hdr* ip, uint32_t len, bool link_broadcast) {
    const uint32_t dst = rte_be_to_cpu_32(ip->dst_addr);
    if (link_broadcast || dst >= 0xe0000000u) return IcmpSuppress::offender_broadcast;
    if (stage::martian_source(rte_be_to_cpu_32(ip->src_addr))) return IcmpSuppress::offender_bad_source;
    if ((rte_be_to_cpu_16(ip->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK) != 0) return IcmpSuppress::offender_fragment;
    if (ip->next_proto_id == IPPROTO_ICMP) {
        const uint32_t ihl = (ip->version_ihl & 0x0f) * 4u;
        // A first fragment too short to show the ICMP type is treated as an error message.
        if (len <= ihl) return IcmpSuppress::offender_icmp_error;
        const uint8_t type = reinterpret_cast<const uint8_t*>(ip)[ihl];
        if (!icmp_type_is_query(type)) return IcmpSuppress::offender_icmp_error;
    }
    return std::nullopt;
}

void icmp_refresh_limits(WorkerContext& ctx, const Tables& t) {
    IcmpLimiter& lim = ctx.limiter;
    if (lim.limits_generation != t.generation) [[unlikely]] {
        lim.limits = {share(t.icmp_limits.global, ctx.n_workers), share(t.icmp_limits.per_destination, ctx.n_workers),
                      share(t.icmp_limits.frag_needed, ctx.n_workers)};
        lim.limits_generation = t.generation;
    }
}

std::optional<IcmpSuppress> icmp_rate_limit(WorkerContext& ctx, const Tables& t, IcmpKind kind, uint32_t dst_be) {
    const uint64_t now = worker_tsc(ctx);
    const uint64_t hz = ctx.tsc_hz;
    IcmpLimiter& lim = ctx.limiter;
    icmp_refresh_limits(ctx, t);
    if (kind == IcmpKind::frag_needed)
        return lim.frag_needed.take(now, hz, lim.limits.frag_needed) ? std::nullopt
                                                                     : std::optional(IcmpSuppress::rate_frag_needed);
    // A global bucket inside its empty window refuses whatever the destination's holds: nothing is
    // taken from either, so the only difference the order makes is the reason counted (docs/icmp.md,
    // "Rate limits"), and this way a flood from many sources is refused without touching a
    // destination slot.
    if (lim.global.refusing(now, lim.limits.global)) return IcmpSuppress::rate_global;
    IcmpLimiter::DestSlot& slot = dest_slot(lim, dst_be);
    // Then the destination's budget, before a global token is taken: a single noisy host must not
    // drain the global one. A destination's token goes only with a global one: when a flood from
    // many sources refills their buckets in step, the tokens the global bucket cannot match stay
    // for later instead of being thrown away, so the global rate is reached.
    if (!slot.bucket.ready(now, hz, lim.limits.per_destination)) return IcmpSuppress::rate_destination;
    if (!lim.global.take(now, hz, lim.limits.global)) return IcmpSuppress::rate_global;
    slot.bucket.consume(hz, lim.limits.per_destination);
    return std::nullopt;
}

std::optional<IcmpSuppress> icmp_rate_refusal(WorkerContext& ctx, const Tables& t, uint32_t dst_be) {
    IcmpLimiter& lim = ctx.limiter;
    if (lim.limits_generation != t.generation) [[unlikely]] return std::nullopt;
    const uint64_t now = worker_tsc(ctx);
    // icmp_rate_limit's first two steps, as it makes them.
    if (lim.global.refusing(now, lim.limits.global)) [[likely]] return IcmpSuppress::rate_global;
    if (!dest_slot(lim, dst_be).bucket.ready(now, ctx.tsc_hz, lim.limits.per_destination))
        return IcmpSuppress::rate_destination;
    return std::nullopt;
}

bool icmp_global_refuses(WorkerContext& ctx, const Tables& t, const TokenBucket& global) {
    icmp_refresh_limits(ctx, t);
    return global.refusing(worker_tsc(ctx), ctx.limiter.limits.global);
}

bool icmp_global_refusing_for_burst(const WorkerContext& ctx, const Tables& t) {
    const IcmpLimiter& lim = ctx.limiter;
    if (ctx.fake_tsc == 0 && ctx.now_tsc == 0) return false;
    return lim.limits_generation == t.generation && lim.global.refusing(worker_tsc(ctx), lim.limits.global);
}

bool icmp_send_error(WorkerContext& ctx, const Tables& t, const rte_mbuf* offender, const IcmpErrorRequest& req) {
    const auto* oip = reinterpret_cast<const rte_ipv4_hdr*>(rte_pktmbuf_mtod(offender, const uint8_t*) + RTE_ETHER_HDR_LEN);
    const uint32_t available = rte_pktmbuf_pkt_len(offender) - RTE_ETHER_HDR_LEN;
    if (auto why = icmp_suppressed(oip, rte_pktmbuf_data_len(offender) - RTE_ETHER_HDR_LEN, req.link_broadcast)) {
        ctx.counters->icmp_suppressed_one(req.kind, *why);
        return false;
    }
    // Before the route back, as Linux does; frag needed has its own bucket and takes no global token.
    if (req.kind != IcmpKind::frag_needed && icmp_global_refuses(ctx, t, ctx.limiter.global)) {
        ctx.counters->icmp_suppressed_one(req.kind, IcmpSuppress::rate_global);
        return false;
    }
    const NextHop* nh = route_back(t, oip->src_addr);
    if (nh == nullptr) {
        ctx.counters->icmp_suppressed_one(req.kind, IcmpSuppress::no_route_back);
        return false;
    }
    if (auto why = icmp_rate_limit(ctx, t, req.kind, oip->src_addr)) {
        ctx.counters->icmp_suppressed_one(req.kind, *why);
        return false;
    }
    rte_mbuf* m = rte_pktmbuf_alloc(ctx.pool);
    if (m == nullptr) {
        ctx.counters->icmp_suppressed_one(req.kind, IcmpSuppress::no_mbuf);
        return false;
    }
    const uint32_t offender_len = std::min<uint32_t>(rte_be_to_cpu_16(oip->total_length), available);
    const uint32_t quote_len = icmp_quote_length(offender_len, (oip->version_ihl & 0x0f) * 4u, t.ifaces[nh->port].mtu);
    const uint16_t total = static_cast<uint16_t>(kIcmpErrorHeaders + quote_len);
    auto* frame = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(RTE_ETHER_HDR_LEN + total)));
    auto* eth = reinterpret_cast<rte_ether_hdr*>(frame);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
    auto* icmp = reinterpret_cast<rte_icmp_hdr*>(ip + 1);
    uint8_t* quote = reinterpret_cast<uint8_t*>(icmp + 1);
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);

    // The quote: the datagram as it arrived, from its IP header on (works for chained mbufs too).
    const void* src = rte_pktmbuf_read(offender, RTE_ETHER_HDR_LEN, quote_len, quote);
    if (src != quote) std::memcpy(quote, src, quote_len);

    const IcmpKindInfo& info = kIcmpKinds[static_cast<size_t>(req.kind)];
    icmp->icmp_type = info.type;
    icmp->icmp_code = info.code;
    icmp->icmp_cksum = 0;
    std::memcpy(&icmp->icmp_ident, &req.rest_be, sizeof req.rest_be);  // ident+seq = the second word
    icmp->icmp_cksum = static_cast<uint16_t>(~rte_raw_cksum(icmp, sizeof(rte_icmp_hdr) + quote_len));

    const uint32_t next_hop_be = nh->gateway_be != 0 ? nh->gateway_be : oip->src_addr;
    const uint32_t source = req.source_be != 0 ? req.source_be : t.source_for(nh->port, next_hop_be);
    // Precedence 6 (internetwork control), keeping the offender's TOS bits as Linux does.
    const auto tos = static_cast<uint8_t>(0xc0 | (oip->type_of_service & 0x1e));
    fill_ip(ip, ctx, tos, total, IPPROTO_ICMP, source, oip->src_addr);

    ctx.counters->icmp_sent_one(req.kind);
    stage::send_originated_by(ctx, t, m, *nh);
    return true;
}

void fill_tcp_reset(rte_tcp_hdr* tcp, const rte_tcp_hdr* otcp, uint32_t data_len) {
    std::memset(tcp, 0, sizeof *tcp);
    tcp->src_port = otcp->dst_port;
    tcp->dst_port = otcp->src_port;
    tcp->data_off = (sizeof(rte_tcp_hdr) / 4) << 4;
    // RFC 793, "reset generation" for a closed port.
    if (otcp->tcp_flags & RTE_TCP_ACK_FLAG) {
        tcp->sent_seq = otcp->recv_ack;
        tcp->tcp_flags = RTE_TCP_RST_FLAG;
    } else {
        const uint32_t seg_len = data_len + ((otcp->tcp_flags & RTE_TCP_SYN_FLAG) ? 1 : 0) +
                                 ((otcp->tcp_flags & RTE_TCP_FIN_FLAG) ? 1 : 0);
        tcp->recv_ack = rte_cpu_to_be_32(rte_be_to_cpu_32(otcp->sent_seq) + seg_len);
        tcp->tcp_flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
    }
}

bool tcp_send_reset(WorkerContext& ctx, const Tables& t, const rte_mbuf* offender) {
    const auto* oip = reinterpret_cast<const rte_ipv4_hdr*>(rte_pktmbuf_mtod(offender, const uint8_t*) + RTE_ETHER_HDR_LEN);
    const uint32_t ihl = (oip->version_ihl & 0x0f) * 4u;
    const uint32_t ip_len = rte_be_to_cpu_16(oip->total_length);
    if (ip_len < ihl + sizeof(rte_tcp_hdr) || rte_pktmbuf_data_len(offender) < RTE_ETHER_HDR_LEN + ihl + sizeof(rte_tcp_hdr))
        return false;
    const auto* otcp = reinterpret_cast<const rte_tcp_hdr*>(reinterpret_cast<const uint8_t*>(oip) + ihl);
    if (otcp->tcp_flags & RTE_TCP_RST_FLAG) return false;  // never answer a reset
    const uint32_t tcp_hdr_len = (otcp->data_off >> 4) * 4u;
    if (tcp_hdr_len < sizeof(rte_tcp_hdr) || ihl + tcp_hdr_len > ip_len) return false;
    constexpr IcmpKind kind = IcmpKind::tcp_reset;
    if (auto why = icmp_suppressed(oip, rte_pktmbuf_data_len(offender) - RTE_ETHER_HDR_LEN, false)) {
        ctx.counters->icmp_suppressed_one(kind, *why);
        return false;
    }
    if (icmp_global_refuses(ctx, t, ctx.limiter.global)) {
        ctx.counters->icmp_suppressed_one(kind, IcmpSuppress::rate_global);
        return false;
    }
    const NextHop* nh = route_back(t, oip->src_addr);
    if (nh == nullptr) {
        ctx.counters->icmp_suppressed_one(kind, IcmpSuppress::no_route_back);
        return false;
    }
    if (auto why = icmp_rate_limit(ctx, t, kind, oip->src_addr)) {
        ctx.counters->icmp_suppressed_one(kind, *why);
        return false;
    }
    rte_mbuf* m = rte_pktmbuf_alloc(ctx.pool);
    if (m == nullptr) {
        ctx.counters->icmp_suppressed_one(kind, IcmpSuppress::no_mbuf);
        return false;
    }
    constexpr uint16_t total = sizeof(rte_ipv4_hdr) + sizeof(rte_tcp_hdr);
    auto* eth = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_append(m, RTE_ETHER_HDR_LEN + total));
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
    auto* tcp = reinterpret_cast<rte_tcp_hdr*>(ip + 1);
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    fill_tcp_reset(tcp, otcp, ip_len - ihl - tcp_hdr_len);
    fill_ip(ip, ctx, 0, total, IPPROTO_TCP, oip->dst_addr, oip->src_addr);
    tcp->cksum = rte_ipv4_udptcp_cksum(ip, tcp);
    ctx.counters->icmp_sent_one(kind);
    stage::send_originated_by(ctx, t, m, *nh);
    return true;
}

}  // namespace dprouter
