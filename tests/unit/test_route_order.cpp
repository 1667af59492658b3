// trie_order (src/control/route_order.hpp): the order of a first load into the FIB. Every route
// exactly once, IPv4 before IPv6, and within a family by address, a covering prefix before
// everything it covers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

#include "control/route_order.hpp"
#include "dprouter/config.hpp"

namespace dprouter {
namespace {

Route r4(const char* prefix) {
    Route r;
    r.prefix4 = *parse_prefix(prefix);
    return r;
}
Route r6(const char* prefix) {
    Route r;
    r.ipv6 = true;
    r.prefix6 = *parse_prefix6(prefix);
    return r;
}

TEST(RouteOrder, AddressThenLengthIpv4First) {
    const std::vector<Route> routes = {r6("2001:db8:1::/48"), r4("10.1.2.0/24"), r4("10.0.0.0/8"),  r6("2001:db8::/32"),
                                       r4("9.255.0.0/16"),    r4("10.1.0.0/16"), r4("10.1.2.128/25"), r6("::/0"),
                                       r4("0.0.0.0/0"),       r4("10.0.0.0/9")};
    const std::vector<uint32_t> want = {8, 4, 2, 9, 5, 1, 6, 7, 3, 0};
    EXPECT_EQ(trie_order(routes), want);
}

// 20,000 random prefixes, some nested: a permutation in which no prefix comes after one it covers
// and addresses never go down.
TEST(RouteOrder, RandomTableIsAPermutationInPreOrder) {
    std::mt19937 rng(5);
    std::vector<Route> routes;
    for (int i = 0; i < 20000; ++i) {
        Route r;
        r.prefix4.len = static_cast<uint8_t>(rng() % 33);
        r.prefix4.addr = static_cast<Ipv4>(rng()) & Ipv4Prefix::mask_of(r.prefix4.len) & 0x0fffffffu;
        routes.push_back(r);
    }
    const std::vector<uint32_t> order = trie_order(routes);
    ASSERT_EQ(order.size(), routes.size());
    std::vector<uint32_t> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    for (uint32_t i = 0; i < sorted.size(); ++i) ASSERT_EQ(sorted[i], i);
    for (size_t i = 1; i < order.size(); ++i) {
        const Ipv4Prefix& a = routes[order[i - 1]].prefix4;
        const Ipv4Prefix& b = routes[order[i]].prefix4;
        ASSERT_LE(a.network(), b.network()) << i;
        // b must not cover a: a covering prefix starts at or before what it covers, and is shorter.
        ASSERT_FALSE(b.len < a.len && b.contains(a.network())) << format_prefix(a) << " before " << format_prefix(b);
    }
}

}  // namespace
}  // namespace dprouter
