// Small helpers shared by the IPv4 (config_validate.cpp) and IPv6 (config_validate6.cpp) checks.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "dprouter/config.hpp"
#include "error_sink.hpp"

namespace dprouter::validate {

// A value's position, or its item's when the value has none (configs built in code).
inline SourcePos or_item(SourcePos value, SourcePos item) { return value.line > 0 ? value : item; }

inline std::string first_at(SourcePos pos) { return " (first defined at line " + std::to_string(pos.line) + ")"; }

inline const char* action_name(RouteAction a) {
    switch (a) {
    case RouteAction::forward: return "forward";
    case RouteAction::blackhole: return "blackhole";
    case RouteAction::unreachable: return "unreachable";
    case RouteAction::prohibit: return "prohibit";
    }
    return "unknown";
}

// A neighbour's or interface's MAC must be a unicast, non-zero address.
inline std::optional<std::string> mac_problem(const std::string& what, const MacAddr& mac) {
    if (mac.is_multicast()) return what + " MAC " + format_mac(mac) + " is a multicast address";
    if (mac.is_zero()) return what + " MAC " + format_mac(mac) + " is all zeros";
    return std::nullopt;
}

// Interface name -> index of its first definition (later duplicates are errors of their own).
inline std::unordered_map<std::string, int> interface_indices(const Config& c) {
    std::unordered_map<std::string, int> out;
    for (std::size_t i = 0; i < c.interfaces.size(); ++i) out.try_emplace(c.interfaces[i].name, static_cast<int>(i));
    return out;
}

// The IPv6 checks (config_validate6.cpp): interface addresses, routes6, neighbors6.
void check_ipv6(const Config& c, ErrorSink& errors);

}  // namespace dprouter::validate
