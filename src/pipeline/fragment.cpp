#include "fragment.hpp"

#include <rte_ip.h>
#include <rte_ip_frag.h>

#include "stage_neighbor.hpp"

namespace dprouter {

namespace {
// A 9000-byte datagram cut for a 68-byte MTU makes (9000 - 20) / 48 = 188 pieces.
constexpr uint16_t kMaxFragments = 256;
}  // namespace

void fragment_and_send(WorkerContext& ctx, const Tables& t, rte_mbuf* m, const NextHop& nh) {
    const InterfaceEntry& egress = t.ifaces[nh.port];
    const uint32_t dst_be = rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr*, RTE_ETHER_HDR_LEN)->dst_addr;
    rte_pktmbuf_adj(m, RTE_ETHER_HDR_LEN);  // rte_ip_frag wants the IP header first

    rte_mbuf* frags[kMaxFragments];
    int32_t n;
    if (egress.tx_multi_seg)
        n = rte_ipv4_fragment_packet(m, frags, kMaxFragments, egress.mtu, ctx.pool, ctx.indirect_pool);
    else if (m->nb_segs == 1)
        n = rte_ipv4_fragment_copy_nonseg_packet(m, frags, kMaxFragments, egress.mtu, ctx.pool);
    else
        n = -ENOTSUP;
    // The fragments hold their own references to the payload; the original goes either way.
    if (n <= 0) {
        stage::drop(ctx, m, Drop::fragmentation_failed);
        return;
    }
    rte_pktmbuf_free(m);
    ctx.counters->event(Event::fragmented);
    ctx.counters->event(Event::fragments_created, static_cast<uint64_t>(n));
    for (int32_t i = 0; i < n; ++i) {
        rte_mbuf* f = frags[i];
        auto* eth = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_prepend(f, RTE_ETHER_HDR_LEN));
        if (eth == nullptr) {
            stage::drop(ctx, f, Drop::fragmentation_failed);
            continue;
        }
        eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
        auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
        ip->hdr_checksum = 0;
        ip->hdr_checksum = rte_ipv4_cksum(ip);
        stage::send_to_next_hop(ctx, t, f, eth, nh, dst_be, true);
    }
}

}  // namespace dprouter
