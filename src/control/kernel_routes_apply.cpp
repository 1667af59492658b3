#include "control/kernel_routes_apply.hpp"

#include <array>
#include <map>
#include <tuple>

#include "control/kernel_route_table.hpp"
#include "dprouter/log.hpp"

namespace dprouter {
namespace {

using Key = std::tuple<bool, std::array<uint8_t, 16>, uint8_t>;

Key key_of(const Route& r) {
    std::array<uint8_t, 16> a{};
    if (r.ipv6) {
        a = r.prefix6.network().bytes;
        return {true, a, r.prefix6.len};
    }
    const Ipv4 net = r.prefix4.network();
    for (int i = 0; i < 4; ++i) a[i] = static_cast<uint8_t>(net >> (24 - 8 * i));
    return {false, a, r.prefix4.len};
}

}  // namespace

uint64_t apply_one_by_one(RouteSink& sink, const std::vector<Route>& wanted) {
    std::map<Key, Route> held;
    for (Route& r : sink.routes())
        if (r.origin == RouteOrigin::kernel) held.emplace(key_of(r), std::move(r));
    uint64_t refused = 0;
    for (const Route& r : wanted) {
        const auto it = held.find(key_of(r));
        if (it != held.end()) {
            const bool same = same_route(it->second, r);
            held.erase(it);
            if (same) continue;
        }
        if (const std::string why = sink.upsert(r); !why.empty()) {
            sink.remove(r);
            ++refused;
            DPR_LOG(DEBUG, "kernel route not imported: %s\n", why.c_str());
        }
    }
    for (const auto& [k, r] : held) sink.remove(r);  // the kernel no longer has them
    return refused;
}

}  // namespace dprouter
