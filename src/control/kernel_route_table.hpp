// The importer's copy of the kernel's main routing table, nexthop objects and links, and the
// translation of it into dataplane routes (RouteOrigin::kernel). No socket: the importer
// (kernel_routes.hpp) feeds it decoded messages, the unit tests feed it crafted ones.
//
// What is imported: for every prefix, the lowest-metric kernel route of which at least one path
// leaves through a mirror interface (a kernel interface named like a Config interface); its paths
// through other interfaces, dead paths (RTNH_F_DEAD) and IPv4-over-IPv6 gateways (RFC 5549) are
// dropped, so a multipath route keeps the paths the dataplane can use. Blackhole, unreachable and
// prohibit routes are imported with their action. Routes through nexthop objects (RTA_NH_ID) are
// resolved through the objects held here, and re-resolved whenever an object changes.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "control/netlink_decode.hpp"
#include "dprouter/route_store.hpp"

namespace dprouter {

class KernelRouteTable {
public:
    // What applying a message asks of the caller beyond the sink calls already made.
    enum class Effect : uint8_t {
        none,
        recompute_all,  // the ifindex <-> mirror map changed: hand the whole set over again
        resync,         // the kernel may have changed state without telling (a link went down or
                        // away: IPv4 routes and nexthop objects on it are flushed silently)
    };

    explicit KernelRouteTable(std::vector<std::string> mirror_names);

    // Applies one decoded message. With a sink, every change of an imported route is passed on
    // (upsert/remove); without one (building from a dump) the state changes silently.
    Effect apply(const nl::Decoded& d, RouteSink* sink);

    // Every route imported now (for RouteSink::replace_origin).
    std::vector<Route> imported() const;

    std::size_t routes_held() const { return routes_.size(); }
    std::size_t routes_behind() const;  // IPv4 entries waiting behind a held route of their key
    std::size_t nexthops_held() const { return nexthops_.size(); }
    uint64_t sink_refusals() const { return sink_refusals_; }
    const std::string& last_refusal() const { return last_refusal_; }

private:
    struct PrefixKey {
        uint8_t family = 0;
        std::array<uint8_t, 16> dst{};
        uint8_t len = 0;
        auto operator<=>(const PrefixKey&) const = default;
    };
    struct RouteKey {
        PrefixKey prefix;
        uint32_t priority = 0;
        auto operator<=>(const RouteKey&) const = default;
    };
    struct Held {
        uint8_t protocol = 0;
        nl::RouteKind kind = nl::RouteKind::unicast;
        uint32_t nh_id = 0;
        std::vector<nl::Path> paths;
    };
    struct Link {
        std::string name;
        uint32_t flags = 0;
    };

    Effect apply_route(const nl::KernelRoute& r, RouteSink* sink);
    Effect apply_nexthop(const nl::KernelNexthop& n, RouteSink* sink);
    Effect apply_link(const nl::KernelLink& l);

    // Removes a held route; an entry behind it with the same key takes its place.
    void erase_route(std::map<RouteKey, Held>::iterator it);
    // The kernel deleted the entries that use nexthop object `id`; drops those behind held routes.
    void drop_behind_using(uint32_t id);
    static bool same_entry(const Held& a, const Held& b);
    void index_route(const RouteKey& k, uint32_t nh_id, bool add);
    std::optional<Route> best(const PrefixKey& p) const;
    std::optional<Route> translate(const RouteKey& k, const Held& h) const;
    bool add_paths(const std::vector<nl::Path>& paths, uint8_t family, Route& out) const;
    int mirror_of(uint32_t ifindex) const;
    void emit(const std::optional<Route>& before, const std::optional<Route>& after, RouteSink& sink);

    std::vector<std::string> mirror_names_;
    std::map<RouteKey, Held> routes_;
    std::unordered_map<uint32_t, nl::KernelNexthop> nexthops_;
    std::unordered_map<uint32_t, std::set<RouteKey>> users_;  // nexthop id -> routes naming it
    std::unordered_map<uint32_t, Link> links_;
    // IPv4 entries with the key of a held route, behind it in the kernel's order (`ip route append`
    // puts one last, `ip route prepend` first, a dump lists them in order): the kernel uses the
    // first, and the next one when the first goes.
    std::map<RouteKey, std::deque<Held>> behind_;
    uint64_t sink_refusals_ = 0;
    std::string last_refusal_;
};

// Field-by-field equality of two routes (Route itself has none).
bool same_route(const Route& a, const Route& b);

}  // namespace dprouter
