// Routes as the control plane hands them to the dataplane, both families, with where each came from.
//
// Three producers feed one consumer. The YAML file (and its routes_file) gives the `config` routes
// and replaces them as a whole on SIGHUP; the kernel route importer (netlink) gives `kernel` routes
// one change at a time; dprouterctl gives `cli` routes. The live FIB (the consumer, owned by the
// Router, control thread only) applies every change in place while the workers forward; connected
// subnets and the router's own addresses are its own and always win.
//
// When several origins hold the same prefix, the most trusted one is installed (like a router's
// administrative distance: an operator's static route beats one learned from a protocol):
// cli, then config, then kernel. Removing it uncovers the next.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dprouter/config.hpp"
#include "dprouter/net.hpp"

namespace dprouter {

enum class RouteOrigin : uint8_t { config, kernel, cli };

inline const char* route_origin_name(RouteOrigin o) {
    switch (o) {
    case RouteOrigin::config: return "file";
    case RouteOrigin::kernel: return "kernel";
    case RouteOrigin::cli: return "cli";
    }
    return "?";
}

// Paths of one ECMP route at most; a route with more is refused with the reason.
inline constexpr unsigned kMaxEcmpPaths = 16;

// One path of a route: a gateway, an interface, or both. A gateway alone is reached through the
// connected subnet that holds it; an interface alone means the destination is on that link (a
// kernel route "dev lan" without a gateway); IPv6 link-local gateways always name the interface.
struct RouteVia {
    Ipv4 gateway4 = 0;  // IPv4 routes; 0: none
    Ipv6 gateway6;      // IPv6 routes; all zero: none
    int interface = -1; // index into Config::interfaces; -1: found through the connected routes
    friend bool operator==(const RouteVia&, const RouteVia&) = default;
};

struct Route {
    bool ipv6 = false;
    Ipv4Prefix prefix4;  // ipv6 == false; host bits clear
    Ipv6Prefix prefix6;  // ipv6 == true; host bits clear
    RouteAction action = RouteAction::forward;
    std::vector<RouteVia> via;  // forward: 1..kMaxEcmpPaths paths (more than one: ECMP); else empty
    RouteOrigin origin = RouteOrigin::config;
    // Kernel routes: rtm_protocol as the kernel reports it (RTPROT_STATIC 4, RTPROT_ZEBRA 11,
    // RTPROT_BGP 186, RTPROT_OSPF 188, ...), so `show routes` can say "bgp"; 0 otherwise.
    uint8_t protocol = 0;
    uint32_t metric = 0;  // kernel routes: RTA_PRIORITY, for display

    // Same family, prefix and origin: the key a route is replaced and removed by.
    bool same_key(const Route& o) const {
        if (ipv6 != o.ipv6 || origin != o.origin) return false;
        return ipv6 ? prefix6.network() == o.prefix6.network() && prefix6.len == o.prefix6.len
                    : prefix4.network() == o.prefix4.network() && prefix4.len == o.prefix4.len;
    }
};

// "bgp", "ospf", "static", "zebra", ... for an rtm_protocol value; the number itself when unknown.
std::string kernel_protocol_name(uint8_t protocol);

// What RouteSink::remove did: true when a route was removed; false with `error` empty when there
// was none with that key, or with the reason when the sink could not change at all (the live FIB's
// second copy could not be created: out of memory), so that a caller does not report "no route".
struct RouteRemoval {
    bool removed = false;
    std::string error;
    RouteRemoval(bool r = false) : removed(r) {}  // NOLINT: a plain bool is the common answer
    static RouteRemoval failed(std::string why) {
        RouteRemoval r;
        r.error = std::move(why);
        return r;
    }
    explicit operator bool() const { return removed; }
    friend bool operator==(const RouteRemoval& a, bool b) { return a.removed == b; }
};

// Where route changes go (implemented by the live FIB; tests use a recording fake). Control thread
// only. A change that cannot be applied (a gateway no interface reaches, a full FIB) changes
// nothing and says why.
class RouteSink {
public:
    virtual ~RouteSink() = default;
    // Adds the route, or replaces the one with the same key. Returns "" on success, else the reason.
    virtual std::string upsert(const Route& r) = 0;
    // Removes the route with r's key (family, prefix, origin); false when there was none, or with
    // the reason when nothing could be changed (RouteRemoval).
    virtual RouteRemoval remove(const Route& key) = 0;
    // Replaces every route of `origin` with `routes` (SIGHUP for config; a full kernel resync after
    // a lost netlink notification). Returns "" on success; on failure nothing changed.
    virtual std::string replace_origin(RouteOrigin origin, const std::vector<Route>& routes) = 0;
    // Makes the changes since the last commit visible to the workers. Producers call it after a
    // batch (a netlink read, a CLI request); until then changes may be held back.
    virtual void commit() = 0;
    // Every route held, every origin, installed or shadowed by a more trusted origin.
    virtual std::vector<Route> routes() const = 0;
};

}  // namespace dprouter
