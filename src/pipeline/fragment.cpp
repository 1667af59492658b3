#include "fragment.hpp"

#include <rte_ip.h>
#include <rte_ip_frag.h>

#include "stage_neighbor.hpp"

namespace dprouter {

namespace {

// A fragment by reference (a header mbuf chained to indirect payload mbufs) turned into one
// segment for a PMD that cannot send chains. Consumes `f`; null when no mbuf is left or the
// fragment does not fit one (the router sizes its mbufs for the largest MTU, so it always does).
rte_mbuf* linearize(rte_mbuf* f, rte_mempool* pool) {
    rte_mbuf* c = rte_pktmbuf_alloc(pool);
    const uint32_t len = rte_pktmbuf_pkt_len(f);
    char* dst = c != nullptr && len <= rte_pktmbuf_tailroom(c) ? rte_pktmbuf_append(c, static_cast<uint16_t>(len)) : nullptr;
    if (dst == nullptr) {
        rte_pktmbuf_free(c);
        rte_pktmbuf_free(f);
        return nullptr;
    }
    const void* src = rte_pktmbuf_read(f, 0, len, dst);
    if (src != dst) rte_memcpy(dst, src, len);
    rte_pktmbuf_free(f);
    return c;
}

// Cuts `m` (IP header first) into `frags` the egress can send; returns their number, or a negative
// errno from rte_ip_frag (-ENOMEM when a pool is exhausted, -EINVAL when kMaxFragments is too few).
int32_t cut(WorkerContext& ctx, rte_mbuf* m, rte_mbuf** frags, const InterfaceEntry& egress, bool* lost) {
    // The one-copy path works only on a single segment; a chained datagram is fragmented by
    // reference and each piece copied into one segment.
    if (!egress.tx_multi_seg && m->nb_segs == 1)
        return rte_ipv4_fragment_copy_nonseg_packet(m, frags, kMaxFragments, egress.mtu, ctx.pool);
    int32_t n = rte_ipv4_fragment_packet(m, frags, kMaxFragments, egress.mtu, ctx.pool, ctx.indirect_pool);
    if (n <= 0 || egress.tx_multi_seg) return n;
    int32_t kept = 0;
    for (int32_t i = 0; i < n; ++i) {
        if (rte_mbuf* c = linearize(frags[i], ctx.pool)) {
            frags[kept++] = c;
        } else {
            *lost = true;  // this piece only; the others can go
        }
    }
    return kept;
}

}  // namespace

void fragment_and_send(WorkerContext& ctx, const Tables& t, rte_mbuf* m, const NextHop& nh, bool transit) {
    const InterfaceEntry& egress = t.ifaces[nh.port];
    const uint32_t dst_be = rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr*, RTE_ETHER_HDR_LEN)->dst_addr;
    rte_pktmbuf_adj(m, RTE_ETHER_HDR_LEN);  // rte_ip_frag wants the IP header first

    rte_mbuf* frags[kMaxFragments];
    bool lost = false;  // a piece could not be made: the datagram does not arrive whole
    const int32_t n = cut(ctx, m, frags, egress, &lost);
    // The fragments hold their own references to the payload; the original goes either way.
    if (n <= 0) {
        // Out of mbufs, or a datagram with long options cut for a tiny MTU into more pieces than
        // kMaxFragments (an 8-byte payload per fragment): sending part of it would be useless.
        stage::drop_outbound(ctx, m, transit ? Outbound::transit : Outbound::own,
                             n == -EINVAL ? Drop::frag_too_many : Drop::fragmentation_failed);
        return;
    }
    rte_pktmbuf_free(m);
    ctx.counters->event(Event::fragmented);
    ctx.counters->event(Event::fragments_created, static_cast<uint64_t>(n));
    int32_t ready = 0;
    for (int32_t i = 0; i < n; ++i) {
        rte_mbuf* f = frags[i];
        auto* eth = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_prepend(f, RTE_ETHER_HDR_LEN));
        if (eth == nullptr) {
            rte_pktmbuf_free(f);
            lost = true;
            continue;
        }
        eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
        auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
        ip->hdr_checksum = 0;
        ip->hdr_checksum = rte_ipv4_cksum(ip);
        frags[ready++] = f;
    }
    // A transit datagram counts once (docs/architecture.md, "Counters"): with its last piece, which
    // is accepted by the port only after every piece before it (a TX queue refuses a batch's tail),
    // or, when a piece could not be made, as fragmentation_failed here and the pieces go uncounted.
    if (transit && lost) ctx.counters->drop(Drop::fragmentation_failed);
    for (int32_t i = 0; i < ready; ++i) {
        rte_mbuf* f = frags[i];
        const Outbound o = !transit ? Outbound::own : (lost || i + 1 < ready) ? Outbound::transit_piece : Outbound::transit;
        stage::send_to_next_hop(ctx, t, f, rte_pktmbuf_mtod(f, rte_ether_hdr*), nh, dst_be, o);
    }
}

}  // namespace dprouter
