// The two address families as the parsers see them: which text parser, which message, which route
// struct. `addresses`, `routes`, `neighbors` and the route-list file hold both families, told apart
// by a ':' in the text (RFC 4291 2.2: every IPv6 form has one, no IPv4 form does).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "dprouter/config.hpp"
#include "route_list.hpp"

namespace dprouter {

inline bool is_ipv6_text(std::string_view t) { return t.find(':') != std::string_view::npos; }

struct Ipv4Family {
    using Route = RouteConfig;
    using Address = Ipv4;
    static constexpr const char* name = "IPv4";
    static constexpr const char* other = "IPv6";
    static std::optional<Ipv4Prefix> prefix(std::string_view t) { return parse_prefix(t); }
    static std::string bad_prefix(std::string_view t) { return invalid_prefix_message(t, "prefix"); }
    static std::optional<Ipv4> address(std::string_view t) { return parse_ipv4(t); }
    static bool is_other_address(std::string_view t) { return parse_ipv6(t).has_value(); }
};

struct Ipv6Family {
    using Route = Route6Config;
    using Address = Ipv6;
    static constexpr const char* name = "IPv6";
    static constexpr const char* other = "IPv4";
    static std::optional<Ipv6Prefix> prefix(std::string_view t) { return parse_prefix6(t); }
    static std::string bad_prefix(std::string_view t) { return invalid_prefix6_message(t, "prefix"); }
    static std::optional<Ipv6> address(std::string_view t) { return parse_ipv6(t); }
    static bool is_other_address(std::string_view t) { return parse_ipv4(t).has_value(); }
};

// The message for `text`, which F::address refused, given as `what` (a route's via: the route's
// family is its prefix's, so an address of the other family is named as such rather than called
// invalid). `shown` is the text as the message quotes it.
template <class F>
std::string bad_address_message(std::string_view what, std::string_view text, const std::string& shown) {
    if (F::is_other_address(text))
        return std::string(what) + ' ' + std::string(text) + " is an " + F::other + " address but the route is " + F::name;
    return "invalid " + std::string(F::name) + " address " + shown;
}

}  // namespace dprouter
