#include "route_order.hpp"

#include <algorithm>
#include <cstring>

namespace dprouter {

std::vector<uint32_t> trie_order(const std::vector<Route>& routes) {
    // IPv4: one 64-bit key per route (address above the length), sorted with its index; a million
    // pairs sort in tens of milliseconds, a comparator reading the Routes would miss the cache.
    std::vector<std::pair<uint64_t, uint32_t>> keyed4;
    std::vector<uint32_t> order6;
    keyed4.reserve(routes.size());
    for (uint32_t i = 0; i < routes.size(); ++i) {
        const Route& r = routes[i];
        if (r.ipv6) order6.push_back(i);
        else keyed4.emplace_back(uint64_t{r.prefix4.network()} << 8 | r.prefix4.len, i);
    }
    std::sort(keyed4.begin(), keyed4.end());  // equal keys: by index, so stable
    std::stable_sort(order6.begin(), order6.end(), [&](uint32_t a, uint32_t b) {
        const Ipv6Prefix& pa = routes[a].prefix6;
        const Ipv6Prefix& pb = routes[b].prefix6;
        // Network byte order: memcmp is numeric order.
        if (const int c = std::memcmp(pa.network().bytes.data(), pb.network().bytes.data(), 16); c != 0) return c < 0;
        return pa.len < pb.len;
    });
    std::vector<uint32_t> order;
    order.reserve(routes.size());
    for (const auto& [key, i] : keyed4) order.push_back(i);
    order.insert(order.end(), order6.begin(), order6.end());
    return order;
}

}  // namespace dprouter
