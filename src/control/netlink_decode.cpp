#include "control/netlink_decode.hpp"

#include <algorithm>
#include <cstring>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

namespace dprouter::nl {
namespace {

constexpr uint32_t kMainTable = RT_TABLE_MAIN;  // 254

// Attributes of one level, by type (the last of a repeated type wins, as in the kernel's own
// nla_parse). Every attribute must lie inside [p, p + len) with its declared length; anything
// left over that is not a whole attribute makes the level malformed.
template <std::size_t N>
bool collect(const void* p, std::size_t len, std::array<const nlattr*, N>& out) {
    out.fill(nullptr);
    auto* a = static_cast<const nlattr*>(p);
    long rem = static_cast<long>(len);
    while (rem >= static_cast<long>(sizeof(nlattr))) {
        if (!mnl_attr_ok(a, static_cast<int>(rem))) return false;
        const uint16_t type = mnl_attr_get_type(a);
        if (type < N) out[type] = a;  // unknown types are ignored: newer kernels add attributes
        rem -= static_cast<long>(MNL_ALIGN(a->nla_len));
        a = mnl_attr_next(a);
    }
    return rem == 0 || (rem < 0 && rem > -static_cast<long>(MNL_ALIGNTO));
}

bool get_u32(const nlattr* a, uint32_t& v) {
    if (!a) return true;
    if (mnl_attr_validate2(a, MNL_TYPE_U32, sizeof(uint32_t)) < 0 || mnl_attr_get_payload_len(a) != 4) return false;
    v = mnl_attr_get_u32(a);
    return true;
}

std::size_t addr_len(uint8_t family) { return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0; }

// An address attribute of exactly the family's size.
bool get_addr(const nlattr* a, uint8_t family, std::array<uint8_t, 16>& out) {
    const std::size_t n = addr_len(family);
    if (n == 0 || mnl_attr_get_payload_len(a) != n) return false;
    std::memcpy(out.data(), mnl_attr_get_payload(a), n);
    return true;
}

// RTA_GATEWAY (the route's family) or RTA_VIA (struct rtvia: a family, then its address; RFC 5549
// IPv4 routes over IPv6 next hops use it). Either gives the path's gateway.
const char* read_gateway(const nlattr* gw, const nlattr* via, uint8_t family, Path& p) {
    if (gw) {
        if (!get_addr(gw, family, p.gateway)) return "RTA_GATEWAY of the wrong size";
        p.gateway_family = family;
    }
    if (via) {
        const uint16_t n = mnl_attr_get_payload_len(via);
        if (n < sizeof(uint16_t)) return "RTA_VIA too short";
        uint16_t vfam;
        std::memcpy(&vfam, mnl_attr_get_payload(via), sizeof vfam);
        const std::size_t alen = addr_len(static_cast<uint8_t>(vfam));
        if (alen == 0 || n != sizeof(uint16_t) + alen) return "RTA_VIA of an unknown family or wrong size";
        std::memcpy(p.gateway.data(), static_cast<const uint8_t*>(mnl_attr_get_payload(via)) + sizeof(uint16_t), alen);
        p.gateway_family = static_cast<uint8_t>(vfam);
    }
    return nullptr;
}

void clear_host_bits(std::array<uint8_t, 16>& a, unsigned len) {
    for (unsigned i = 0; i < 16; ++i) {
        const unsigned bit = i * 8;
        if (bit >= len) a[i] = 0;
        else if (bit + 8 > len) a[i] &= static_cast<uint8_t>(0xff << (8 - (len - bit)));
    }
}

Decoded decode_route(const nlmsghdr* m) {
    const bool del = m->nlmsg_type == RTM_DELROUTE;
    if (mnl_nlmsg_get_payload_len(m) < sizeof(rtmsg)) return Refused{"route message shorter than struct rtmsg"};
    rtmsg rt;
    std::memcpy(&rt, mnl_nlmsg_get_payload(m), sizeof rt);
    if (rt.rtm_family != AF_INET && rt.rtm_family != AF_INET6) return Skipped{"route of another family"};
    const unsigned max_len = rt.rtm_family == AF_INET ? 32 : 128;
    if (rt.rtm_dst_len > max_len) return Refused{"rtm_dst_len beyond the family's length"};

    std::array<const nlattr*, RTA_MAX + 1> at;
    const std::size_t off = MNL_ALIGN(sizeof(rtmsg));
    const std::size_t plen = mnl_nlmsg_get_payload_len(m);
    if (plen < off || !collect(static_cast<const char*>(mnl_nlmsg_get_payload(m)) + off, plen - off, at))
        return Refused{"route attributes overrun the message"};

    uint32_t table = rt.rtm_table;
    if (!get_u32(at[RTA_TABLE], table)) return Refused{"RTA_TABLE of the wrong size"};
    if (table != kMainTable) return Skipped{"table " + std::to_string(table) + " is not main"};
    if (rt.rtm_flags & RTM_F_CLONED) return Skipped{"cloned (cache) entry"};
    if (rt.rtm_protocol == RTPROT_KERNEL) return Skipped{"kernel route (connected or address)"};
    if (rt.rtm_protocol == RTPROT_REDIRECT) return Skipped{"learnt from an ICMP redirect"};
    if (rt.rtm_src_len != 0 || at[RTA_SRC]) return Skipped{"source-specific route"};
    if (rt.rtm_tos != 0) return Skipped{"TOS-specific route"};
    if (at[RTA_ENCAP] || at[RTA_ENCAP_TYPE]) return Skipped{"route with a lightweight-tunnel encapsulation"};

    KernelRoute r;
    r.del = del;
    r.nlmsg_flags = m->nlmsg_flags;
    r.family = rt.rtm_family;
    r.dst_len = rt.rtm_dst_len;
    r.protocol = rt.rtm_protocol;
    switch (rt.rtm_type) {
    case RTN_UNICAST: r.kind = RouteKind::unicast; break;
    case RTN_BLACKHOLE: r.kind = RouteKind::blackhole; break;
    case RTN_UNREACHABLE: r.kind = RouteKind::unreachable; break;
    case RTN_PROHIBIT: r.kind = RouteKind::prohibit; break;
    default: return Skipped{"route type " + std::to_string(rt.rtm_type) + " (local, broadcast, multicast, ...)"};
    }
    if (at[RTA_DST]) {
        if (!get_addr(at[RTA_DST], r.family, r.dst)) return Refused{"RTA_DST of the wrong size"};
    } else if (r.dst_len != 0) {
        return Refused{"prefix length without RTA_DST"};
    }
    clear_host_bits(r.dst, r.dst_len);
    if (!get_u32(at[RTA_PRIORITY], r.priority)) return Refused{"RTA_PRIORITY of the wrong size"};
    if (!get_u32(at[RTA_NH_ID], r.nh_id)) return Refused{"RTA_NH_ID of the wrong size"};

    Path single;
    single.flags = static_cast<uint8_t>(rt.rtm_flags & 0xff);  // RTNH_F_* of a single-path route
    if (const char* why = read_gateway(at[RTA_GATEWAY], at[RTA_VIA], r.family, single)) return Refused{why};
    if (!get_u32(at[RTA_OIF], single.oif)) return Refused{"RTA_OIF of the wrong size"};

    if (const nlattr* mp = at[RTA_MULTIPATH]) {
        // A sequence of struct rtnexthop, each followed by its own attributes (RTA_GATEWAY, RTA_VIA).
        const auto* p = static_cast<const unsigned char*>(mnl_attr_get_payload(mp));
        std::size_t left = mnl_attr_get_payload_len(mp);
        while (left >= sizeof(rtnexthop)) {
            rtnexthop nh;
            std::memcpy(&nh, p, sizeof nh);
            if (nh.rtnh_len < sizeof(rtnexthop) || nh.rtnh_len > left) return Refused{"rtnexthop length lies"};
            if (r.paths.size() >= kMaxPathsPerMessage) return Refused{"too many paths"};
            std::array<const nlattr*, RTA_MAX + 1> nat;
            const std::size_t hdr = RTNH_ALIGN(sizeof(rtnexthop));
            if (nh.rtnh_len < hdr && nh.rtnh_len != sizeof(rtnexthop)) return Refused{"rtnexthop length lies"};
            if (nh.rtnh_len > hdr && !collect(p + hdr, nh.rtnh_len - hdr, nat))
                return Refused{"rtnexthop attributes overrun it"};
            if (nh.rtnh_len <= hdr) nat.fill(nullptr);
            Path path;
            path.oif = static_cast<uint32_t>(nh.rtnh_ifindex);
            path.flags = nh.rtnh_flags;
            path.weight = static_cast<uint16_t>(nh.rtnh_hops + 1);
            if (const char* why = read_gateway(nat[RTA_GATEWAY], nat[RTA_VIA], r.family, path)) return Refused{why};
            r.paths.push_back(path);
            const std::size_t step = std::min<std::size_t>(RTNH_ALIGN(nh.rtnh_len), left);
            p += step;
            left -= step;
        }
        if (left != 0) return Refused{"RTA_MULTIPATH ends inside an rtnexthop"};
    } else if (single.gateway_family != 0 || single.oif != 0) {
        r.paths.push_back(single);
    }
    if (r.kind != RouteKind::unicast) {
        r.paths.clear();  // an IPv6 blackhole names lo as its device; the action is all that counts
        r.nh_id = 0;
    }
    return r;
}

Decoded decode_nexthop(const nlmsghdr* m) {
    if (mnl_nlmsg_get_payload_len(m) < sizeof(nhmsg)) return Refused{"nexthop message shorter than struct nhmsg"};
    nhmsg nh;
    std::memcpy(&nh, mnl_nlmsg_get_payload(m), sizeof nh);
    std::array<const nlattr*, NHA_MAX + 1> at;
    const std::size_t off = MNL_ALIGN(sizeof(nhmsg));
    const std::size_t plen = mnl_nlmsg_get_payload_len(m);
    if (plen < off || !collect(static_cast<const char*>(mnl_nlmsg_get_payload(m)) + off, plen - off, at))
        return Refused{"nexthop attributes overrun the message"};
    KernelNexthop n;
    n.del = m->nlmsg_type == RTM_DELNEXTHOP;
    n.family = nh.nh_family;
    n.protocol = nh.nh_protocol;
    n.dead = nh.nh_flags & RTNH_F_DEAD;
    if (!at[NHA_ID] || !get_u32(at[NHA_ID], n.id) || n.id == 0) return Refused{"nexthop without a valid NHA_ID"};
    if (n.del) return n;
    if (at[NHA_FDB]) return Skipped{"bridge FDB nexthop"};
    if (at[NHA_ENCAP] || at[NHA_ENCAP_TYPE]) return Skipped{"nexthop with a lightweight-tunnel encapsulation"};
    n.blackhole = at[NHA_BLACKHOLE] != nullptr;
    if (!get_u32(at[NHA_OIF], n.path.oif)) return Refused{"NHA_OIF of the wrong size"};
    n.path.flags = nh.nh_flags;
    if (const nlattr* gw = at[NHA_GATEWAY]) {
        if (!get_addr(gw, n.family, n.path.gateway)) return Refused{"NHA_GATEWAY of the wrong size"};
        n.path.gateway_family = n.family;
    }
    if (const nlattr* g = at[NHA_GROUP]) {
        const std::size_t len = mnl_attr_get_payload_len(g);
        if (len == 0 || len % sizeof(nexthop_grp) != 0) return Refused{"NHA_GROUP not a whole array of nexthop_grp"};
        if (len / sizeof(nexthop_grp) > kMaxGroupMembers) return Refused{"nexthop group too large"};
        const auto* p = static_cast<const unsigned char*>(mnl_attr_get_payload(g));
        for (std::size_t i = 0; i < len / sizeof(nexthop_grp); ++i) {
            nexthop_grp e;
            std::memcpy(&e, p + i * sizeof e, sizeof e);
            if (e.id == 0) return Refused{"nexthop group member with id 0"};
            n.group.push_back({e.id, static_cast<uint16_t>(e.weight + 1)});
        }
    }
    return n;
}

Decoded decode_link(const nlmsghdr* m) {
    if (mnl_nlmsg_get_payload_len(m) < sizeof(ifinfomsg)) return Refused{"link message shorter than struct ifinfomsg"};
    ifinfomsg ifi;
    std::memcpy(&ifi, mnl_nlmsg_get_payload(m), sizeof ifi);
    std::array<const nlattr*, IFLA_MAX + 1> at;
    const std::size_t off = MNL_ALIGN(sizeof(ifinfomsg));
    const std::size_t plen = mnl_nlmsg_get_payload_len(m);
    if (plen < off || !collect(static_cast<const char*>(mnl_nlmsg_get_payload(m)) + off, plen - off, at))
        return Refused{"link attributes overrun the message"};
    if (ifi.ifi_index <= 0) return Refused{"link with a bad ifindex"};
    KernelLink l;
    l.del = m->nlmsg_type == RTM_DELLINK;
    l.index = static_cast<uint32_t>(ifi.ifi_index);
    l.flags = ifi.ifi_flags;
    if (const nlattr* n = at[IFLA_IFNAME]) {
        if (mnl_attr_validate(n, MNL_TYPE_NUL_STRING) < 0 || mnl_attr_get_payload_len(n) > IFNAMSIZ)
            return Refused{"IFLA_IFNAME not a terminated name"};
        l.name = mnl_attr_get_str(n);
    }
    return l;
}

std::string format_addr(uint8_t family, const std::array<uint8_t, 16>& a) {
    char buf[INET6_ADDRSTRLEN] = "?";
    if (family == AF_INET || family == AF_INET6) inet_ntop(family, a.data(), buf, sizeof buf);
    return buf;
}

}  // namespace

const nlmsghdr* next_message(const void* buf, std::size_t remaining) {
    if (remaining > static_cast<std::size_t>(INT32_MAX)) remaining = INT32_MAX;
    const auto* m = static_cast<const nlmsghdr*>(buf);
    // mnl_nlmsg_ok compares (int)nlmsg_len: a length of 2^31 or more passes it as negative (and
    // would then align to a step of 0), so the length is checked here as the unsigned it is.
    if (!mnl_nlmsg_ok(m, static_cast<int>(remaining)) || m->nlmsg_len > remaining) return nullptr;
    return m;
}

std::size_t message_span(const nlmsghdr* m) { return MNL_ALIGN(m->nlmsg_len); }

Decoded decode_message(const nlmsghdr* m, std::size_t len) {
    if (len < sizeof(nlmsghdr) || m->nlmsg_len < sizeof(nlmsghdr) || m->nlmsg_len > len)
        return Refused{"netlink header length lies"};
    switch (m->nlmsg_type) {
    case NLMSG_DONE: return DumpDone{};
    case NLMSG_ERROR: {
        if (mnl_nlmsg_get_payload_len(m) < sizeof(nlmsgerr)) return Refused{"NLMSG_ERROR too short"};
        nlmsgerr e;
        std::memcpy(&e, mnl_nlmsg_get_payload(m), sizeof e);
        return NetlinkError{e.error};
    }
    case RTM_NEWROUTE:
    case RTM_DELROUTE: return decode_route(m);
    case RTM_NEWNEXTHOP:
    case RTM_DELNEXTHOP: return decode_nexthop(m);
    case RTM_NEWLINK:
    case RTM_DELLINK: return decode_link(m);
    default: return Skipped{"message type " + std::to_string(m->nlmsg_type)};
    }
}

std::string describe(const KernelRoute& r) {
    std::string s = r.del ? "del " : "new ";
    s += format_addr(r.family, r.dst) + "/" + std::to_string(r.dst_len);
    switch (r.kind) {
    case RouteKind::unicast: break;
    case RouteKind::blackhole: s += " blackhole"; break;
    case RouteKind::unreachable: s += " unreachable"; break;
    case RouteKind::prohibit: s += " prohibit"; break;
    }
    if (r.nh_id) s += " nhid " + std::to_string(r.nh_id);
    for (const Path& p : r.paths) {
        if (p.gateway_family) s += " via " + format_addr(p.gateway_family, p.gateway);
        if (p.oif) s += " dev " + std::to_string(p.oif);
    }
    s += " proto " + std::to_string(r.protocol) + " metric " + std::to_string(r.priority);
    return s;
}

}  // namespace dprouter::nl
