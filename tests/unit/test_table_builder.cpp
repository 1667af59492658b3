// build_tables: routes share deduplicated next hops, each prefix still leads to the right one, and
// the rte_fib answers longest-prefix matches (default route and misses included) with room to grow.
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <rte_byteorder.h>
#include <rte_fib.h>
// DPDK 22.11's rte_vect.h lacks the extern "C" its siblings have.
extern "C" {
#include <rte_vect.h>
}

#include "dprouter/config.hpp"
#include "dprouter/route_lookup.hpp"
#include "dprouter/tables.hpp"

namespace dprouter {
namespace {

const NextHop* lookup(const Tables& t, const char* addr) { return route_lookup(t, *parse_ipv4(addr)); }

struct FreeTables {
    void operator()(Tables* t) const { free_tables(t); }
};
using TablesPtr = std::unique_ptr<Tables, FreeTables>;

// Tables for two interfaces (10.1.0.1/24 on port 0, 10.2.0.1/24 on port 1) and the given routes.
TablesPtr build(const std::string& routes_yaml) {
    const ConfigResult r = parse_config_text(
        "interfaces:\n"
        "  - {name: lan, device: d0, addresses: [\"10.1.0.1/24\"]}\n"
        "  - {name: wan, device: d1, addresses: [\"10.2.0.1/24\"]}\n" +
            routes_yaml,
        "t.yaml");
    if (!r.ok()) throw std::runtime_error(error_lines(r.errors)[0]);
    const uint16_t port_of[] = {0, 1};
    const rte_ether_addr macs[2] = {};
    return TablesPtr(build_tables(r.config, port_of, macs, 1));
}

uint32_t gw(const char* a) { return rte_cpu_to_be_32(*parse_ipv4(a)); }

TEST(TableBuilder, RoutesShareNextHops) {
    std::string list;
    // 3,000 routes over two gateways and one blackhole: three next hops, not 3,000.
    for (int i = 0; i < 1000; ++i) {
        const std::string net = std::to_string(i >> 8) + "." + std::to_string(i & 255);
        list += "11." + net + ".0/24 via 10.1.0.2\n";
        list += "12." + net + ".0/24 via 10.2.0.2\n";
        list += "13." + net + ".128/25 blackhole\n";
    }
    const std::string path = testing::TempDir() + "dpr_tb_routes.txt";
    FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(list.c_str(), f);
    std::fclose(f);
    const ConfigResult r = parse_config_text(
        "interfaces:\n"
        "  - {name: lan, device: d0, addresses: [\"10.1.0.1/24\"]}\n"
        "  - {name: wan, device: d1, addresses: [\"10.2.0.1/24\"]}\n"
        "routes: [{prefix: 0.0.0.0/0, via: 10.2.0.3}]\n"
        "routes_file: " + path + "\n",
        "t.yaml");
    ASSERT_TRUE(r.ok()) << error_lines(r.errors)[0];

    const uint16_t port_of[] = {0, 1};
    const rte_ether_addr macs[2] = {};
    Tables* t = build_tables(r.config, port_of, macs, 77);
    ASSERT_NE(t, nullptr);
    // default, 2 gateways, blackhole, 2 connected subnets, 2 local, 2 broadcast
    EXPECT_EQ(t->n_nexthops, 10u);
    EXPECT_EQ(t->n_routes, 3001u + 2 + 2 + 2);

    const NextHop* a = lookup(*t, "11.3.231.9");
    EXPECT_EQ(a->action, NextHopAction::forward);
    EXPECT_EQ(a->port, 0);
    EXPECT_EQ(a->gateway_be, rte_cpu_to_be_32(*parse_ipv4("10.1.0.2")));
    const NextHop* b = lookup(*t, "12.0.7.1");
    EXPECT_EQ(b->port, 1);
    EXPECT_EQ(b->gateway_be, rte_cpu_to_be_32(*parse_ipv4("10.2.0.2")));
    EXPECT_EQ(lookup(*t, "11.0.0.1"), a);  // same next hop object for every route via 10.1.0.2
    EXPECT_EQ(lookup(*t, "13.2.5.200")->action, NextHopAction::blackhole);
    const NextHop* d = lookup(*t, "13.2.5.100");  // outside the /25: default route
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->gateway_be, rte_cpu_to_be_32(*parse_ipv4("10.2.0.3")));
    EXPECT_EQ(lookup(*t, "10.1.0.1")->action, NextHopAction::local);
    EXPECT_EQ(lookup(*t, "10.2.0.255")->action, NextHopAction::broadcast);
    const NextHop* c = lookup(*t, "10.1.0.77");
    EXPECT_EQ(c->action, NextHopAction::forward);
    EXPECT_EQ(c->gateway_be, 0u);
    // Sized from the table: one tbl8 group per /24 holding a longer prefix (the 1000 /25s), plus headroom.
    // (plus one each for 10.1.0.0/24 and 10.2.0.0/24, which hold our /32 and broadcast addresses).
    EXPECT_EQ(t->n_tbl8, RTE_ALIGN_CEIL(1000u + 2 + kTbl8Headroom, 64u));  // 64: see the builder
    free_tables(t);
}

TEST(TableBuilder, DefaultRouteIsAnOrdinaryFibRoute) {
    TablesPtr t = build("routes: [{prefix: 0.0.0.0/0, via: 10.2.0.3}, {prefix: 0.0.0.0/1, via: 10.1.0.3}]\n");
    uint32_t dst[] = {*parse_ipv4("200.1.2.3"), *parse_ipv4("255.255.255.254"), *parse_ipv4("100.0.0.1")};
    uint64_t idx[3];
    route_lookup_bulk(*t, dst, idx, 3);
    ASSERT_NE(idx[0], kNoRouteIndex);  // the /0 is in the FIB itself, not a miss handled on the side
    EXPECT_EQ(idx[1], idx[0]);
    ASSERT_NE(idx[2], idx[0]);  // 0.0.0.0/1 is longer
    EXPECT_EQ(next_hop_at(*t, idx[0])->gateway_be, gw("10.2.0.3"));
    EXPECT_EQ(next_hop_at(*t, idx[2])->gateway_be, gw("10.1.0.3"));
    // Deleting the /0 turns those destinations into misses: it was an ordinary depth-0 route.
    ASSERT_EQ(rte_fib_delete(t->fib, 0, 0), 0);
    EXPECT_EQ(lookup(*t, "200.1.2.3"), nullptr);
    EXPECT_NE(lookup(*t, "100.0.0.1"), nullptr);
}

TEST(TableBuilder, MissIsTheSentinel) {
    TablesPtr t = build("routes: [{prefix: 192.168.0.0/16, via: 10.2.0.3}]\n");
    uint32_t dst[] = {*parse_ipv4("192.169.0.1"), *parse_ipv4("192.168.255.255"), *parse_ipv4("8.8.8.8")};
    uint64_t idx[3];
    route_lookup_bulk(*t, dst, idx, 3);
    EXPECT_EQ(idx[0], kNoRouteIndex);
    EXPECT_LT(idx[1], t->n_nexthops);
    EXPECT_EQ(idx[2], kNoRouteIndex);
    EXPECT_EQ(next_hop_at(*t, kNoRouteIndex), nullptr);
    EXPECT_EQ(lookup(*t, "8.8.8.8"), nullptr);
    EXPECT_EQ(lookup(*t, "192.168.255.255")->gateway_be, gw("10.2.0.3"));
}

// Longest prefix wins among nested routes from /0 to /32, with each scalar lookup and, when this CPU
// has AVX-512, the vector one.
TEST(TableBuilder, LongestPrefixMatch) {
    TablesPtr t = build(
        "routes:\n"
        "  - {prefix: 0.0.0.0/0, via: 10.2.0.2}\n"
        "  - {prefix: 20.0.0.0/8, via: 10.2.0.3}\n"
        "  - {prefix: 20.1.0.0/16, action: blackhole}\n"
        "  - {prefix: 20.1.2.0/24, action: unreachable}\n"
        "  - {prefix: 20.1.2.128/25, action: prohibit}\n"
        "  - {prefix: 20.1.2.200/32, via: 10.1.0.9}\n"
        "  - {prefix: 20.1.2.201/32, via: 10.2.0.3}\n");
    struct Case {
        const char* dst;
        NextHopAction action;
        uint32_t gateway_be;
    };
    const Case cases[] = {
        {"1.1.1.1", NextHopAction::forward, gw("10.2.0.2")},       {"20.9.9.9", NextHopAction::forward, gw("10.2.0.3")},
        {"20.1.9.9", NextHopAction::blackhole, 0},                 {"20.1.2.1", NextHopAction::unreachable, 0},
        {"20.1.2.127", NextHopAction::unreachable, 0},             {"20.1.2.128", NextHopAction::prohibit, 0},
        {"20.1.2.199", NextHopAction::prohibit, 0},                {"20.1.2.200", NextHopAction::forward, gw("10.1.0.9")},
        {"20.1.2.201", NextHopAction::forward, gw("10.2.0.3")},    {"20.1.2.202", NextHopAction::prohibit, 0},
        {"20.1.3.0", NextHopAction::blackhole, 0},                 {"21.0.0.0", NextHopAction::forward, gw("10.2.0.2")},
        {"10.1.0.1", NextHopAction::local, 0},                     {"10.1.0.255", NextHopAction::broadcast, 0},
    };
    constexpr unsigned n = std::size(cases);
    uint32_t dst[n];
    for (unsigned i = 0; i < n; ++i) dst[i] = *parse_ipv4(cases[i].dst);

    // Every lookup implementation, forced in turn: the tables chose the widest the EAL allows
    // (the router's SIMD policy), which must not leave the scalar ones untested.
    bool vector = false;
    for (const rte_fib_lookup_type type : {RTE_FIB_LOOKUP_DIR24_8_SCALAR_MACRO, RTE_FIB_LOOKUP_DIR24_8_SCALAR_INLINE,
                                           RTE_FIB_LOOKUP_DIR24_8_SCALAR_UNI, RTE_FIB_LOOKUP_DIR24_8_VECTOR_AVX512}) {
        // The AVX-512 lookup only where both the CPU and the EAL's max SIMD bitwidth allow it.
        if (rte_fib_select_lookup(t->fib, type) != 0) {
            ASSERT_EQ(type, RTE_FIB_LOOKUP_DIR24_8_VECTOR_AVX512);
            continue;
        }
        vector = type == RTE_FIB_LOOKUP_DIR24_8_VECTOR_AVX512;
        uint64_t idx[n];
        route_lookup_bulk(*t, dst, idx, n);
        for (unsigned i = 0; i < n; ++i) {
            SCOPED_TRACE(std::string(cases[i].dst) + " (lookup type " + std::to_string(type) + ")");
            const NextHop* nh = next_hop_at(*t, idx[i]);
            ASSERT_NE(nh, nullptr);
            EXPECT_EQ(nh, lookup(*t, cases[i].dst));
            EXPECT_EQ(nh->action, cases[i].action);
            EXPECT_EQ(nh->gateway_be, cases[i].gateway_be);
        }
    }
    if (!vector) std::printf("(AVX-512 FIB lookup not available here: scalar only)\n");
}

// The FIB is built with room for kTbl8Headroom more /24s holding longer prefixes (live additions),
// and refuses more than it was sized for rather than overwriting anything.
TEST(TableBuilder, FibHasTbl8HeadroomForLiveAdditions) {
    TablesPtr t = build("routes: [{prefix: 30.0.0.0/25, action: blackhole}]\n");
    // 30.0.0.0/24, and 10.1.0.0/24 and 10.2.0.0/24 for our own and broadcast addresses
    EXPECT_EQ(t->n_tbl8, RTE_ALIGN_CEIL(3u + kTbl8Headroom, 64u));
    const uint64_t blackhole = route_lookup(*t, *parse_ipv4("30.0.0.1")) - t->nexthops;
    uint32_t added = 0;
    while (added < 2 * kTbl8Headroom && rte_fib_add(t->fib, (40u << 24) + (added << 8) + 128, 25, blackhole) == 0)
        ++added;
    EXPECT_GE(added, kTbl8Headroom);
    EXPECT_LE(3 + added, t->n_tbl8);  // no group past the end (22.11 keeps the last one back)
    EXPECT_EQ(lookup(*t, "40.0.15.200")->action, NextHopAction::blackhole);
    EXPECT_EQ(lookup(*t, "40.0.15.100"), nullptr);
    EXPECT_EQ(lookup(*t, "30.0.0.1")->action, NextHopAction::blackhole);
}

// Next-hop indices share the FIB's 31 usable bits with the miss sentinel.
TEST(TableBuilder, RefusesMoreNextHopsThanTheFibEncodes) {
    EXPECT_NO_THROW(check_next_hop_count(kMaxNextHops));
    try {
        check_next_hop_count(kMaxNextHops + 1);
        FAIL() << "accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "2147483648 distinct next hops; the FIB holds at most 2147483647");
    }
}

// IPv6: link-local first on every interface that can carry IPv6, connected prefixes, our own
// addresses as local /128s, configured routes by longest match, a miss without a default route.
TEST(TableBuilder6, BuildsTheIpv6Fib) {
    Config cfg;
    InterfaceConfig lan;
    lan.name = "lan";
    lan.device = "d0";
    lan.addresses6.push_back({*parse_prefix6("2001:db8:1::1/64"), {}});
    InterfaceConfig wan = lan;
    wan.name = "wan";
    wan.device = "d1";
    wan.addresses6 = {{*parse_prefix6("2001:db8:2::1/64"), {}}, {*parse_prefix6("fe80::1/64"), {}}};
    InterfaceConfig small = lan;
    small.name = "small";
    small.device = "d2";
    small.mtu = 1000;  // below 1280: no IPv6 here
    small.addresses6.clear();
    cfg.interfaces = {lan, wan, small};
    Route6Config r;
    r.prefix = *parse_prefix6("2001:db8:9::/48");
    r.has_via = true;
    r.via = *parse_ipv6("fe80::2");
    r.interface = "wan";
    cfg.routes6.push_back(r);
    Route6Config u;
    u.prefix = *parse_prefix6("2001:db8:9:66::/64");
    u.action = RouteAction::unreachable;
    cfg.routes6.push_back(u);
    const uint16_t port_of[] = {0, 1, 2};
    rte_ether_addr macs[3] = {{{0x02, 0, 0, 0, 1, 1}}, {{0x02, 0, 0, 0, 2, 1}}, {{0x02, 0, 0, 0, 3, 1}}};
    TablesPtr t(build_tables(cfg, port_of, macs, 61));
    auto at = [&](const char* a) { return route6_lookup(*t, parse_ipv6(a)->bytes.data()); };
    auto text = [](const uint8_t* b) {
        Ipv6 a;
        std::copy(b, b + 16, a.bytes.begin());
        return format_ipv6(a);
    };

    EXPECT_TRUE(t->ifaces[0].ipv6);
    EXPECT_EQ(text(t->ifaces[0].link_local()), "fe80::ff:fe00:101");  // derived from the MAC
    EXPECT_EQ(text(t->ifaces[1].link_local()), "fe80::1");            // listed
    EXPECT_EQ(t->ifaces[1].n_addrs6, 2);
    EXPECT_FALSE(t->ifaces[2].ipv6);
    EXPECT_TRUE(t->is_local6(parse_ipv6("2001:db8:1::1")->bytes.data()));
    EXPECT_TRUE(t->is_local6(parse_ipv6("fe80::1")->bytes.data()));
    EXPECT_FALSE(t->is_local6(parse_ipv6("2001:db8:1::2")->bytes.data()));
    EXPECT_TRUE(t->on_link6(0, parse_ipv6("2001:db8:1::77")->bytes.data()));
    EXPECT_TRUE(t->on_link6(0, parse_ipv6("fe80::77")->bytes.data()));
    EXPECT_EQ(text(t->source6_for(1, parse_ipv6("fe80::2")->bytes.data())), "fe80::1");
    EXPECT_EQ(text(t->source6_for(1, parse_ipv6("2001:db8:77::1")->bytes.data())), "2001:db8:2::1");

    ASSERT_NE(at("2001:db8:1::1"), nullptr);
    EXPECT_EQ(at("2001:db8:1::1")->action, NextHopAction::local);
    ASSERT_NE(at("2001:db8:1::9"), nullptr);
    EXPECT_EQ(at("2001:db8:1::9")->action, NextHopAction::forward);
    EXPECT_FALSE(at("2001:db8:1::9")->has_gateway());
    EXPECT_EQ(at("2001:db8:1::9")->port, 0);
    const NextHop6* via = at("2001:db8:9:1::5");
    ASSERT_NE(via, nullptr);
    EXPECT_EQ(via->port, 1);
    EXPECT_EQ(text(via->gateway), "fe80::2");
    ASSERT_NE(at("2001:db8:9:66::5"), nullptr);
    EXPECT_EQ(at("2001:db8:9:66::5")->action, NextHopAction::unreachable);
    EXPECT_EQ(at("2001:db8:77::1"), nullptr);  // no default route
}

}  // namespace
}  // namespace dprouter
