// IPv6 input (RFC 8200 3, RFC 4291): which frames are ours, header sanity, address checks and the
// Hop-by-Hop options header, which every node on the path processes (RFC 8200 4.3).
#pragma once

#include <rte_ether.h>
#include <rte_ip.h>

#include "icmp/icmp6_error.hpp"
#include "stage_common.hpp"
#include "stage_ipv4_input.hpp"
#include "stage_ipv6_common.hpp"
#include "stage_ipv6_options.hpp"

namespace dprouter::stage {

// The groups the router listens to on an interface (RFC 4291 2.8: all-nodes ff02::1, all-routers
// ff02::2, and the solicited-node group ff02::1:ffXX:XXXX of each of its addresses there). Any
// other multicast destination is not ours, and the router does not route multicast.
inline bool listens6(const InterfaceEntry& ifc, const uint8_t* group) {
    static constexpr uint8_t kLinkScope[11] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    if (std::memcmp(group, kLinkScope, 11) != 0) return false;
    if (group[11] == 0 && group[12] == 0 && group[13] == 0 && group[14] == 0) return group[15] == 1 || group[15] == 2;
    if (group[11] != 1 || group[12] != 0xff) return false;
    for (unsigned i = 0; i < ifc.n_addrs6; ++i)
        if (std::memcmp(ifc.addr6[i] + 13, group + 13, 3) == 0) return true;
    return false;
}

// The same for the link-layer group of a 33:33:xx:xx:xx:xx frame (RFC 2464 7: the low 32 bits of
// the IPv6 group). Broadcast and every other multicast MAC are not ours either.
inline bool listens6_mac(const InterfaceEntry& ifc, const rte_ether_addr& mac) {
    const uint8_t* b = mac.addr_bytes;
    if (b[0] != 0x33 || b[1] != 0x33) return false;
    if (b[2] == 0 && b[3] == 0 && b[4] == 0) return b[5] == 1 || b[5] == 2;
    if (b[2] != 0xff) return false;
    for (unsigned i = 0; i < ifc.n_addrs6; ++i)
        if (std::memcmp(ifc.addr6[i] + 13, b + 3, 3) == 0) return true;
    return false;
}

// The source of an error about a packet refused before its destination was settled: the address
// it targeted when that is one of ours (RFC 4443 2.2(a); a link-local one only on its own link),
// else nullptr (the arrival interface's, icmp6_error.hpp).
inline const uint8_t* targeted6(const Tables& t, const rte_mbuf* m) {
    const auto* ip = rte_pktmbuf_mtod_offset(m, const rte_ipv6_hdr*, RTE_ETHER_HDR_LEN);
    const uint8_t* dst = ip->dst_addr;
    const bool ours = v6_link_local(dst) ? m->port < kMaxPorts && t.owns6_on(m->port, dst) : t.is_local6(dst);
    return ours ? dst : nullptr;
}

// The Hop-by-Hop header (right after the fixed header) when all of it lies before frame offset
// `end`, contiguous (in the mbuf, or copied to `buf`, which holds 2048 bytes: (255 + 1) * 8, the
// largest header there is); its length in `len`. nullptr: cut off.
inline const uint8_t* hop_by_hop_header(const rte_mbuf* m, uint32_t end, uint8_t* buf, uint32_t* len) {
    constexpr uint32_t off = RTE_ETHER_HDR_LEN + kIpv6HdrLen;
    const uint8_t* h = off + 2 <= end ? packet_bytes(m, off, 2, buf) : nullptr;
    if (h == nullptr) return nullptr;
    *len = (h[1] + 1u) * 8u;
    return off + *len <= end ? packet_bytes(m, off, *len, buf) : nullptr;
}

// A payload length of zero with a Hop-by-Hop header announces a jumbogram (RFC 2675), which no
// link of ours (MTU at most 9000) can carry: refused, with the Parameter Problem RFC 2675 3 names
// when the header says something wrong, silently when it is a truncated jumbogram.
[[gnu::noinline]] inline void refuse_jumbogram(WorkerContext& ctx, const Tables& t, rte_mbuf* m, bool link_multicast) {
    uint8_t buf[2048];
    uint32_t len;
    const uint8_t* h = hop_by_hop_header(m, rte_pktmbuf_pkt_len(m), buf, &len);
    if (h == nullptr) {
        drop(ctx, m, Drop::ipv6_bad_length);
        return;
    }
    const auto* ip = rte_pktmbuf_mtod_offset(m, const rte_ipv6_hdr*, RTE_ETHER_HDR_LEN);
    const OptionsVerdict6 v = check_options6(h, len, kIpv6HdrLen, true, v6_multicast(ip->dst_addr), 0);
    if (v.action == OptionsVerdict6::refuse || (v.action == OptionsVerdict6::accept && !v.jumbo)) {
        // No Jumbo option: RFC 2675 3 points at the Payload Length field (offset 4).
        const uint32_t pointer = v.action == OptionsVerdict6::refuse ? v.pointer : 4;
        const IcmpKind kind = v.action == OptionsVerdict6::refuse ? v.kind : IcmpKind::icmp6_param_header;
        icmp6_send_error(ctx, t, m, {kind, pointer, link_multicast, targeted6(t, m)});
    }
    drop(ctx, m, v.action == OptionsVerdict6::accept ? Drop::ipv6_bad_length : v.reason);
}

// RFC 8200 3: the fixed header is whole and says version 6, and the payload length fits in the
// frame; Ethernet padding (and any trailing bytes) beyond it is trimmed. Counts and frees on failure.
inline bool ipv6_validate(WorkerContext& ctx, const Tables& t, rte_mbuf* m, const rte_ipv6_hdr* ip,
                          bool link_multicast) {
    const uint32_t l3_len = rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN;
    // The fixed header must sit in the first segment: the stages read it directly.
    if (l3_len < kIpv6HdrLen || rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + kIpv6HdrLen) [[unlikely]] {
        drop(ctx, m, Drop::ipv6_runt);
        return false;
    }
    if ((rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6) [[unlikely]] {
        drop(ctx, m, Drop::ipv6_bad_version);
        return false;
    }
    const uint32_t total = kIpv6HdrLen + ipv6_payload_len(ip);
    if (total > l3_len) [[unlikely]] {
        drop(ctx, m, Drop::ipv6_bad_length);
        return false;
    }
    if (ip->payload_len == 0 && ip->proto == kNhHopByHop) [[unlikely]] {
        refuse_jumbogram(ctx, t, m, link_multicast);
        return false;
    }
    if (total < l3_len) trim_tail(m, l3_len - total);
    return true;
}

// RFC 4291 2.5.2, 2.5.3, 2.7: sources that name no single node and the loopback address never
// come from the wire; neither does a packet claiming one of our addresses as its source. The
// unspecified source is legitimate only for a node that has no address yet (Duplicate Address
// Detection, RFC 4862 5.4), whose messages go to multicast groups. Destinations that cannot be
// reached: unspecified, loopback, IPv4-mapped (RFC 4291 2.5.5.2). All silently dropped.
inline bool ipv6_addresses_ok(WorkerContext& ctx, const Tables& t, rte_mbuf* m, const rte_ipv6_hdr* ip) {
    const uint8_t* src = ip->src_addr;
    const uint8_t* dst = ip->dst_addr;
    if (v6_loopback(src) || v6_loopback(dst)) [[unlikely]] {
        drop(ctx, m, Drop::ipv6_loopback);
        return false;
    }
    if (v6_multicast(src) || (v6_unspecified(src) && !v6_multicast(dst)) || t.is_local6(src)) [[unlikely]] {
        drop(ctx, m, Drop::ipv6_bad_source);
        return false;
    }
    if (v6_unspecified(dst) || v6_v4_mapped(dst)) [[unlikely]] {
        drop(ctx, m, Drop::ipv6_martian_destination);
        return false;
    }
    return true;
}

// RFC 8200 4.3: the Hop-by-Hop header, right after the fixed header, is examined by every node on
// the path, the router included, before it decides where the packet goes (as Linux does).
[[gnu::noinline]] inline bool hop_by_hop_ok(WorkerContext& ctx, const Tables& t, rte_mbuf* m, const rte_ipv6_hdr* ip,
                                            bool link_multicast) {
    uint8_t buf[2048];
    uint32_t len;
    const uint8_t* h = hop_by_hop_header(m, RTE_ETHER_HDR_LEN + kIpv6HdrLen + ipv6_payload_len(ip), buf, &len);
    if (h == nullptr) {
        // Cut off by the payload length: there is no field to point at that is wrong by itself.
        drop(ctx, m, Drop::ipv6_bad_extension_header);
        return false;
    }
    const OptionsVerdict6 v =
        check_options6(h, len, kIpv6HdrLen, true, v6_multicast(ip->dst_addr), ipv6_payload_len(ip));
    if (v.action == OptionsVerdict6::accept) return true;
    if (v.action == OptionsVerdict6::refuse)
        icmp6_send_error(ctx, t, m, {v.kind, v.pointer, link_multicast, targeted6(t, m)});
    drop(ctx, m, v.reason);
    return false;
}

}  // namespace dprouter::stage
