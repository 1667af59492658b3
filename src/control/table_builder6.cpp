// The IPv6 half of the forwarding tables: interface addresses (link-local first), the rte_fib6
// TRIE with deduplicated next hops, and the set of our own addresses.
//
// rte_fib6 rather than rte_lpm6: it has a bulk lookup (rte_fib6_lookup_bulk, with an AVX-512
// variant) that the burst fast path uses exactly like rte_fib for IPv4, wider next-hop values, and
// in-place add/delete through its rte_rib6 (the live FIB of the control-plane work).
// docs/benchmarking.md has the lookup figures of both.
#include <algorithm>
#include <cstring>
#include <functional>
#include <new>
#include <unordered_set>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include <rte_errno.h>
#include <rte_fib6.h>
#include <rte_malloc.h>

#include "dprouter/tables.hpp"

namespace dprouter {
namespace {

struct PlannedRoute6 {
    Ipv6Prefix prefix;
    NextHopAction action;
    uint16_t port;
    Ipv6 gateway;  // unspecified: connected
};

bool runs_ipv6(const InterfaceConfig& ic) { return ic.mtu >= config_limits::min_mtu_ipv6; }

// The interface (config index) whose connected IPv6 prefix holds `addr` (longest), or -1.
int interface_reaching6(const Config& cfg, const Ipv6& addr) {
    int best = -1;
    int best_len = -1;
    for (size_t i = 0; i < cfg.interfaces.size(); ++i) {
        if (!runs_ipv6(cfg.interfaces[i])) continue;
        for (const auto& a : cfg.interfaces[i].addresses6)
            if (!a.prefix.addr.is_link_local() && a.prefix.contains(addr) && a.prefix.len > best_len) {
                best = static_cast<int>(i);
                best_len = a.prefix.len;
            }
    }
    return best;
}

int interface_named(const Config& cfg, const std::string& name) {
    for (size_t i = 0; i < cfg.interfaces.size(); ++i)
        if (cfg.interfaces[i].name == name) return static_cast<int>(i);
    return -1;
}

// Same order as IPv4: configured routes, then connected prefixes, then our own addresses, so that
// later entries (rte_fib6_add replaces) are never overridden by a configured route.
std::vector<PlannedRoute6> plan_routes6(const Config& cfg, const uint16_t* port_of) {
    std::vector<PlannedRoute6> plan;
    plan.reserve(cfg.routes6.size() + 64);
    for (const auto& r : cfg.routes6) {
        PlannedRoute6 p{r.prefix, next_hop_action(r.action), 0, {}};
        if (r.action == RouteAction::forward) {
            const int i = r.interface.empty() ? interface_reaching6(cfg, r.via) : interface_named(cfg, r.interface);
            if (i < 0 || !runs_ipv6(cfg.interfaces[i]))
                throw std::runtime_error("route via " + format_ipv6(r.via) + " reaches no IPv6 interface");
            p.port = port_of[i];
            p.gateway = r.via;
        }
        p.prefix.addr = p.prefix.network();
        plan.push_back(p);
    }
    for (size_t i = 0; i < cfg.interfaces.size(); ++i) {
        if (!runs_ipv6(cfg.interfaces[i])) continue;
        for (const auto& a : cfg.interfaces[i].addresses6)
            if (!a.prefix.addr.is_link_local() && a.prefix.len < 128)
                plan.push_back({{a.prefix.network(), a.prefix.len}, NextHopAction::forward, port_of[i], {}});
    }
    for (size_t i = 0; i < cfg.interfaces.size(); ++i) {
        if (!runs_ipv6(cfg.interfaces[i])) continue;
        for (const auto& a : cfg.interfaces[i].addresses6)
            if (!a.prefix.addr.is_link_local())
                plan.push_back({{a.prefix.addr, 128}, NextHopAction::local, port_of[i], {}});
    }
    return plan;
}

std::string next_hop_key6(const PlannedRoute6& p) {
    std::string k(19, '\0');
    k[0] = static_cast<char>(p.action);
    k[1] = static_cast<char>(p.port & 0xff);
    k[2] = static_cast<char>(p.port >> 8);
    std::copy(p.gateway.bytes.begin(), p.gateway.bytes.end(), k.begin() + 3);
    return k;
}

// rte_fib6's TRIE sizes its pool of tbl8 groups (256 entries each, one per byte below the
// tbl24's 24 bits) by reservation, not by the groups routes share (DPDK lib/fib/trie.c,
// trie_modify): a route longer than /24 reserves one group per byte between its covering route
// (at least /24) and itself, rounded up to whole bytes, and is refused with ENOSPC when the pool
// cannot cover the running sum. (A route whose whole-byte prefix already holds another route
// reserves nothing; the sum ignores that, so it is an upper bound.) With the plan inserted
// shortest first, each route's covering route is in before it, so this is what the pool needs.
struct PrefixKey {
    Ipv6 addr;
    uint8_t len;
    friend bool operator==(const PrefixKey&, const PrefixKey&) = default;
};
struct PrefixKeyHash {
    size_t operator()(const PrefixKey& k) const {
        uint64_t a, b;
        std::memcpy(&a, k.addr.bytes.data(), 8);
        std::memcpy(&b, k.addr.bytes.data() + 8, 8);
        return std::hash<uint64_t>{}(a * 0x9e3779b97f4a7c15ull ^ b ^ (uint64_t{k.len} << 56));
    }
};

uint64_t tbl8_reserved6(const std::vector<PlannedRoute6>& plan) {
    std::unordered_set<PrefixKey, PrefixKeyHash> prefixes;
    prefixes.reserve(plan.size());
    bool has_len[129] = {};
    for (const auto& p : plan) {
        prefixes.insert({p.prefix.network(), p.prefix.len});
        has_len[p.prefix.len] = true;
    }
    uint64_t sum = 0;
    for (const auto& p : plan) {
        if (p.prefix.len <= 24) continue;
        unsigned parent = 24;
        for (unsigned l = p.prefix.len - 1u; l > 24; --l)
            if (has_len[l] && prefixes.count({Ipv6Prefix{p.prefix.addr, static_cast<uint8_t>(l)}.network(), static_cast<uint8_t>(l)})) {
                parent = l;
                break;
            }
        sum += (RTE_ALIGN_CEIL(p.prefix.len, 8u) - RTE_ALIGN_CEIL(parent, 8u)) / 8;
    }
    return sum;
}

const char* select_lookup6(rte_fib6* fib) {
    if (rte_fib6_select_lookup(fib, RTE_FIB6_LOOKUP_TRIE_VECTOR_AVX512) == 0) return "AVX-512 vector";
    if (rte_fib6_select_lookup(fib, RTE_FIB6_LOOKUP_DEFAULT) == 0) return "scalar";
    return nullptr;
}

void add_local6(Tables* t, const uint8_t* a) {
    const uint8_t last = a[15];
    t->local6_filter[last >> 6] |= uint64_t{1} << (last & 63);
    if (t->n_local6 < std::size(t->local6)) std::memcpy(t->local6[t->n_local6++], a, 16);
}

}  // namespace

// Fills the IPv6 part of `t` (whose IPv4 part and interface MACs are set). Throws std::runtime_error.
void build_tables6(const Config& cfg, const uint16_t* port_of, const rte_ether_addr* port_mac, Tables* t, bool fibs) {
    for (size_t i = 0; i < cfg.interfaces.size(); ++i) {
        const InterfaceConfig& ic = cfg.interfaces[i];
        if (!runs_ipv6(ic)) continue;
        InterfaceEntry& e = t->ifaces[port_of[i]];
        e.ipv6 = true;
        // RFC 4291 2.1: every interface has a link-local address; a listed one replaces the derived one.
        Ipv6Prefix ll{};
        bool listed = false;
        for (const auto& a : ic.addresses6)
            if (a.prefix.addr.is_link_local()) {
                ll = a.prefix;
                listed = true;
                break;
            }
        if (!listed) {
            MacAddr mac;
            std::copy(std::begin(port_mac[i].addr_bytes), std::end(port_mac[i].addr_bytes), mac.bytes.begin());
            ll = {link_local_from_mac(mac), 64};
        }
        std::memcpy(e.addr6[0], ll.addr.bytes.data(), 16);
        e.plen6[0] = ll.len;
        e.n_addrs6 = 1;
        add_local6(t, e.addr6[0]);
        for (const auto& a : ic.addresses6) {
            if (a.prefix.addr.is_link_local()) continue;
            add_local6(t, a.prefix.addr.bytes.data());
            if (e.n_addrs6 == kMaxAddrs6PerInterface) continue;
            std::memcpy(e.addr6[e.n_addrs6], a.prefix.addr.bytes.data(), 16);
            e.plen6[e.n_addrs6] = a.prefix.len;
            ++e.n_addrs6;
        }
    }

    if (!fibs) return;  // a shell for the live FIB
    std::vector<PlannedRoute6> plan = plan_routes6(cfg, port_of);
    // Shortest first, for tbl8_reserved6; stable, so that of two entries for one prefix the later
    // one still wins (rte_fib6_add replaces).
    std::stable_sort(plan.begin(), plan.end(),
                     [](const PlannedRoute6& a, const PlannedRoute6& b) { return a.prefix.len < b.prefix.len; });
    std::vector<uint32_t> index(plan.size());
    std::vector<const PlannedRoute6*> distinct;
    {
        std::unordered_map<std::string, uint32_t> seen;
        for (size_t i = 0; i < plan.size(); ++i) {
            auto [it, fresh] = seen.try_emplace(next_hop_key6(plan[i]), static_cast<uint32_t>(distinct.size()));
            if (fresh) distinct.push_back(&plan[i]);
            index[i] = it->second;
        }
    }
    if (distinct.size() > kMaxNextHops6)
        throw std::runtime_error(std::to_string(distinct.size()) + " distinct IPv6 next hops; the FIB holds at most " +
                                 std::to_string(kMaxNextHops6));
    t->nexthops6 =
        static_cast<NextHop6*>(rte_zmalloc("dpr_nexthops6", sizeof(NextHop6) * (distinct.size() + 1), RTE_CACHE_LINE_SIZE));
    if (t->nexthops6 == nullptr) throw std::runtime_error("out of memory for IPv6 next hops");
    for (size_t i = 0; i < distinct.size(); ++i) {
        NextHop6* nh = new (&t->nexthops6[i]) NextHop6();
        nh->action = distinct[i]->action;
        nh->port = distinct[i]->port;
        std::memcpy(nh->gateway, distinct[i]->gateway.bytes.data(), 16);
    }
    t->n_nexthops6 = static_cast<uint32_t>(distinct.size());

    const std::string name = "dpr_fib6_" + std::to_string(t->generation);
    rte_fib6_conf fc{};
    fc.type = RTE_FIB6_TRIE;
    fc.default_nh = kNoRoute6Index;
    fc.max_routes = static_cast<int>(std::min<size_t>(plan.size() + kRoute6Headroom, INT32_MAX / 2));
    fc.trie.nh_sz = RTE_FIB6_TRIE_4B;
    const uint64_t reserved = tbl8_reserved6(plan);
    if (reserved > kMaxTbl8Groups6)
        throw std::runtime_error("the IPv6 routes need " + std::to_string(reserved) +
                                 " tbl8 groups of the IPv6 FIB, which holds at most " + std::to_string(kMaxTbl8Groups6) +
                                 " (see docs/benchmarking.md \"IPv6 FIB\")");
    fc.trie.num_tbl8 = static_cast<uint32_t>(std::min<uint64_t>(RTE_ALIGN_CEIL(reserved + kTbl8Headroom6, 64u), kMaxTbl8Groups6));
    t->n_tbl8_6 = fc.trie.num_tbl8;
    t->fib6 = rte_fib6_create(name.c_str(), SOCKET_ID_ANY, &fc);
    if (t->fib6 == nullptr) throw std::runtime_error("cannot create the IPv6 FIB: " + std::string(rte_strerror(rte_errno)));
    t->fib6_lookup = select_lookup6(t->fib6);
    if (t->fib6_lookup == nullptr) throw std::runtime_error("no IPv6 FIB lookup function");
    for (size_t i = 0; i < plan.size(); ++i) {
        const int rc = rte_fib6_add(t->fib6, plan[i].prefix.addr.bytes.data(), plan[i].prefix.len, index[i]);
        if (rc != 0)
            throw std::runtime_error("cannot add " + format_prefix6(plan[i].prefix) + " to the IPv6 FIB: " + rte_strerror(-rc));
    }
    t->n_routes6 = static_cast<uint32_t>(plan.size());
}

}  // namespace dprouter
