// Turns a validated Config into the Tables the workers read.
//
// Linear in the number of routes: a full Internet table (a million routes) shares a handful of
// next hops, so routes point at deduplicated NextHop entries (one per action, port and gateway)
// rather than one each, and the FIB is sized from the table instead of a fixed multiple of it.
// The FIB is rte_fib (DIR-24-8 over an rte_rib trie): linear to build, where DPDK 22.11's
// rte_lpm_add is quadratic in the rules of one prefix length (docs/benchmarking.md "Large tables").
#include <algorithm>
#include <atomic>
#include <new>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_fib.h>
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

// Order matters: rte_fib_add replaces the next hop of an existing prefix, so later entries win.
// Configured routes go first, then connected subnets, then our own and broadcast addresses, which
// must never be overridden.
std::vector<PlannedRoute> plan_routes(const Config& cfg, const uint16_t* port_of) {
    std::vector<PlannedRoute> plan;
    plan.reserve(cfg.routes.size() + 64);
    std::unordered_map<Ipv4, int> reaching;  // gateway -> interface: few gateways, many routes
    for (const auto& r : cfg.routes) {
        PlannedRoute p{r.prefix, next_hop_action(r.action), 0, 0};
        if (r.action == RouteAction::forward) {
            auto [it, fresh] = reaching.try_emplace(r.via, 0);
            if (fresh) it->second = interface_reaching(cfg, r.via);
            if (it->second < 0) throw std::runtime_error("route via " + format_ipv4(r.via) + " reaches no interface");
            p.port = port_of[it->second];
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

// Thousandths of a token; the parser keeps rate and burst within 0..1e6, the clamp keeps a
// config built in code from reaching an out-of-range float-to-integer conversion.
uint64_t milli(double v) {
    return static_cast<uint64_t>(std::clamp(v, 0.0, config_limits::max_icmp_rate) * 1000.0 + 0.5);
}

BucketLimits bucket_limits(const TokenBucketConfig& b) { return {milli(b.rate), milli(b.burst)}; }

uint64_t next_hop_key(const PlannedRoute& p) {
    return uint64_t{static_cast<uint8_t>(p.action)} << 48 | uint64_t{p.port} << 32 | p.gateway;
}

// rte_fib sizes: max_routes bounds the rte_rib trie behind the FIB (one node per prefix, plus the
// branching nodes, for which rte_fib reserves as many again), and DIR-24-8 takes one tbl8 group
// (256 next hops, 1 KiB with 4-byte next hops) per /24 that holds a prefix longer than /24, exactly
// like rte_lpm. Both get headroom for routes added later without a rebuild (live FIB updates):
// kRouteHeadroom routes, and kTbl8Headroom tbl8 groups (4 MiB) for as many new /24s with longer
// prefixes in them (tables.hpp).

uint32_t tbl8_groups_needed(const std::vector<PlannedRoute>& plan) {
    std::unordered_set<uint32_t> slash24;
    for (const auto& p : plan)
        if (p.prefix.len > 24) slash24.insert(p.prefix.network() >> 8);
    return static_cast<uint32_t>(slash24.size());
}

// The best lookup this CPU and the EAL allow: AVX-512 when the EAL's max SIMD bitwidth is 512
// (--force-max-simd-bitwidth=512; DPDK defaults to 256 on x86), else DIR-24-8's scalar lookup
// (which RTE_FIB_LOOKUP_DEFAULT picks then). Chosen once per table, never per packet; null if none.
const char* select_lookup(rte_fib* fib) {
    if (rte_fib_select_lookup(fib, RTE_FIB_LOOKUP_DIR24_8_VECTOR_AVX512) == 0) return "AVX-512 vector";
    if (rte_fib_select_lookup(fib, RTE_FIB_LOOKUP_DEFAULT) == 0) return "scalar";
    return nullptr;
}

IcmpLimits icmp_limits(const IcmpRateLimitConfig& rl) {
    return {bucket_limits(rl.global), bucket_limits(rl.per_destination), bucket_limits(rl.frag_needed)};
}

}  // namespace

void check_next_hop_count(size_t n) {
    if (n > kMaxNextHops)
        throw std::runtime_error(std::to_string(n) + " distinct next hops; the FIB holds at most " +
                                 std::to_string(kMaxNextHops));
}

namespace {

// `fibs` false: the shell the live FIB wraps around its own FIBs (build_table_shell).
Tables* build(const Config& cfg, const uint16_t* port_of, const rte_ether_addr* port_mac, uint64_t generation,
              const uint8_t* port_multi_seg, bool fibs) {
    const std::vector<PlannedRoute> plan = fibs ? plan_routes(cfg, port_of) : std::vector<PlannedRoute>{};

    // Distinct next hops, in order of first use; index[i] is plan[i]'s.
    std::vector<uint32_t> index(plan.size());
    std::vector<const PlannedRoute*> distinct;
    {
        std::unordered_map<uint64_t, uint32_t> seen;
        for (size_t i = 0; i < plan.size(); ++i) {
            auto [it, fresh] = seen.try_emplace(next_hop_key(plan[i]), static_cast<uint32_t>(distinct.size()));
            if (fresh) distinct.push_back(&plan[i]);
            index[i] = it->second;
        }
    }
    check_next_hop_count(distinct.size());

    void* mem = rte_zmalloc("dpr_tables", sizeof(Tables), RTE_CACHE_LINE_SIZE);
    if (mem == nullptr) throw std::runtime_error("out of memory for forwarding tables");
    auto* t = new (mem) Tables();
    t->generation = generation;
    t->icmp_limits = icmp_limits(cfg.icmp.rate_limit);
    if (fibs) {
    t->nexthops = static_cast<NextHop*>(rte_zmalloc("dpr_nexthops", sizeof(NextHop) * distinct.size() + 1, RTE_CACHE_LINE_SIZE));
    if (t->nexthops == nullptr) {
        free_tables(t);
        throw std::runtime_error("out of memory for next hops");
    }
    for (size_t i = 0; i < distinct.size(); ++i) {
        NextHop* nh = new (&t->nexthops[i]) NextHop();
        nh->action = distinct[i]->action;
        nh->port = distinct[i]->port;
        nh->gateway_be = rte_cpu_to_be_32(distinct[i]->gateway);
    }
    t->n_nexthops = static_cast<uint32_t>(distinct.size());

    const std::string name = "dpr_fib_" + std::to_string(generation);
    rte_fib_conf fc{};
    fc.type = RTE_FIB_DIR24_8;
    fc.default_nh = kNoRouteIndex;
    fc.max_routes = static_cast<int>(std::min<size_t>(plan.size() + kRouteHeadroom, INT32_MAX / 2));
    fc.dir24_8.nh_sz = RTE_FIB_DIR24_8_4B;
    // A multiple of 64: DPDK 22.11 finds free tbl8 groups in a bitmap of 64-bit slabs, and a FIB
    // created with 4099 groups handed out 4159 of them, past the end of its tbl8 array
    // (tests/unit/test_table_builder.cpp, FibHasTbl8HeadroomForLiveAdditions).
    fc.dir24_8.num_tbl8 = RTE_ALIGN_CEIL(tbl8_groups_needed(plan) + kTbl8Headroom, 64u);
    t->n_tbl8 = fc.dir24_8.num_tbl8;
    t->fib = rte_fib_create(name.c_str(), SOCKET_ID_ANY, &fc);
    if (t->fib == nullptr) {
        free_tables(t);
        throw std::runtime_error("cannot create the FIB: " + std::string(rte_strerror(rte_errno)));
    }
    t->fib_lookup = select_lookup(t->fib);
    if (t->fib_lookup == nullptr) {
        free_tables(t);
        throw std::runtime_error("no FIB lookup function");
    }
    for (size_t i = 0; i < plan.size(); ++i) {
        // Depth 0 is an ordinary DIR-24-8 route: a default route answers every otherwise missed lookup.
        const int rc = rte_fib_add(t->fib, plan[i].prefix.network(), plan[i].prefix.len, index[i]);
        if (rc != 0) {
            free_tables(t);
            throw std::runtime_error("cannot add " + format_prefix(plan[i].prefix) + " to the FIB: " + rte_strerror(-rc));
        }
    }
    t->n_routes = static_cast<uint32_t>(plan.size());
    }

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
        e.punt = cfg.control_plane.mirror;
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
    try {
        build_tables6(cfg, port_of, port_mac, t, fibs);
    } catch (...) {
        free_tables(t);
        throw;
    }
    return t;
}

}  // namespace

Tables* build_tables(const Config& cfg, const uint16_t* port_of, const rte_ether_addr* port_mac, uint64_t generation,
                     const uint8_t* port_multi_seg) {
    return build(cfg, port_of, port_mac, generation, port_multi_seg, true);
}

Tables* build_table_shell(const Config& cfg, const uint16_t* port_of, const rte_ether_addr* port_mac, uint64_t generation,
                          const uint8_t* port_multi_seg) {
    return build(cfg, port_of, port_mac, generation, port_multi_seg, false);
}

void free_tables(Tables* t) {
    if (t == nullptr) return;
    if (t->fib_shared) t->fib = nullptr, t->nexthops = nullptr, t->fib6 = nullptr, t->nexthops6 = nullptr;
    rte_fib_free(t->fib);
    rte_free(t->nexthops);
    rte_fib6_free(t->fib6);
    rte_free(t->nexthops6);
    t->~Tables();
    rte_free(t);
}

}  // namespace dprouter
