// Turns a validated Config into the Tables the workers read.
#include <atomic>
#include <map>
#include <new>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "dprouter/tables.hpp"

namespace dprouter {
namespace {

struct PlannedRoute {
    Ipv4Prefix prefix;
    NextHopAction action;
    uint16_t port;
    Ipv4 gateway;
};

NextHopAction to_action(RouteAction a) {
    switch (a) {
    case RouteAction::forward: return NextHopAction::forward;
    case RouteAction::blackhole: return NextHopAction::blackhole;
    case RouteAction::unreachable: return NextHopAction::unreachable;
    case RouteAction::prohibit: return NextHopAction::prohibit;
    }
    return NextHopAction::blackhole;
}

// The interface (config index) whose connected subnet contains `addr`; the validator guarantees one.
int interface_reaching(const Config& cfg, Ipv4 addr) {
    int best = -1;
    int best_len = -1;
    for (size_t i = 0; i < cfg.interfaces.size(); ++i)
        for (const auto& a : cfg.interfaces[i].addresses)
            if (a.prefix.contains(addr) && a.prefix.len > best_len) {
                best = static_cast<int>(i);
                best_len = a.prefix.len;
            }
    return best;
}

// Order matters: rte_lpm_add replaces the next hop of an existing prefix, so later entries win.
// Configured routes go first, then connected subnets, then our own and broadcast addresses, which
// must never be overridden.
std::vector<PlannedRoute> plan_routes(const Config& cfg, const uint16_t* port_of) {
    std::vector<PlannedRoute> plan;
    for (const auto& r : cfg.routes) {
        PlannedRoute p{r.prefix, to_action(r.action), 0, 0};
        if (r.action == RouteAction::forward) {
            const int i = interface_reaching(cfg, r.via);
            if (i < 0) throw std::runtime_error("route via " + format_ipv4(r.via) + " reaches no interface");
            p.port = port_of[i];
            p.gateway = r.via;
        }
        plan.push_back(p);
    }
    for (size_t i = 0; i < cfg.interfaces.size(); ++i)
        for (const auto& a : cfg.interfaces[i].addresses)
            if (a.prefix.len < 32)
                plan.push_back({{a.prefix.network(), a.prefix.len}, NextHopAction::forward, port_of[i], 0});
    for (size_t i = 0; i < cfg.interfaces.size(); ++i)
        for (const auto& a : cfg.interfaces[i].addresses) {
            plan.push_back({{a.prefix.addr, 32}, NextHopAction::local, port_of[i], 0});
            if (a.prefix.len <= 30)
                plan.push_back({{a.prefix.broadcast(), 32}, NextHopAction::broadcast, port_of[i], 0});
        }
    return plan;
}

BucketLimits bucket_limits(const TokenBucketConfig& b) {
    return {static_cast<uint64_t>(b.rate * 1000.0 + 0.5), static_cast<uint64_t>(b.burst * 1000.0 + 0.5)};
}

IcmpLimits icmp_limits(const IcmpRateLimitConfig& rl) {
    return {bucket_limits(rl.global), bucket_limits(rl.per_destination), bucket_limits(rl.frag_needed)};
}

}  // namespace

Tables* build_tables(const Config& cfg, const uint16_t* port_of, const rte_ether_addr* port_mac, uint64_t generation,
                     const uint8_t* port_multi_seg) {
    const std::vector<PlannedRoute> plan = plan_routes(cfg, port_of);

    void* mem = rte_zmalloc("dpr_tables", sizeof(Tables), RTE_CACHE_LINE_SIZE);
    if (mem == nullptr) throw std::runtime_error("out of memory for forwarding tables");
    auto* t = new (mem) Tables();
    t->generation = generation;
    t->icmp_limits = icmp_limits(cfg.icmp.rate_limit);

    t->nexthops = static_cast<NextHop*>(rte_zmalloc("dpr_nexthops", sizeof(NextHop) * plan.size() + 1, RTE_CACHE_LINE_SIZE));
    if (t->nexthops == nullptr) {
        free_tables(t);
        throw std::runtime_error("out of memory for next hops");
    }
    const std::string name = "dpr_lpm_" + std::to_string(generation);
    rte_lpm_config lc{};
    lc.max_rules = static_cast<uint32_t>(plan.size() + 16);
    lc.number_tbl8s = static_cast<uint32_t>(std::max<size_t>(256, plan.size() * 2));
    t->lpm = rte_lpm_create(name.c_str(), SOCKET_ID_ANY, &lc);
    if (t->lpm == nullptr) {
        free_tables(t);
        throw std::runtime_error("cannot create LPM table: " + std::string(rte_strerror(rte_errno)));
    }
    // Routes share next hops: one entry per distinct (action, port, gateway), as a FIB keeps one
    // adjacency per neighbour. A table of a million routes through a handful of gateways then
    // has a handful of entries, which stay in cache for the workers (and the resolver updates one
    // gateway word per gateway, not one per route).
    std::map<std::tuple<NextHopAction, uint16_t, Ipv4>, uint32_t> shared;
    uint32_t n = 0;
    for (size_t i = 0; i < plan.size(); ++i) {
        const auto key = std::make_tuple(plan[i].action, plan[i].port, plan[i].gateway);
        auto [it, fresh] = shared.try_emplace(key, n);
        if (fresh) {
            NextHop* nh = new (&t->nexthops[n++]) NextHop();
            nh->action = plan[i].action;
            nh->port = plan[i].port;
            nh->gateway_be = rte_cpu_to_be_32(plan[i].gateway);
        }
        if (plan[i].prefix.len == 0) {
            t->default_nh = &t->nexthops[it->second];  // rte_lpm depths are 1..32
            continue;
        }
        if (rte_lpm_add(t->lpm, plan[i].prefix.network(), plan[i].prefix.len, it->second) != 0) {
            free_tables(t);
            throw std::runtime_error("cannot add " + format_prefix(plan[i].prefix) + " to the LPM table");
        }
    }
    t->n_nexthops = n;
    t->n_routes = static_cast<uint32_t>(plan.size());

    for (size_t i = 0; i < cfg.interfaces.size(); ++i) {
        const InterfaceConfig& ic = cfg.interfaces[i];
        InterfaceEntry& e = t->ifaces[port_of[i]];
        e.in_use = true;
        e.icmp_redirects = ic.icmp_redirects;
        e.mtu = static_cast<uint16_t>(ic.mtu);
        e.pmtud_blackhole = ic.pmtud_blackhole;
        e.has_advertised_mtu = ic.has_advertised_mtu;
        e.advertised_mtu = static_cast<uint16_t>(ic.advertised_mtu);
        e.tcp_mss_clamp = static_cast<uint16_t>(ic.tcp_mss_clamp);
        e.tx_multi_seg = port_multi_seg == nullptr || port_multi_seg[i] != 0;
        e.mac = port_mac[i];
        for (const auto& a : ic.addresses) {
            const uint8_t last = static_cast<uint8_t>(a.prefix.addr);
            t->local_filter[last >> 6] |= uint64_t{1} << (last & 63);
            if (t->n_local < std::size(t->local_be)) t->local_be[t->n_local++] = rte_cpu_to_be_32(a.prefix.addr);
            if (e.n_addrs == kMaxAddrsPerInterface) break;
            e.addr_be[e.n_addrs] = rte_cpu_to_be_32(a.prefix.addr);
            e.mask_be[e.n_addrs] = rte_cpu_to_be_32(a.prefix.mask());
            ++e.n_addrs;
        }
        if (port_of[i] + 1u > t->n_ports) t->n_ports = static_cast<uint16_t>(port_of[i] + 1);
    }
    return t;
}

void free_tables(Tables* t) {
    if (t == nullptr) return;
    rte_lpm_free(t->lpm);
    rte_free(t->nexthops);
    t->~Tables();
    rte_free(t);
}

}  // namespace dprouter
