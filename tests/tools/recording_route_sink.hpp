// A RouteSink that only remembers: the routes it holds (by key) and every call, in order. The unit
// tests of the kernel route importer and tests/tools/kernel_routes_probe.cpp use it.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "dprouter/route_store.hpp"

namespace dprouter {

// "kernel 10.9.0.0/24 forward via 10.1.0.5 dev 0 via ... proto 4 metric 20": one line per route,
// the order the tests compare in.
inline std::string route_line(const Route& r) {
    std::string s = route_origin_name(r.origin);
    s += " ";
    s += r.ipv6 ? format_prefix6(Ipv6Prefix{r.prefix6.network(), r.prefix6.len})
                : format_prefix(Ipv4Prefix{r.prefix4.network(), r.prefix4.len});
    switch (r.action) {
    case RouteAction::forward: s += " forward"; break;
    case RouteAction::blackhole: s += " blackhole"; break;
    case RouteAction::unreachable: s += " unreachable"; break;
    case RouteAction::prohibit: s += " prohibit"; break;
    }
    for (const RouteVia& v : r.via) {
        if (r.ipv6 && !v.gateway6.is_unspecified()) s += " via " + format_ipv6(v.gateway6);
        if (!r.ipv6 && v.gateway4 != 0) s += " via " + format_ipv4(v.gateway4);
        s += " dev " + std::to_string(v.interface);
    }
    s += " proto " + std::to_string(r.protocol) + " metric " + std::to_string(r.metric);
    return s;
}

class RecordingRouteSink : public RouteSink {
public:
    std::map<std::string, Route> held;  // key: family/prefix/origin text
    std::vector<std::string> calls;     // "upsert LINE", "remove KEY", "replace N", "commit"
    std::string refuse_containing;      // upsert refuses a route whose line contains this (when set)
    unsigned commits = 0;

    static std::string key_of(const Route& r) {
        return std::string(route_origin_name(r.origin)) + " " +
               (r.ipv6 ? format_prefix6(Ipv6Prefix{r.prefix6.network(), r.prefix6.len})
                       : format_prefix(Ipv4Prefix{r.prefix4.network(), r.prefix4.len}));
    }
    std::string upsert(const Route& r) override {
        const std::string line = route_line(r);
        if (!refuse_containing.empty() && line.find(refuse_containing) != std::string::npos) {
            calls.push_back("refused " + line);
            return "refused by the test";
        }
        calls.push_back("upsert " + line);
        held[key_of(r)] = r;
        return {};
    }
    RouteRemoval remove(const Route& key) override {
        calls.push_back("remove " + key_of(key));
        return held.erase(key_of(key)) != 0;
    }
    std::string replace_origin(RouteOrigin origin, const std::vector<Route>& routes) override {
        calls.push_back("replace " + std::to_string(routes.size()));
        std::erase_if(held, [&](const auto& kv) { return kv.second.origin == origin; });
        for (const Route& r : routes) held[key_of(r)] = r;
        return {};
    }
    void commit() override {
        ++commits;
        calls.push_back("commit");
    }
    std::vector<Route> routes() const override {
        std::vector<Route> v;
        for (const auto& [k, r] : held) v.push_back(r);
        return v;
    }
    // Every held route as route_line, sorted.
    std::vector<std::string> lines() const {
        std::vector<std::string> v;
        for (const auto& [k, r] : held) v.push_back(route_line(r));
        std::sort(v.begin(), v.end());
        return v;
    }
};

}  // namespace dprouter
