// rtnetlink decoding for the kernel route importer: crafted messages as the kernel lays them out,
// then truncated, lying and unknown ones (refused or skipped, never a crash or a partial use).
#include <gtest/gtest.h>

#include <random>

#include "netlink_builder.hpp"

namespace dprouter {
namespace {

using test::addr_bytes;
using test::NlMsg;

nl::KernelRoute route_of(const nl::Decoded& d) {
    EXPECT_TRUE(std::holds_alternative<nl::KernelRoute>(d)) << d.index();
    if (const auto* r = std::get_if<nl::KernelRoute>(&d)) return *r;
    return {};
}

std::string skipped(const nl::Decoded& d) {
    if (const auto* s = std::get_if<nl::Skipped>(&d)) return s->reason;
    return "(not skipped)";
}

bool refused(const nl::Decoded& d) { return std::holds_alternative<nl::Refused>(d); }

TEST(NetlinkDecode, Ipv4SinglePath) {
    NlMsg m(RTM_NEWROUTE, NLM_F_CREATE);
    m.route(AF_INET, "10.9.0.0", 24, RTPROT_STATIC).addr(RTA_GATEWAY, AF_INET, "10.1.0.5").u32(RTA_OIF, 3).u32(RTA_PRIORITY, 20);
    const auto r = route_of(m.decode());
    EXPECT_FALSE(r.del);
    EXPECT_EQ(r.family, AF_INET);
    EXPECT_EQ(r.dst, addr_bytes("10.9.0.0"));
    EXPECT_EQ(r.dst_len, 24);
    EXPECT_EQ(r.protocol, RTPROT_STATIC);
    EXPECT_EQ(r.priority, 20u);
    EXPECT_EQ(r.kind, nl::RouteKind::unicast);
    ASSERT_EQ(r.paths.size(), 1u);
    EXPECT_EQ(r.paths[0].gateway_family, AF_INET);
    EXPECT_EQ(r.paths[0].gateway, addr_bytes("10.1.0.5"));
    EXPECT_EQ(r.paths[0].oif, 3u);
    EXPECT_EQ(nl::describe(r), "new 10.9.0.0/24 via 10.1.0.5 dev 3 proto 4 metric 20");
}

TEST(NetlinkDecode, HostBitsCleared) {
    NlMsg m(RTM_NEWROUTE);
    m.route(AF_INET, "10.9.0.77", 24).u32(RTA_OIF, 3);
    EXPECT_EQ(route_of(m.decode()).dst, addr_bytes("10.9.0.0"));
}

TEST(NetlinkDecode, Ipv6LinkLocalGatewayWithOif) {
    NlMsg m(RTM_NEWROUTE);
    m.route(AF_INET6, "2001:db8:99::", 64, 196).u32(RTA_TABLE, RT_TABLE_MAIN).addr(RTA_GATEWAY, AF_INET6, "fe80::1").u32(RTA_OIF, 2).u32(RTA_PRIORITY, 1024);
    const auto r = route_of(m.decode());
    EXPECT_EQ(r.family, AF_INET6);
    EXPECT_EQ(r.dst, addr_bytes("2001:db8:99::"));
    EXPECT_EQ(r.protocol, 196);
    ASSERT_EQ(r.paths.size(), 1u);
    EXPECT_EQ(r.paths[0].gateway, addr_bytes("fe80::1"));
    EXPECT_EQ(r.paths[0].oif, 2u);
}

TEST(NetlinkDecode, Multipath) {
    NlMsg m(RTM_NEWROUTE);
    m.route(AF_INET, "10.50.0.0", 16, RTPROT_BGP).multipath(AF_INET, {{"10.2.0.2", 3}, {"10.2.0.3", 3}, {"", 2}});
    const auto r = route_of(m.decode());
    ASSERT_EQ(r.paths.size(), 3u);
    EXPECT_EQ(r.paths[0].gateway, addr_bytes("10.2.0.2"));
    EXPECT_EQ(r.paths[1].gateway, addr_bytes("10.2.0.3"));
    EXPECT_EQ(r.paths[1].oif, 3u);
    EXPECT_EQ(r.paths[2].gateway_family, 0);
    EXPECT_EQ(r.paths[2].oif, 2u);
}

// `ip route add P nexthop via A weight 1 nexthop via B weight 3`: rtnh_hops is the weight minus one.
TEST(NetlinkDecode, MultipathWeights) {
    NlMsg m(RTM_NEWROUTE);
    m.route(AF_INET, "10.50.0.0", 16).multipath(AF_INET, {{"10.2.0.2", 3}, {"10.2.0.3", 3}}, 0, {0, 2});
    const auto r = route_of(m.decode());
    ASSERT_EQ(r.paths.size(), 2u);
    EXPECT_EQ(r.paths[0].weight, 1);
    EXPECT_EQ(r.paths[1].weight, 3);
    NlMsg one(RTM_NEWROUTE);
    one.route(AF_INET, "10.51.0.0", 16).addr(RTA_GATEWAY, AF_INET, "10.2.0.2").u32(RTA_OIF, 3);
    EXPECT_EQ(route_of(one.decode()).paths.at(0).weight, 1);
}

// The append flag of `ip route append` reaches the table as the kernel sent it.
TEST(NetlinkDecode, AppendFlagKept) {
    NlMsg m(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_APPEND);
    m.route(AF_INET, "10.52.0.0", 16).addr(RTA_GATEWAY, AF_INET, "10.2.0.2").u32(RTA_OIF, 3);
    EXPECT_EQ(route_of(m.decode()).nlmsg_flags, NLM_F_CREATE | NLM_F_APPEND);
}

TEST(NetlinkDecode, RouteThroughNexthopObject) {
    NlMsg m(RTM_NEWROUTE);
    m.route(AF_INET, "10.60.0.0", 24, 196).u32(RTA_NH_ID, 42).addr(RTA_GATEWAY, AF_INET, "10.2.0.2").u32(RTA_OIF, 3);
    const auto r = route_of(m.decode());
    EXPECT_EQ(r.nh_id, 42u);
}

TEST(NetlinkDecode, RtaViaIpv6GatewayOfIpv4Route) {
    NlMsg m(RTM_NEWROUTE);
    m.route(AF_INET, "10.70.0.0", 24);
    struct {
        uint16_t family;
        uint8_t addr[16];
    } __attribute__((packed)) via{AF_INET6, {}};
    const auto ll = addr_bytes("fe80::2");
    std::memcpy(via.addr, ll.data(), 16);
    m.raw(RTA_VIA, &via, sizeof via).u32(RTA_OIF, 3);
    const auto r = route_of(m.decode());
    ASSERT_EQ(r.paths.size(), 1u);
    EXPECT_EQ(r.paths[0].gateway_family, AF_INET6);
    EXPECT_EQ(r.paths[0].gateway, ll);
}

TEST(NetlinkDecode, DeleteAndReject) {
    NlMsg d(RTM_DELROUTE);
    d.route(AF_INET, "10.9.0.0", 24).u32(RTA_OIF, 3);
    EXPECT_TRUE(route_of(d.decode()).del);
    for (auto [type, kind] : {std::pair{RTN_BLACKHOLE, nl::RouteKind::blackhole},
                              std::pair{RTN_UNREACHABLE, nl::RouteKind::unreachable},
                              std::pair{RTN_PROHIBIT, nl::RouteKind::prohibit}}) {
        NlMsg m(RTM_NEWROUTE);
        m.route(AF_INET6, "2001:db8:66::", 48, RTPROT_BOOT, static_cast<uint8_t>(type)).u32(RTA_OIF, 1);
        const auto r = route_of(m.decode());
        EXPECT_EQ(r.kind, kind);
        EXPECT_TRUE(r.paths.empty()) << "an IPv6 reject route names lo; only its action counts";
    }
}

TEST(NetlinkDecode, SkipsWhatIsNotForTheDataplane) {
    NlMsg kernel(RTM_NEWROUTE);
    kernel.route(AF_INET, "10.1.0.0", 24, RTPROT_KERNEL).u32(RTA_OIF, 2);
    EXPECT_NE(skipped(kernel.decode()).find("kernel"), std::string::npos);

    NlMsg local(RTM_NEWROUTE);
    local.route(AF_INET, "10.1.0.1", 32, RTPROT_BOOT, RTN_LOCAL, RT_TABLE_LOCAL).u32(RTA_OIF, 2);
    EXPECT_NE(skipped(local.decode()).find("table 255"), std::string::npos);

    NlMsg local_main(RTM_NEWROUTE);
    local_main.route(AF_INET, "10.1.0.1", 32, RTPROT_BOOT, RTN_LOCAL).u32(RTA_OIF, 2);
    EXPECT_NE(skipped(local_main.decode()).find("type"), std::string::npos);
    for (uint8_t t : {RTN_BROADCAST, RTN_MULTICAST, RTN_ANYCAST, RTN_THROW, RTN_NAT}) {
        NlMsg m(RTM_NEWROUTE);
        m.route(AF_INET, "10.1.0.0", 24, RTPROT_BOOT, t).u32(RTA_OIF, 2);
        EXPECT_TRUE(std::holds_alternative<nl::Skipped>(m.decode())) << int(t);
    }

    // The table is RTA_TABLE when present (ids above 255 have rtm_table RT_TABLE_COMPAT).
    NlMsg other(RTM_NEWROUTE);
    other.route(AF_INET, "10.9.0.0", 24, RTPROT_STATIC, RTN_UNICAST, RT_TABLE_COMPAT).u32(RTA_TABLE, 1000).u32(RTA_OIF, 2);
    EXPECT_NE(skipped(other.decode()).find("table 1000"), std::string::npos);
    NlMsg main_by_attr(RTM_NEWROUTE);
    main_by_attr.route(AF_INET, "10.9.0.0", 24, RTPROT_STATIC, RTN_UNICAST, RT_TABLE_COMPAT).u32(RTA_TABLE, RT_TABLE_MAIN).u32(RTA_OIF, 2);
    EXPECT_TRUE(std::holds_alternative<nl::KernelRoute>(main_by_attr.decode()));

    NlMsg cloned(RTM_NEWROUTE);
    cloned.route(AF_INET6, "2001:db8::5", 128).u32(RTA_OIF, 2);
    reinterpret_cast<rtmsg*>(mnl_nlmsg_get_payload(cloned.hdr()))->rtm_flags |= RTM_F_CLONED;
    EXPECT_NE(skipped(cloned.decode()).find("cloned"), std::string::npos);

    NlMsg redirect(RTM_NEWROUTE);
    redirect.route(AF_INET, "10.9.9.9", 32, RTPROT_REDIRECT).u32(RTA_OIF, 2);
    EXPECT_TRUE(std::holds_alternative<nl::Skipped>(redirect.decode()));

    NlMsg srcspec(RTM_NEWROUTE);
    srcspec.route(AF_INET6, "2001:db8::", 32).addr(RTA_SRC, AF_INET6, "2001:db8:1::").u32(RTA_OIF, 2);
    EXPECT_TRUE(std::holds_alternative<nl::Skipped>(srcspec.decode()));

    NlMsg encap(RTM_NEWROUTE);
    encap.route(AF_INET, "10.9.0.0", 24).u32(RTA_OIF, 2);
    mnl_attr_put_u16(encap.hdr(), RTA_ENCAP_TYPE, 1);
    EXPECT_TRUE(std::holds_alternative<nl::Skipped>(encap.decode()));

    NlMsg mpls(RTM_NEWROUTE);
    mpls.route(AF_MPLS, "", 20);
    EXPECT_TRUE(std::holds_alternative<nl::Skipped>(mpls.decode()));
}

TEST(NetlinkDecode, UnknownAttributesIgnored) {
    NlMsg m(RTM_NEWROUTE);
    m.route(AF_INET, "10.9.0.0", 24).u32(RTA_OIF, 3).u32(RTA_MAX + 7, 1234).u32(900, 5);
    EXPECT_EQ(route_of(m.decode()).paths.at(0).oif, 3u);
    NlMsg t(0x7777);
    EXPECT_TRUE(std::holds_alternative<nl::Skipped>(t.decode()));
}

TEST(NetlinkDecode, RefusesTruncatedAndLyingMessages) {
    // nlmsg_len beyond the bytes actually there.
    NlMsg m(RTM_NEWROUTE);
    m.route(AF_INET, "10.9.0.0", 24).addr(RTA_GATEWAY, AF_INET, "10.1.0.5").u32(RTA_OIF, 3);
    EXPECT_TRUE(refused(nl::decode_message(m.hdr(), m.len() - 4)));
    // Shorter than struct rtmsg.
    NlMsg s(RTM_NEWROUTE);
    mnl_nlmsg_put_extra_header(s.hdr(), 4);
    EXPECT_TRUE(refused(s.decode()));
    // The last attribute claims more than the message holds.
    NlMsg a(RTM_NEWROUTE);
    a.route(AF_INET, "10.9.0.0", 24).u32(RTA_OIF, 3);
    auto* last = reinterpret_cast<nlattr*>(static_cast<char*>(mnl_nlmsg_get_payload_tail(a.hdr())) - 8);
    last->nla_len = 64;
    EXPECT_TRUE(refused(a.decode()));
    // An attribute length below the attribute header.
    last->nla_len = 2;
    EXPECT_TRUE(refused(a.decode()));
    // Wrong payload sizes.
    NlMsg g(RTM_NEWROUTE);
    g.route(AF_INET, "10.9.0.0", 24).addr(RTA_GATEWAY, AF_INET6, "fe80::1");
    EXPECT_TRUE(refused(g.decode()));
    NlMsg o(RTM_NEWROUTE);
    o.route(AF_INET, "10.9.0.0", 24);
    mnl_attr_put_u16(o.hdr(), RTA_OIF, 3);
    EXPECT_TRUE(refused(o.decode()));
    NlMsg dst(RTM_NEWROUTE);
    dst.route(AF_INET, "", 24).addr(RTA_DST, AF_INET6, "2001:db8::");
    EXPECT_TRUE(refused(dst.decode()));
    NlMsg nodst(RTM_NEWROUTE);
    nodst.route(AF_INET, "", 24).u32(RTA_OIF, 3);
    EXPECT_TRUE(refused(nodst.decode())) << "a prefix length without RTA_DST";
    NlMsg biglen(RTM_NEWROUTE);
    biglen.route(AF_INET, "10.0.0.0", 33);
    EXPECT_TRUE(refused(biglen.decode()));
    // rtnexthop lengths that lie.
    NlMsg mp(RTM_NEWROUTE);
    mp.route(AF_INET, "10.50.0.0", 16).multipath(AF_INET, {{"10.2.0.2", 3}, {"10.2.0.3", 3}});
    auto* nest = reinterpret_cast<nlattr*>(static_cast<char*>(mnl_nlmsg_get_payload(mp.hdr())) + MNL_ALIGN(sizeof(rtmsg)) + 8);
    ASSERT_EQ(mnl_attr_get_type(nest), RTA_MULTIPATH);
    auto* first = static_cast<rtnexthop*>(mnl_attr_get_payload(nest));
    const auto good = first->rtnh_len;
    first->rtnh_len = 200;
    EXPECT_TRUE(refused(mp.decode()));
    first->rtnh_len = 4;
    EXPECT_TRUE(refused(mp.decode()));
    first->rtnh_len = good;
    EXPECT_EQ(route_of(mp.decode()).paths.size(), 2u);
}

TEST(NetlinkDecode, Nexthops) {
    NlMsg single(RTM_NEWNEXTHOP);
    single.nexthop(AF_INET6, 17).addr(NHA_GATEWAY, AF_INET6, "fe80::2").u32(NHA_OIF, 3);
    const nl::Decoded d = single.decode();
    const auto* n = std::get_if<nl::KernelNexthop>(&d);
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->id, 17u);
    EXPECT_EQ(n->path.gateway, addr_bytes("fe80::2"));
    EXPECT_EQ(n->path.gateway_family, AF_INET6);
    EXPECT_EQ(n->path.oif, 3u);
    EXPECT_FALSE(n->blackhole);

    NlMsg grp(RTM_NEWNEXTHOP);
    grp.nexthop(AF_UNSPEC, 30).group({{17, 0}, {18, 4}});
    const nl::Decoded gd = grp.decode();
    const auto* g = std::get_if<nl::KernelNexthop>(&gd);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g->group, (std::vector<nl::GroupMember>{{17, 1}, {18, 5}}));

    NlMsg bh(RTM_NEWNEXTHOP);
    bh.nexthop(AF_UNSPEC, 5).flag(NHA_BLACKHOLE);
    const nl::Decoded bd = bh.decode();
    EXPECT_TRUE(std::get<nl::KernelNexthop>(bd).blackhole);

    NlMsg del(RTM_DELNEXTHOP);
    del.nexthop(AF_INET, 17);
    const nl::Decoded dd = del.decode();
    EXPECT_TRUE(std::get<nl::KernelNexthop>(dd).del);

    NlMsg noid(RTM_NEWNEXTHOP);
    noid.nexthop(AF_INET, 0);
    EXPECT_TRUE(refused(noid.decode()));
    NlMsg badgrp(RTM_NEWNEXTHOP);
    badgrp.nexthop(AF_UNSPEC, 31);
    const uint32_t junk[3] = {17, 0, 18};
    badgrp.raw(NHA_GROUP, junk, 12);
    EXPECT_TRUE(refused(badgrp.decode()));
    NlMsg badgw(RTM_NEWNEXTHOP);
    badgw.nexthop(AF_INET, 32).addr(NHA_GATEWAY, AF_INET6, "fe80::2");
    EXPECT_TRUE(refused(badgw.decode()));
    NlMsg fdb(RTM_NEWNEXTHOP);
    fdb.nexthop(AF_INET, 33).flag(NHA_FDB);
    EXPECT_TRUE(std::holds_alternative<nl::Skipped>(fdb.decode()));
}

TEST(NetlinkDecode, Links) {
    NlMsg l(RTM_NEWLINK);
    l.link(7, "lan");
    const nl::Decoded d = l.decode();
    const auto& k = std::get<nl::KernelLink>(d);
    EXPECT_EQ(k.index, 7u);
    EXPECT_EQ(k.name, "lan");
    EXPECT_TRUE(k.flags & IFF_UP);
    NlMsg gone(RTM_DELLINK);
    gone.link(7, "lan", 0);
    const nl::Decoded gd = gone.decode();
    EXPECT_TRUE(std::get<nl::KernelLink>(gd).del);
    NlMsg unterminated(RTM_NEWLINK);
    unterminated.link(8, "");
    unterminated.raw(IFLA_IFNAME, "wan!", 4);
    EXPECT_TRUE(refused(unterminated.decode()));
    NlMsg zero(RTM_NEWLINK);
    zero.link(0, "x");
    EXPECT_TRUE(refused(zero.decode()));
}

TEST(NetlinkDecode, BufferOfMessagesAndTrailingBytes) {
    NlMsg a(RTM_NEWLINK), b(RTM_NEWROUTE), c(NLMSG_DONE);
    a.link(2, "lan");
    b.route(AF_INET, "10.9.0.0", 24).u32(RTA_OIF, 2);
    mnl_nlmsg_put_extra_header(c.hdr(), sizeof(int));
    std::vector<unsigned char> buf;
    for (NlMsg* m : {&a, &b, &c}) {
        auto bytes = m->bytes();
        buf.insert(buf.end(), bytes.begin(), bytes.end());
    }
    std::vector<std::size_t> kinds;
    EXPECT_EQ(nl::decode_buffer(buf.data(), buf.size(), [&](const nlmsghdr&, nl::Decoded&& d) { kinds.push_back(d.index()); }), 0u);
    EXPECT_EQ(kinds, (std::vector<std::size_t>{4, 2, 5}));
    buf.insert(buf.end(), {1, 2, 3, 4, 5, 6, 7});
    kinds.clear();
    EXPECT_EQ(nl::decode_buffer(buf.data(), buf.size(), [&](const nlmsghdr&, nl::Decoded&& d) { kinds.push_back(d.index()); }), 7u);
    EXPECT_EQ(kinds.size(), 3u);
}

// A length of 2^31 or more passes libmnl's mnl_nlmsg_ok (it compares as int); it must end the walk
// (found by fuzz_netlink: the walk stepped by 0 for ever).
TEST(NetlinkDecode, HugeMessageLengthEndsTheWalk) {
    NlMsg a(RTM_NEWLINK), b(RTM_NEWLINK);
    a.link(2, "lan");
    b.link(3, "wan");
    std::vector<unsigned char> buf = a.bytes();
    const auto bb = b.bytes();
    buf.insert(buf.end(), bb.begin(), bb.end());
    for (uint32_t len : {0xffffffffu, 0xfffffffdu, 0x80000000u}) {
        std::memcpy(buf.data() + a.len(), &len, sizeof len);
        unsigned n = 0;
        EXPECT_EQ(nl::decode_buffer(buf.data(), buf.size(), [&](const nlmsghdr&, nl::Decoded&&) { ++n; }), bb.size()) << len;
        EXPECT_EQ(n, 1u);
    }
}

// Random corruption of valid messages: every outcome is a value (decoded, skipped, refused), never
// a crash or a read outside the buffer (the ASan unit run checks the latter).
TEST(NetlinkDecode, CorruptedMessagesNeverCrash) {
    std::vector<std::vector<unsigned char>> seeds;
    {
        NlMsg m(RTM_NEWROUTE);
        m.route(AF_INET, "10.50.0.0", 16).multipath(AF_INET, {{"10.2.0.2", 3}, {"10.2.0.3", 3}}).u32(RTA_PRIORITY, 5);
        seeds.push_back(m.bytes());
        NlMsg n(RTM_NEWNEXTHOP);
        n.nexthop(AF_UNSPEC, 30).group({{17, 0}, {18, 4}});
        seeds.push_back(n.bytes());
        NlMsg l(RTM_NEWLINK);
        l.link(2, "lan");
        seeds.push_back(l.bytes());
        NlMsg v(RTM_NEWROUTE);
        v.route(AF_INET6, "2001:db8::", 32).addr(RTA_GATEWAY, AF_INET6, "fe80::1").u32(RTA_OIF, 2).u32(RTA_NH_ID, 9);
        seeds.push_back(v.bytes());
    }
    std::mt19937 rng(12345);
    unsigned decoded = 0, refusals = 0;
    for (int iter = 0; iter < 20000; ++iter) {
        std::vector<unsigned char> b = seeds[iter % seeds.size()];
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int f = 0; f < flips; ++f) b[rng() % b.size()] = static_cast<unsigned char>(rng());
        std::size_t len = b.size();
        if (rng() % 4 == 0) len = rng() % (b.size() + 1);
        // An exact-size heap copy, so that ASan sees any read past the end.
        std::vector<unsigned char> exact(b.begin(), b.begin() + static_cast<long>(len));
        nl::decode_buffer(exact.data(), exact.size(), [&](const nlmsghdr&, nl::Decoded&& d) {
            if (std::holds_alternative<nl::Refused>(d)) ++refusals;
            else ++decoded;
        });
    }
    EXPECT_GT(refusals, 100u);
    EXPECT_GT(decoded, 100u);
}

}  // namespace
}  // namespace dprouter
