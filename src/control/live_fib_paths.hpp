// Path resolution for the live FIB: which port and gateway a route's path means, given the
// interfaces of the running configuration; and the connected routes those interfaces own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dprouter/config.hpp"
#include "dprouter/live_fib.hpp"
#include "dprouter/route_store.hpp"
#include "dprouter/tables.hpp"

namespace dprouter::live {

// A next hop as the pools deduplicate it: action, port, gateway (IPv4 in the first four bytes,
// host order; all zero: none).
struct PathSpec {
    NextHopAction action = NextHopAction::forward;
    uint16_t port = 0;
    uint8_t gateway[16]{};
};

// A connected entry: a subnet, one of our addresses or a directed broadcast.
struct ConnectedEntry {
    bool ipv6;
    Ipv4Prefix prefix4;
    Ipv6Prefix prefix6;
    PathSpec spec;
};

class Interfaces {
public:
    Interfaces(const Config& cfg, const LivePorts& ports);
    // The paths of a forwarding route, or the reason there is none. Pure: acquires nothing.
    std::string resolve(const Route& r, std::vector<PathSpec>& out) const;
    // Connected routes, in installation order (a later entry for one prefix wins, as in build_tables).
    std::vector<ConnectedEntry> connected() const;

private:
    struct Ifc {
        uint16_t port;
        bool ipv6;
        std::vector<InterfaceAddress> v4;
        std::vector<Ipv6Prefix> v6;  // global ones
    };
    int reaching4(Ipv4 a) const;
    int reaching6(const Ipv6& a) const;
    std::vector<Ifc> ifcs_;
};

}  // namespace dprouter::live
