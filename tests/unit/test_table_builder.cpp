// build_tables: routes share deduplicated next hops, and each prefix still leads to the right one.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <rte_byteorder.h>
#include <rte_lpm.h>

#include "dprouter/config.hpp"
#include "dprouter/tables.hpp"

namespace dprouter {
namespace {

const NextHop* lookup(const Tables& t, const char* addr) {
    uint32_t idx = 0;
    if (rte_lpm_lookup(t.lpm, *parse_ipv4(addr), &idx) != 0) return t.default_nh;
    return &t.nexthops[idx];
}

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
    EXPECT_EQ(d, t->default_nh);
    EXPECT_EQ(d->gateway_be, rte_cpu_to_be_32(*parse_ipv4("10.2.0.3")));
    EXPECT_EQ(lookup(*t, "10.1.0.1")->action, NextHopAction::local);
    EXPECT_EQ(lookup(*t, "10.2.0.255")->action, NextHopAction::broadcast);
    const NextHop* c = lookup(*t, "10.1.0.77");
    EXPECT_EQ(c->action, NextHopAction::forward);
    EXPECT_EQ(c->gateway_be, 0u);
    free_tables(t);
}

}  // namespace
}  // namespace dprouter
