// `via: [A, B, ...]` (ECMP) in routes of both families: read back, and refused with the position of
// the offending gateway (duplicates, too many, unreachable; link-local members need `interface`).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dprouter/config.hpp"
#include "dprouter/live_fib.hpp"

namespace dprouter {
namespace {

using Lines = std::vector<std::string>;

const std::string kInterfaces =
    "interfaces:\n"
    "  - {name: lan, device: d0, addresses: [\"10.1.0.1/24\", \"2001:db8:1::1/64\"]}\n"
    "  - {name: wan, device: d1, addresses: [\"10.2.0.1/24\", \"2001:db8:2::1/64\"]}\n"
    "routes:\n";

Lines check(const std::string& routes) {
    Lines out;
    for (const auto& e : parse_config_text(kInterfaces + routes, "t.yaml").errors) out.push_back(e.to_string());
    return out;
}

TEST(ConfigEcmp, ViaListReadsBackBothFamilies) {
    const ConfigResult r = parse_config_text(kInterfaces +
                                                 "  - {prefix: 20.0.0.0/8, via: [10.1.0.2, 10.2.0.3]}\n"
                                                 "  - {prefix: 21.0.0.0/8, via: 10.1.0.2}\n"
                                                 "  - {prefix: \"2001:db8:99::/48\", via: [\"fe80::2\", \"fe80::3\"], interface: wan}\n"
                                                 "  - prefix: \"2001:db8:98::/48\"\n"
                                                 "    via:\n"
                                                 "      - \"2001:db8:1::2\"\n"
                                                 "      - \"2001:db8:2::2\"\n",
                                             "t.yaml");
    ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
    ASSERT_EQ(r.config.routes.size(), 2u);
    EXPECT_EQ(r.config.routes[0].via, *parse_ipv4("10.1.0.2"));
    EXPECT_EQ(r.config.routes[0].more_via, std::vector<Ipv4>{*parse_ipv4("10.2.0.3")});
    EXPECT_TRUE(r.config.routes[1].more_via.empty());
    ASSERT_EQ(r.config.routes6.size(), 2u);
    EXPECT_EQ(r.config.routes6[0].via, *parse_ipv6("fe80::2"));
    EXPECT_EQ(r.config.routes6[0].more_via, std::vector<Ipv6>{*parse_ipv6("fe80::3")});
    EXPECT_EQ(r.config.routes6[1].more_via, std::vector<Ipv6>{*parse_ipv6("2001:db8:2::2")});
    // What the live FIB is given: one path per gateway, the IPv6 ones on the named interface.
    const std::vector<Route> routes = config_routes(r.config);
    ASSERT_EQ(routes.size(), 4u);
    EXPECT_EQ(routes[0].via.size(), 2u);
    EXPECT_EQ(routes[1].via.size(), 1u);
    ASSERT_EQ(routes[2].via.size(), 2u);
    EXPECT_EQ(routes[2].via[1].interface, 1);
    EXPECT_EQ(routes[3].via[1].interface, -1);
}

TEST(ConfigEcmp, BadViaListsAreRefusedWithTheirPosition) {
    EXPECT_EQ(check("  - {prefix: 20.0.0.0/8, via: [10.1.0.2, 10.2.0.3, 10.1.0.2]}\n"),
              Lines{"t.yaml:5:52: error: via 10.1.0.2 is listed twice"});
    EXPECT_EQ(check("  - {prefix: 20.0.0.0/8, via: [10.1.0.2, 10.9.0.3]}\n"),
              Lines{"t.yaml:5:42: error: via 10.9.0.3 is not reachable through any connected network"});
    EXPECT_EQ(check("  - {prefix: 20.0.0.0/8, via: []}\n"), Lines{"t.yaml:5:31: error: via must list at least one gateway"});
    std::string many = "  - {prefix: 20.0.0.0/8, via: [";
    for (int i = 2; i < 19; ++i) many += (i > 2 ? ", 10.1.0." : "10.1.0.") + std::to_string(i);
    EXPECT_EQ(check(many + "]}\n"), Lines{"t.yaml:5:31: error: via lists 17 gateways; a route has at most 16"});
    // A link-local member without `interface` is refused like a single link-local via.
    const Lines ll = check("  - {prefix: \"2001:db8:99::/48\", via: [\"2001:db8:1::2\", \"fe80::3\"]}\n");
    ASSERT_EQ(ll.size(), 1u);
    EXPECT_EQ(ll[0].rfind("t.yaml:5:57: error: ", 0), 0u) << ll[0];
    EXPECT_NE(ll[0].find("fe80::3"), std::string::npos) << ll[0];
}

}  // namespace
}  // namespace dprouter
