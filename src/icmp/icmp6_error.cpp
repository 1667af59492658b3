// ICMPv6 errors and TCP resets over IPv6 (icmp6_error.hpp).
#include "icmp/icmp6_error.hpp"

#include <algorithm>
#include <cstring>

#include <rte_hash_crc.h>
#include <rte_tcp.h>

#include "icmp/icmp_error.hpp"
#include "pipeline/stage_ipv6_common.hpp"
#include "pipeline/stage_nd.hpp"

namespace dprouter {
namespace {

using stage::kIpv6HdrLen;

const rte_ipv6_hdr* offender_header(const rte_mbuf* offender) {
    return rte_pktmbuf_mtod_offset(offender, const rte_ipv6_hdr*, RTE_ETHER_HDR_LEN);
}

// The first of our addresses that is not link-local, or nullptr.
const uint8_t* any_global6(const Tables& t) {
    for (uint32_t i = 0; i < t.n_local6; ++i)
        if (!stage::v6_link_local(t.local6[i])) return t.local6[i];
    return nullptr;
}

// RFC 4443 2.2(b): an address of ours, on the interface the offender arrived on, of the scope of
// the destination (source6_for). When that interface has no address of a large enough scope,
// the egress interface's, then any global one of ours, so that an error to a global address
// never leaves from a link-local one (which the next router would refuse, RFC 4007).
const uint8_t* error_source(const Tables& t, uint16_t arrival, const NextHop6& nh, const uint8_t* dst) {
    const uint16_t port = arrival < kMaxPorts && t.ifaces[arrival].ipv6 ? arrival : nh.port;
    const uint8_t* src = t.source6_for(port, dst);
    if (stage::v6_link_local(dst) || !stage::v6_link_local(src)) return src;
    src = t.source6_for(nh.port, dst);
    if (!stage::v6_link_local(src)) return src;
    const uint8_t* global = any_global6(t);
    return global != nullptr ? global : src;
}

// The fixed header of an IPv6 packet we originate: traffic class and flow label zero.
void fill_ipv6(rte_ipv6_hdr* ip, uint16_t payload_len, uint8_t proto, const uint8_t* src, const uint8_t* dst) {
    ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
    ip->payload_len = rte_cpu_to_be_16(payload_len);
    ip->proto = proto;
    ip->hop_limits = stage::kIcmp6HopLimit;
    std::memcpy(ip->src_addr, src, 16);
    std::memcpy(ip->dst_addr, dst, 16);
}

// Global budget, route back, rate limit and an mbuf for a message of `kind` to the offender's
// source, counting the reason when one of them says no.
rte_mbuf* prepare_answer(WorkerContext& ctx, const Tables& t, const rte_mbuf* offender, IcmpKind kind,
                         NextHop6& scratch, const NextHop6** nh) {
    const rte_ipv6_hdr* oip = offender_header(offender);
    // The global bucket's empty window before the route back, as for IPv4.
    if (kind != IcmpKind::icmp6_packet_too_big && icmp_global_refuses(ctx, t, ctx.limiter.global6)) {
        ctx.counters->icmp_suppressed_one(kind, IcmpSuppress::rate_global);
        return nullptr;
    }
    *nh = stage::next_hop6_towards(t, oip->src_addr, offender->port, scratch);
    if (*nh == nullptr) {
        ctx.counters->icmp_suppressed_one(kind, IcmpSuppress::no_route_back);
        return nullptr;
    }
    if (auto why = icmp6_rate_limit(ctx, t, kind, oip->src_addr)) {
        ctx.counters->icmp_suppressed_one(kind, *why);
        return nullptr;
    }
    rte_mbuf* m = rte_pktmbuf_alloc(ctx.pool);
    if (m == nullptr) ctx.counters->icmp_suppressed_one(kind, IcmpSuppress::no_mbuf);
    return m;
}

}  // namespace

std::optional<IcmpSuppress> icmp6_suppressed(const Tables& t, const rte_mbuf* offender, IcmpKind kind,
                                             bool link_multicast) {
    const rte_ipv6_hdr* ip = offender_header(offender);
    // RFC 4443 2.4(e.6): the source does not uniquely identify a single node.
    const uint8_t* src = ip->src_addr;
    if (stage::v6_unspecified(src) || stage::v6_multicast(src) || stage::v6_loopback(src) || t.is_local6(src))
        return IcmpSuppress::offender_bad_source;
    // 2.4(e.3), (e.4): not about a packet to a multicast address or in a link-layer multicast
    // frame, except Packet Too Big (so that PMTUD works for multicast) and Parameter Problem
    // code 2 (an option whose type asks for the report even then).
    const bool multicast_ok = kind == IcmpKind::icmp6_packet_too_big || kind == IcmpKind::icmp6_param_option;
    if ((link_multicast || stage::v6_multicast(ip->dst_addr)) && !multicast_ok) return IcmpSuppress::offender_broadcast;
    // 2.4(e.1), (e.2): never about an ICMPv6 error or a Redirect. A chain we cannot walk, or a
    // fragment other than the first, does not show its upper layer: such a packet may be
    // answered (as Linux does); an ICMPv6 header too short to show its type may not.
    stage::UpperLayer ul;
    const uint32_t end = rte_pktmbuf_pkt_len(offender);
    if (stage::ipv6_skip_extensions(offender, RTE_ETHER_HDR_LEN, end, &ul) && ul.nh == stage::kNhIcmp6 &&
        ul.frag_offset == 0) {
        uint8_t type = 0;
        const uint8_t* p = ul.off < end ? stage::packet_bytes(offender, ul.off, 1, &type) : nullptr;
        if (p == nullptr || *p < 128 || *p == 137) return IcmpSuppress::offender_icmp_error;
    }
    return std::nullopt;
}

std::optional<IcmpSuppress> icmp6_rate_limit(WorkerContext& ctx, const Tables& t, IcmpKind kind, const uint8_t* dst) {
    const uint64_t now = worker_tsc(ctx);
    const uint64_t hz = ctx.tsc_hz;
    IcmpLimiter& lim = ctx.limiter;
    icmp_refresh_limits(ctx, t);
    // Packet Too Big draws on the frag-needed budget alone and takes no per-destination token, as
    // frag needed does (Linux never limits it: PMTUD must not starve).
    if (kind == IcmpKind::icmp6_packet_too_big)
        return lim.packet_too_big6.take(now, hz, lim.limits.frag_needed)
                   ? std::nullopt
                   : std::optional(IcmpSuppress::rate_packet_too_big);
    // The global bucket's empty window first, as for IPv4 (icmp_rate_limit): it takes nothing.
    if (lim.global6.refusing(now, lim.limits.global)) return IcmpSuppress::rate_global;
    // rte_hash_crc loads 8 bytes at a time: hash an aligned copy (the address sits at frame
    // offset 22 in the packet).
    alignas(8) uint8_t key[16];
    std::memcpy(key, dst, sizeof key);
    IcmpLimiter::DestSlot& slot = lim.dest6[rte_hash_crc(key, sizeof key, lim.dest_seed) % IcmpLimiter::kDestSlots];
    // A destination's token goes only with a global one (docs/icmp.md, "Rate limits"): when a
    // flood from many sources refills their buckets in step, the tokens the global bucket cannot
    // match stay for later instead of being thrown away, so the global rate is reached.
    if (!slot.bucket.ready(now, hz, lim.limits.per_destination)) return IcmpSuppress::rate_destination;
    if (!lim.global6.take(now, hz, lim.limits.global)) return IcmpSuppress::rate_global;
    slot.bucket.consume(hz, lim.limits.per_destination);
    return std::nullopt;
}

bool icmp6_send_error(WorkerContext& ctx, const Tables& t, const rte_mbuf* offender, const Icmp6ErrorRequest& req) {
    if (auto why = icmp6_suppressed(t, offender, req.kind, req.link_multicast)) {
        ctx.counters->icmp_suppressed_one(req.kind, *why);
        return false;
    }
    NextHop6 scratch;
    const NextHop6* nh = nullptr;
    rte_mbuf* m = prepare_answer(ctx, t, offender, req.kind, scratch, &nh);
    if (m == nullptr) return false;
    const rte_ipv6_hdr* oip = offender_header(offender);

    // RFC 4443 2.4(c): as much of the offender as fits in 1280 bytes (the IPv6 minimum MTU, which
    // every IPv6 interface of ours carries). A packet whose payload length is zero (a jumbogram
    // refused at input) is quoted as far as the frame goes.
    const uint32_t available = rte_pktmbuf_pkt_len(offender) - RTE_ETHER_HDR_LEN;
    const uint32_t plen = stage::ipv6_payload_len(oip);
    const uint32_t offender_len = plen == 0 ? available : std::min(kIpv6HdrLen + plen, available);
    const uint32_t quote_len = std::min(offender_len, kIcmp6MaxLength - kIcmp6ErrorHeaders);
    const uint32_t icmp_len = 8 + quote_len;
    auto* frame = reinterpret_cast<uint8_t*>(
        rte_pktmbuf_append(m, static_cast<uint16_t>(RTE_ETHER_HDR_LEN + kIpv6HdrLen + icmp_len)));
    if (frame == nullptr) [[unlikely]] {  // a pool of mbufs too small for 1294 bytes
        rte_pktmbuf_free(m);
        ctx.counters->icmp_suppressed_one(req.kind, IcmpSuppress::no_mbuf);
        return false;
    }
    auto* eth = reinterpret_cast<rte_ether_hdr*>(frame);
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(eth + 1);
    auto* icmp = reinterpret_cast<uint8_t*>(ip + 1);
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);

    uint8_t* quote = icmp + 8;
    const void* copied = rte_pktmbuf_read(offender, RTE_ETHER_HDR_LEN, quote_len, quote);
    if (copied != quote) std::memcpy(quote, copied, quote_len);

    const IcmpKindInfo& info = kIcmpKinds[static_cast<size_t>(req.kind)];
    icmp[0] = info.type;
    icmp[1] = info.code;
    icmp[2] = icmp[3] = 0;
    const uint32_t param_be = rte_cpu_to_be_32(req.param);  // MTU or pointer; zero for the others
    std::memcpy(icmp + 4, &param_be, 4);

    const uint8_t* src = req.source != nullptr ? req.source : error_source(t, offender->port, *nh, oip->src_addr);
    fill_ipv6(ip, static_cast<uint16_t>(icmp_len), stage::kNhIcmp6, src, oip->src_addr);
    const uint16_t cksum = ipv6_l4_checksum(ip->src_addr, ip->dst_addr, icmp, icmp_len, stage::kNhIcmp6);
    std::memcpy(icmp + 2, &cksum, 2);

    ctx.counters->icmp_sent_one(req.kind);
    stage::send_to_next_hop6(ctx, t, m, eth, *nh, ip->dst_addr, Outbound::own);
    return true;
}

bool tcp6_send_reset(WorkerContext& ctx, const Tables& t, const rte_mbuf* offender, uint32_t l4_off) {
    const uint32_t end = rte_pktmbuf_pkt_len(offender);
    rte_tcp_hdr obuf;
    const auto* otcp = reinterpret_cast<const rte_tcp_hdr*>(
        stage::packet_bytes(offender, l4_off, sizeof(rte_tcp_hdr), reinterpret_cast<uint8_t*>(&obuf)));
    if (otcp == nullptr || (otcp->tcp_flags & RTE_TCP_RST_FLAG)) return false;  // never answer a reset
    const uint32_t tcp_hdr_len = (otcp->data_off >> 4) * 4u;
    if (tcp_hdr_len < sizeof(rte_tcp_hdr) || l4_off + tcp_hdr_len > end) return false;
    constexpr IcmpKind kind = IcmpKind::tcp_reset;
    if (auto why = icmp6_suppressed(t, offender, kind, false)) {
        ctx.counters->icmp_suppressed_one(kind, *why);
        return false;
    }
    NextHop6 scratch;
    const NextHop6* nh = nullptr;
    rte_mbuf* m = prepare_answer(ctx, t, offender, kind, scratch, &nh);
    if (m == nullptr) return false;
    const rte_ipv6_hdr* oip = offender_header(offender);

    constexpr uint32_t kLen = sizeof(rte_tcp_hdr);
    auto* eth = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_append(m, RTE_ETHER_HDR_LEN + kIpv6HdrLen + kLen));
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(eth + 1);
    auto* tcp = reinterpret_cast<rte_tcp_hdr*>(ip + 1);
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
    fill_tcp_reset(tcp, otcp, end - l4_off - tcp_hdr_len);
    // From the address the segment was sent to, as for IPv4 (and as Linux does).
    fill_ipv6(ip, kLen, stage::kNhTcp, oip->dst_addr, oip->src_addr);
    tcp->cksum = ipv6_l4_checksum(ip->src_addr, ip->dst_addr, tcp, kLen, stage::kNhTcp);
    ctx.counters->icmp_sent_one(kind);
    stage::send_to_next_hop6(ctx, t, m, eth, *nh, ip->dst_addr, Outbound::own);
    return true;
}

}  // namespace dprouter
