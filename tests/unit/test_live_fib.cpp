// The live FIB: random changes of both families and every origin against a reference model (a
// naive longest-prefix match over what the model holds), origin precedence, replace_origin, ECMP
// spread and stability, lookups from a reader thread while the control thread changes the table,
// and a first load whose second copy is filled a chunk at a time while changes arrive.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <rte_byteorder.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
// DPDK 22.11's rte_vect.h lacks the extern "C" its siblings have.
extern "C" {
#include <rte_vect.h>
}

#include "dprouter/config.hpp"
#include "dprouter/live_fib.hpp"
#include "dprouter/route_lookup.hpp"

namespace dprouter {
namespace {

Ipv4 v4(const char* a) { return *parse_ipv4(a); }
Ipv6 v6(const char* a) { return *parse_ipv6(a); }

// Two interfaces: lan (port 0) 10.1.0.1/24 and 2001:db8:1::1/64, wan (port 1) 10.2.0.1/24 and
// 2001:db8:2::1/64.
struct Fixture {
    Config cfg;
    uint16_t port_of[2] = {0, 1};
    rte_ether_addr macs[2] = {};
    rte_rcu_qsbr* qsbr = nullptr;
    std::atomic<Tables*> published{nullptr};
    std::unique_ptr<LiveFib> fib;

    explicit Fixture(const std::string& routes_yaml = "") {
        const ConfigResult r = parse_config_text(
            "interfaces:\n"
            "  - {name: lan, device: d0, addresses: [\"10.1.0.1/24\", \"2001:db8:1::1/64\"]}\n"
            "  - {name: wan, device: d1, addresses: [\"10.2.0.1/24\", \"2001:db8:2::1/64\"]}\n" +
                routes_yaml,
            "t.yaml");
        if (!r.ok()) throw std::runtime_error(error_lines(r.errors)[0]);
        cfg = r.config;
        qsbr = static_cast<rte_rcu_qsbr*>(rte_zmalloc("t_qsbr", rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE));
        rte_rcu_qsbr_init(qsbr, 1);
        LiveFibLimits limits;
        limits.nexthops4 = limits.nexthops6 = 1024;
        limits.tbl8_6 = 8192;  // random /128s reserve up to 13 TRIE groups each
        fib = std::make_unique<LiveFib>(cfg, LivePorts{port_of, macs, nullptr}, qsbr, published, limits);
        const std::string err = fib->replace_origin(RouteOrigin::config, config_routes(cfg));
        if (!err.empty()) throw std::runtime_error(err);
        fib->commit();
    }
    ~Fixture() {
        fib.reset();
        rte_free(qsbr);
    }
    const Tables& t() const { return *published.load(); }
};

Route route4(const char* prefix, std::vector<Ipv4> gws, RouteOrigin o) {
    Route r;
    r.prefix4 = *parse_prefix(prefix);
    r.origin = o;
    for (Ipv4 g : gws) r.via.push_back(RouteVia{g, {}, -1});
    return r;
}

// What a lookup answered: action, and the (port, gateway) of each path (one unless multipath).
using Paths = std::set<std::pair<uint16_t, uint32_t>>;
struct Answer {
    bool found = false;
    NextHopAction action = NextHopAction::forward;
    Paths paths;
    friend bool operator==(const Answer&, const Answer&) = default;
};
void PrintTo(const Answer& a, std::ostream* os) {
    *os << (a.found ? "found" : "none") << " action " << static_cast<int>(a.action);
    for (const auto& [port, gw] : a.paths) *os << " (" << port << ", " << format_ipv4(gw) << ")";
}

Answer answer4(const Tables& t, Ipv4 dst) {
    Answer a;
    const NextHop* nh = route_lookup_raw(t, dst);
    if (nh == nullptr) return a;
    a.found = true;
    a.action = nh->action;
    if (nh->action == NextHopAction::multipath) {
        a.action = NextHopAction::forward;
        for (unsigned i = 0; i < nh->n_paths; ++i) {
            const NextHop& m = t.nexthops[t.groups4[size_t(nh - t.nexthops) * kMaxEcmpPaths + i]];
            a.paths.insert({m.port, rte_be_to_cpu_32(m.gateway_be)});
        }
    } else if (nh->action == NextHopAction::forward || nh->action == NextHopAction::local ||
               nh->action == NextHopAction::broadcast) {
        a.paths.insert({nh->port, rte_be_to_cpu_32(nh->gateway_be)});
    }
    return a;
}

uint32_t gw6_tag(const uint8_t* g) { return uint32_t{g[14]} << 8 | g[15] | (g[0] == 0xfe ? 0x10000u : 0u); }

Answer answer6(const Tables& t, const Ipv6& dst) {
    Answer a;
    const NextHop6* nh = route6_lookup_raw(t, dst.bytes.data());
    if (nh == nullptr) return a;
    a.found = true;
    a.action = nh->action;
    if (nh->action == NextHopAction::multipath) {
        a.action = NextHopAction::forward;
        for (unsigned i = 0; i < nh->n_paths; ++i) {
            const NextHop6& m = t.nexthops6[t.groups6[size_t(nh - t.nexthops6) * kMaxEcmpPaths + i]];
            a.paths.insert({m.port, gw6_tag(m.gateway)});
        }
    } else if (nh->action == NextHopAction::forward || nh->action == NextHopAction::local) {
        a.paths.insert({nh->port, gw6_tag(nh->gateway)});
    }
    return a;
}

// --- reference model --------------------------------------------------------------------------

// Every route by (family, prefix, origin), with what it should answer; the connected ones too.
struct ModelRoute {
    bool ipv6;
    Ipv4Prefix p4;
    Ipv6Prefix p6;
    int rank;  // 0 connected, 1 cli, 2 config, 3 kernel
    Answer ans;
};

int rank_of(RouteOrigin o) { return o == RouteOrigin::cli ? 1 : o == RouteOrigin::config ? 2 : 3; }

struct Model {
    // key: (ipv6, prefix text, rank)
    std::map<std::tuple<bool, std::string, int>, ModelRoute> routes;

    void put(const ModelRoute& m) {
        routes[{m.ipv6, m.ipv6 ? format_prefix6(m.p6) : format_prefix(m.p4), m.rank}] = m;
    }
    void erase(bool ipv6, const std::string& prefix, int rank) { routes.erase({ipv6, prefix, rank}); }

    Answer lookup4(Ipv4 a) const {
        const ModelRoute* best = nullptr;
        for (const auto& [k, m] : routes)
            if (!m.ipv6 && m.p4.contains(a) &&
                (best == nullptr || m.p4.len > best->p4.len || (m.p4.len == best->p4.len && m.rank < best->rank)))
                best = &m;
        return best ? best->ans : Answer{};
    }
    Answer lookup6(const Ipv6& a) const {
        const ModelRoute* best = nullptr;
        for (const auto& [k, m] : routes)
            if (m.ipv6 && m.p6.contains(a) &&
                (best == nullptr || m.p6.len > best->p6.len || (m.p6.len == best->p6.len && m.rank < best->rank)))
                best = &m;
        return best ? best->ans : Answer{};
    }
};

Answer fwd(std::initializer_list<std::pair<uint16_t, uint32_t>> paths) {
    Answer a;
    a.found = true;
    a.paths = Paths(paths);
    return a;
}

TEST(LiveFib, MatchesAReferenceModelUnderRandomChanges) {
    Fixture f;
    Model model;
    // The connected routes.
    model.put({false, {v4("10.1.0.0"), 24}, {}, 0, fwd({{0, 0}})});
    model.put({false, {v4("10.2.0.0"), 24}, {}, 0, fwd({{1, 0}})});
    Answer local0{true, NextHopAction::local, {{0, 0}}}, local1{true, NextHopAction::local, {{1, 0}}};
    Answer bc0{true, NextHopAction::broadcast, {{0, 0}}}, bc1{true, NextHopAction::broadcast, {{1, 0}}};
    model.put({false, {v4("10.1.0.1"), 32}, {}, 0, local0});
    model.put({false, {v4("10.2.0.1"), 32}, {}, 0, local1});
    model.put({false, {v4("10.1.0.255"), 32}, {}, 0, bc0});
    model.put({false, {v4("10.2.0.255"), 32}, {}, 0, bc1});
    model.put({true, {}, {v6("2001:db8:1::"), 64}, 0, fwd({{0, 0}})});
    model.put({true, {}, {v6("2001:db8:2::"), 64}, 0, fwd({{1, 0}})});
    model.put({true, {}, {v6("2001:db8:1::1"), 128}, 0, local0});
    model.put({true, {}, {v6("2001:db8:2::1"), 128}, 0, local1});

    std::mt19937 rng(12345);
    const auto pick = [&](unsigned n) { return static_cast<unsigned>(rng() % n); };
    const uint8_t lens4[] = {0, 8, 12, 16, 20, 23, 24, 25, 26, 28, 30, 32};
    const uint8_t lens6[] = {0, 16, 24, 32, 40, 48, 48, 56, 64, 64, 72, 128};
    // Gateways: 10.1.0.2..9 (port 0), 10.2.0.2..9 (port 1); 2001:db8:1::2..9, 2001:db8:2::2..9,
    // fe80::2..9 on wan; one unreachable (30.0.0.1 / 2001:db8:9::1) for refused changes.
    const auto random_addr4 = [&]() -> Ipv4 {
        switch (pick(4)) {
        case 0: return v4("20.0.0.0") | static_cast<Ipv4>(rng() & 0x0003ffffu);  // dense: many overlaps
        case 1: return v4("10.1.0.0") | static_cast<Ipv4>(rng() & 0x1ffu);
        case 2: return static_cast<Ipv4>(rng());
        default: return v4("20.0.0.0") | static_cast<Ipv4>(rng() & 0x00ffffffu);
        }
    };
    const auto random_addr6 = [&]() -> Ipv6 {
        Ipv6 a = v6("2001:db8::");
        a.bytes[2] = pick(2) ? 0x0d : static_cast<uint8_t>(rng());
        a.bytes[3] = pick(2) ? 0xb8 : static_cast<uint8_t>(rng());
        a.bytes[4] = 0;
        a.bytes[5] = static_cast<uint8_t>(pick(4));
        a.bytes[6] = static_cast<uint8_t>(pick(3));
        for (int i = 7; i < 16; ++i) a.bytes[i] = pick(3) ? static_cast<uint8_t>(pick(4)) : static_cast<uint8_t>(rng());
        return a;
    };
    const RouteOrigin origins[] = {RouteOrigin::config, RouteOrigin::kernel, RouteOrigin::cli};
    unsigned applied = 0, refused = 0, removed = 0, full = 0;
    for (int step = 0; step < 3000; ++step) {
        const bool ipv6 = pick(2);
        const RouteOrigin o = origins[pick(3)];
        Route r;
        r.ipv6 = ipv6;
        r.origin = o;
        ModelRoute m{ipv6, {}, {}, rank_of(o), {}};
        if (!ipv6) {
            r.prefix4 = {random_addr4(), lens4[pick(std::size(lens4))]};
            r.prefix4.addr = r.prefix4.network();
            m.p4 = r.prefix4;
        } else {
            r.prefix6 = {random_addr6(), lens6[pick(std::size(lens6))]};
            r.prefix6.addr = r.prefix6.network();
            m.p6 = r.prefix6;
        }
        const std::string text = ipv6 ? format_prefix6(r.prefix6) : format_prefix(r.prefix4);
        const unsigned what = pick(10);
        if (what < 3) {  // remove
            const bool had = model.routes.count({ipv6, text, m.rank}) != 0;
            EXPECT_EQ(f.fib->remove(r), had) << text;
            model.erase(ipv6, text, m.rank);
            removed += had;
        } else {
            bool reachable = true;
            m.ans.found = true;
            if (what == 3) {
                r.action = pick(2) ? RouteAction::blackhole : RouteAction::unreachable;
                m.ans.action = next_hop_action(r.action);
            } else {
                const unsigned n = pick(4) == 0 ? 2 + pick(3) : 1;
                for (unsigned i = 0; i < n; ++i) {
                    const unsigned g = 2 + pick(8);
                    const unsigned side = pick(ipv6 ? 3 : 2);
                    RouteVia v;
                    if (!ipv6) {
                        v.gateway4 = (side ? v4("10.2.0.0") : v4("10.1.0.0")) | g;
                        if (pick(50) == 0) v.gateway4 = v4("30.0.0.1"), reachable = false;
                        m.ans.paths.insert({uint16_t(side), v.gateway4});
                    } else {
                        v.gateway6 = v6(side == 0 ? "2001:db8:1::" : side == 1 ? "2001:db8:2::" : "fe80::");
                        v.gateway6.bytes[15] = static_cast<uint8_t>(g);
                        if (side == 2) v.interface = 1;
                        if (pick(50) == 0) v.gateway6 = v6("2001:db8:9::1"), v.interface = -1, reachable = false;
                        m.ans.paths.insert({uint16_t(side == 0 ? 0 : 1), gw6_tag(v.gateway6.bytes.data())});
                    }
                    r.via.push_back(v);
                }
            }
            const std::string err = f.fib->upsert(r);
            if (err.find("is full") != std::string::npos) {
                ++full;  // refused for room (the TRIE reserves groups per byte): nothing changed
            } else if (reachable) {
                EXPECT_EQ(err, "") << text;
                model.put(m);
                ++applied;
            } else {
                EXPECT_NE(err, "") << text;
                ++refused;
            }
        }
        if (step % 10 == 9) {
            f.fib->commit();
            if (step % 30 == 29) f.fib->maintain();
        }
        if (step % 30 == 29) {
            const Tables& t = f.t();
            for (int i = 0; i < 150; ++i) {
                const Ipv4 a = random_addr4();
                ASSERT_EQ(answer4(t, a), model.lookup4(a)) << "step " << step << " " << format_ipv4(a);
                const Ipv6 b = random_addr6();
                ASSERT_EQ(answer6(t, b), model.lookup6(b)) << "step " << step << " " << format_ipv6(b);
            }
            // Every prefix the model holds answers itself at its first address.
            for (const auto& [k, mr] : model.routes) {
                if (step % 300 != 299) break;
                if (mr.ipv6) ASSERT_EQ(answer6(t, mr.p6.network()), model.lookup6(mr.p6.network())) << std::get<1>(k);
                else ASSERT_EQ(answer4(t, mr.p4.network()), model.lookup4(mr.p4.network())) << std::get<1>(k);
            }
        }
    }
    EXPECT_GT(applied, 1500u);
    EXPECT_GT(refused, 10u);
    EXPECT_GT(removed, 30u);
    EXPECT_LT(full, 100u);
    // Both copies equal: after a settle, the other copy answers the same.
    for (const char* p : {"99.0.0.0/8", "98.0.0.0/8"}) {
        ASSERT_EQ(f.fib->upsert(route4(p, {v4("10.1.0.2")}, RouteOrigin::kernel)), "");
        model.put({false, *parse_prefix(p), {}, 3, fwd({{0, v4("10.1.0.2")}})});
        f.fib->commit();
        f.fib->settle();
    }
    for (int i = 0; i < 2000; ++i) {
        const Ipv4 a = random_addr4();
        ASSERT_EQ(answer4(f.t(), a), model.lookup4(a)) << format_ipv4(a);
    }
    // Everything removed: every next hop but the connected ones' goes back to the pools.
    for (const Route& r : f.fib->routes()) f.fib->remove(r);
    f.fib->commit();
    f.fib->settle();
    f.fib->commit();
    f.fib->settle();
    EXPECT_EQ(f.fib->routes().size(), 0u);
    EXPECT_LE(f.fib->stats().nexthops4, 6u);  // connected: two subnets, two local, two broadcast
    EXPECT_LE(f.fib->stats().nexthops6, 4u);
}

TEST(LiveFib, MostTrustedOriginWinsAndConnectedAlways) {
    Fixture f;
    const Ipv4 a = v4("10.1.0.2"), b = v4("10.1.0.3"), c = v4("10.2.0.4");
    EXPECT_EQ(f.fib->upsert(route4("20.0.0.0/24", {a}, RouteOrigin::kernel)), "");
    f.fib->commit();
    EXPECT_EQ(answer4(f.t(), v4("20.0.0.9")), fwd({{0, a}}));
    EXPECT_EQ(f.fib->upsert(route4("20.0.0.0/24", {b}, RouteOrigin::config)), "");
    f.fib->commit();
    EXPECT_EQ(answer4(f.t(), v4("20.0.0.9")), fwd({{0, b}}));
    EXPECT_EQ(f.fib->upsert(route4("20.0.0.0/24", {c}, RouteOrigin::cli)), "");
    f.fib->commit();
    EXPECT_EQ(answer4(f.t(), v4("20.0.0.9")), fwd({{1, c}}));
    // A less trusted origin changing its route changes nothing visible.
    EXPECT_EQ(f.fib->upsert(route4("20.0.0.0/24", {b}, RouteOrigin::kernel)), "");
    f.fib->commit();
    EXPECT_EQ(answer4(f.t(), v4("20.0.0.9")), fwd({{1, c}}));
    EXPECT_TRUE(f.fib->remove(route4("20.0.0.0/24", {}, RouteOrigin::cli)));
    f.fib->commit();
    EXPECT_EQ(answer4(f.t(), v4("20.0.0.9")), fwd({{0, b}}));
    EXPECT_TRUE(f.fib->remove(route4("20.0.0.0/24", {}, RouteOrigin::config)));
    EXPECT_FALSE(f.fib->remove(route4("20.0.0.0/24", {}, RouteOrigin::config)));
    f.fib->commit();
    EXPECT_EQ(answer4(f.t(), v4("20.0.0.9")), fwd({{0, b}}));  // the kernel's, now via b
    // Connected subnets and own addresses beat every origin.
    EXPECT_EQ(f.fib->upsert(route4("10.1.0.0/24", {c}, RouteOrigin::cli)), "");
    EXPECT_EQ(f.fib->upsert(route4("10.1.0.1/32", {c}, RouteOrigin::cli)), "");
    f.fib->commit();
    EXPECT_EQ(answer4(f.t(), v4("10.1.0.77")), fwd({{0, 0}}));
    EXPECT_EQ(answer4(f.t(), v4("10.1.0.1")).action, NextHopAction::local);
    // A gateway nothing reaches is refused and changes nothing.
    EXPECT_NE(f.fib->upsert(route4("20.0.0.0/24", {v4("30.0.0.1")}, RouteOrigin::cli)), "");
    f.fib->commit();
    EXPECT_EQ(answer4(f.t(), v4("20.0.0.9")), fwd({{0, b}}));
    // A kernel route naming the interface without a gateway is on-link.
    Route onlink = route4("40.0.0.0/16", {}, RouteOrigin::kernel);
    onlink.via.push_back(RouteVia{0, {}, 1});
    EXPECT_EQ(f.fib->upsert(onlink), "");
    f.fib->commit();
    EXPECT_EQ(answer4(f.t(), v4("40.0.3.3")), fwd({{1, 0}}));
    // IPv6: a link-local gateway needs the interface.
    Route ll;
    ll.ipv6 = true;
    ll.prefix6 = {v6("2001:db8:50::"), 48};
    ll.origin = RouteOrigin::kernel;
    ll.via.push_back(RouteVia{0, v6("fe80::7"), -1});
    EXPECT_NE(f.fib->upsert(ll), "");
    ll.via[0].interface = 0;
    EXPECT_EQ(f.fib->upsert(ll), "");
    f.fib->commit();
    EXPECT_EQ(answer6(f.t(), v6("2001:db8:50::1")), fwd({{0, gw6_tag(v6("fe80::7").bytes.data())}}));
}

TEST(LiveFib, ReplaceOriginTouchesOnlyThatOrigin) {
    Fixture f(
        "routes:\n"
        "  - {prefix: 20.0.1.0/24, via: 10.1.0.2}\n"
        "  - {prefix: 20.0.2.0/24, via: 10.1.0.2}\n");
    EXPECT_EQ(answer4(f.t(), v4("20.0.1.1")), fwd({{0, v4("10.1.0.2")}}));
    EXPECT_EQ(f.fib->upsert(route4("20.0.3.0/24", {v4("10.2.0.3")}, RouteOrigin::kernel)), "");
    EXPECT_EQ(f.fib->upsert(route4("20.0.1.0/24", {v4("10.2.0.3")}, RouteOrigin::kernel)), "");
    f.fib->commit();
    // SIGHUP: the file now has 20.0.2.0/24 via another gateway and 20.0.4.0/24; 20.0.1.0/24 is gone.
    std::vector<Route> fresh = {route4("20.0.2.0/24", {v4("10.2.0.9")}, RouteOrigin::config),
                                route4("20.0.4.0/24", {v4("10.1.0.4")}, RouteOrigin::config)};
    EXPECT_EQ(f.fib->replace_origin(RouteOrigin::config, fresh), "");
    f.fib->commit();
    EXPECT_EQ(answer4(f.t(), v4("20.0.1.1")), fwd({{1, v4("10.2.0.3")}}));  // the kernel's shows through
    EXPECT_EQ(answer4(f.t(), v4("20.0.2.1")), fwd({{1, v4("10.2.0.9")}}));
    EXPECT_EQ(answer4(f.t(), v4("20.0.3.1")), fwd({{1, v4("10.2.0.3")}}));
    EXPECT_EQ(answer4(f.t(), v4("20.0.4.1")), fwd({{0, v4("10.1.0.4")}}));
    // One bad route: refused, nothing changed.
    fresh.push_back(route4("20.0.5.0/24", {v4("30.0.0.1")}, RouteOrigin::config));
    const std::string err = f.fib->replace_origin(RouteOrigin::config, {fresh.back()});
    EXPECT_NE(err.find("20.0.5.0/24"), std::string::npos) << err;
    f.fib->commit();
    EXPECT_EQ(answer4(f.t(), v4("20.0.4.1")), fwd({{0, v4("10.1.0.4")}}));
    EXPECT_EQ(f.fib->routes().size(), 4u);
}

TEST(LiveFib, ReconfigureMovesConnectedRoutesAndKeepsOthers) {
    Fixture f;
    EXPECT_EQ(f.fib->upsert(route4("20.0.0.0/24", {v4("10.2.0.7")}, RouteOrigin::kernel)), "");
    EXPECT_EQ(f.fib->upsert(route4("21.0.0.0/24", {v4("10.1.0.7")}, RouteOrigin::cli)), "");
    f.fib->commit();
    // wan moves to 10.3.0.1/24: 10.2.0.7 is reachable no more, 10.3.0.0/24 is connected.
    Config next = f.cfg;
    next.interfaces[1].addresses[0].prefix = *parse_prefix("10.3.0.1/24");
    f.fib->reconfigure(next);
    f.fib->commit();
    f.fib->settle();
    EXPECT_FALSE(answer4(f.t(), v4("20.0.0.1")).found);  // held, not installed
    EXPECT_EQ(answer4(f.t(), v4("21.0.0.1")), fwd({{0, v4("10.1.0.7")}}));
    EXPECT_EQ(answer4(f.t(), v4("10.3.0.9")), fwd({{1, 0}}));
    EXPECT_FALSE(answer4(f.t(), v4("10.2.0.9")).found);
    EXPECT_EQ(f.fib->routes().size(), 2u);
    EXPECT_TRUE(f.t().on_link(1, rte_cpu_to_be_32(v4("10.3.0.9"))));
    // And back: the kernel route comes back by itself.
    f.fib->reconfigure(f.cfg);
    f.fib->commit();
    EXPECT_EQ(answer4(f.t(), v4("20.0.0.1")), fwd({{1, v4("10.2.0.7")}}));
}

TEST(LiveFib, EcmpSpreadsFlowsAndKeepsEachOnItsPath) {
    Fixture f("routes:\n  - {prefix: 20.0.0.0/16, via: [10.1.0.2, 10.1.0.3, 10.2.0.4, 10.2.0.5]}\n");
    const Tables& t = f.t();
    const NextHop* nh = route_lookup_raw(t, v4("20.0.1.1"));
    ASSERT_NE(nh, nullptr);
    ASSERT_EQ(nh->action, NextHopAction::multipath);
    ASSERT_EQ(nh->n_paths, 4);
    std::map<uint32_t, unsigned> count;
    std::vector<uint32_t> chosen(20000);
    std::mt19937 rng(7);
    std::vector<uint32_t> hashes(20000);
    for (size_t i = 0; i < hashes.size(); ++i) {
        hashes[i] = rng();
        chosen[i] = ecmp_member(t, nh, hashes[i])->gateway_be;
        ++count[chosen[i]];
    }
    ASSERT_EQ(count.size(), 4u);
    for (const auto& [gw, n] : count) EXPECT_GT(n, 20000u / 4 * 8 / 10) << gw;  // within 20% of even
    // Unrelated changes leave every flow where it was.
    EXPECT_EQ(f.fib->upsert(route4("21.0.0.0/16", {v4("10.1.0.3"), v4("10.2.0.4")}, RouteOrigin::kernel)), "");
    EXPECT_EQ(f.fib->upsert(route4("22.0.0.0/16", {v4("10.1.0.9")}, RouteOrigin::kernel)), "");
    f.fib->commit();
    f.fib->settle();
    const NextHop* again = route_lookup_raw(f.t(), v4("20.0.200.1"));
    ASSERT_EQ(again->action, NextHopAction::multipath);
    for (size_t i = 0; i < hashes.size(); ++i) ASSERT_EQ(ecmp_member(f.t(), again, hashes[i])->gateway_be, chosen[i]);
    // The same member set in another order is the same next hop.
    EXPECT_EQ(f.fib->upsert(route4("23.0.0.0/16", {v4("10.2.0.5"), v4("10.2.0.4"), v4("10.1.0.3"), v4("10.1.0.2")},
                                   RouteOrigin::cli)),
              "");
    f.fib->commit();
    EXPECT_EQ(route_lookup_raw(f.t(), v4("23.0.0.1")), route_lookup_raw(f.t(), v4("20.0.0.1")));
    // route_lookup (what the router's own packets use) resolves to a member.
    EXPECT_EQ(route_lookup(f.t(), v4("20.0.0.1"))->action, NextHopAction::forward);
}

// The copy the workers read is never written: until commit() every answer stays what it was, even
// while /28s come and go inside /24s (DIR-24-8 frees and reuses their tbl8 groups at once, so an
// in-place change could hand a reader's half-read group to another prefix).
TEST(LiveFib, PublishedCopyIsNeverWritten) {
    Fixture f;
    std::mt19937 rng(11);
    const auto answers = [&] {
        std::vector<Answer> v;
        for (unsigned i = 0; i < 32; ++i)
            for (unsigned h = 0; h < 256; h += 4) v.push_back(answer4(f.t(), v4("20.0.0.0") | i << 8 | h));
        return v;
    };
    for (int round = 0; round < 30; ++round) {
        const Tables* before_ptr = f.published.load();
        const std::vector<Answer> before = answers();
        for (int k = 0; k < 40; ++k) {
            char p[32];
            const unsigned i = rng() % 32;
            if (rng() % 2) std::snprintf(p, sizeof p, "20.0.%u.%u/28", i, static_cast<unsigned>(rng() % 16) * 16);
            else std::snprintf(p, sizeof p, "20.0.%u.0/24", i);
            if (rng() % 3) f.fib->upsert(route4(p, {v4("10.1.0.0") | static_cast<Ipv4>(2 + rng() % 50)}, RouteOrigin::kernel));
            else f.fib->remove(route4(p, {}, RouteOrigin::kernel));
            if (k % 10 == 9) f.fib->maintain();
        }
        ASSERT_EQ(f.published.load(), before_ptr);
        ASSERT_EQ(answers(), before) << "round " << round;
        f.fib->commit();
    }
}

// A reader thread looks up addresses all the time while the control thread adds and removes
// /24s and /28s inside them (tbl8 groups freed and reused) and moves routes between gateways
// (next-hop slots freed and reused). Each /24 i has its own gateways, so an answer from a group
// or slot that belongs to another prefix by then is caught.
TEST(LiveFib, ConcurrentLookupsSeeOnlyValidNextHops) {
    Fixture f;
    constexpr unsigned kNets = 64;
    const auto gw24 = [](unsigned i, unsigned alt) { return v4("10.1.0.0") | (10 + i + alt * 100); };
    const auto gw28 = [](unsigned i) { return v4("10.2.0.0") | (10 + i); };
    const auto net = [](unsigned i) { return v4("20.0.0.0") | i << 8; };
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> lookups{0}, bad{0};
    std::string first_bad;
    std::thread reader([&] {
        rte_rcu_qsbr_thread_register(f.qsbr, 0);
        rte_rcu_qsbr_thread_online(f.qsbr, 0);
        std::mt19937 rng(99);
        uint64_t n = 0;
        while (!stop.load(std::memory_order_relaxed)) {
            const Tables* t = f.published.load(std::memory_order_acquire);
            for (int k = 0; k < 64; ++k) {
                const unsigned i = rng() % kNets;
                const unsigned host = rng() % 64;
                const NextHop* nh = route_lookup_raw(*t, net(i) | host);
                ++n;
                if ((n & 1023) == 0) lookups.store(n, std::memory_order_relaxed);
                if (nh == nullptr) continue;  // the /24 may be absent
                const uint32_t g = rte_be_to_cpu_32(nh->gateway_be);
                const bool ok = nh->action == NextHopAction::forward &&
                                (g == gw24(i, 0) || g == gw24(i, 1) || (host >= 16 && host < 32 && g == gw28(i)));
                if (!ok && bad.fetch_add(1) == 0)
                    first_bad = format_ipv4(net(i) | host) + " -> " + format_ipv4(g) + " action " +
                                std::to_string(static_cast<int>(nh->action));
            }
            rte_rcu_qsbr_quiescent(f.qsbr, 0);
        }
        lookups = n;
        rte_rcu_qsbr_thread_offline(f.qsbr, 0);
        rte_rcu_qsbr_thread_unregister(f.qsbr, 0);
    });
    std::mt19937 rng(5);
    const RouteOrigin origins[] = {RouteOrigin::kernel, RouteOrigin::cli};
    while (lookups.load() == 0) std::this_thread::yield();  // the reader is registered and reading
    // At least 2500 changes, and at least 300,000 lookups made meanwhile.
    for (int change = 0; change < 2500 || lookups.load() < 300000; ++change) {
        const unsigned i = rng() % kNets;
        const RouteOrigin o = origins[rng() % 2];
        char p24[32], p28[32];
        std::snprintf(p24, sizeof p24, "20.0.%u.0/24", i);
        std::snprintf(p28, sizeof p28, "20.0.%u.16/28", i);
        switch (rng() % 4) {
        case 0: ASSERT_EQ(f.fib->upsert(route4(p24, {gw24(i, rng() % 2)}, o)), ""); break;
        case 1: f.fib->remove(route4(p24, {}, o)); break;
        case 2: ASSERT_EQ(f.fib->upsert(route4(p28, {gw28(i)}, o)), ""); break;
        default: f.fib->remove(route4(p28, {}, o)); break;
        }
        if (rng() % 3 == 0) f.fib->commit();
        if (rng() % 16 == 0) f.fib->maintain();
    }
    f.fib->commit();
    f.fib->settle();
    stop = true;
    reader.join();
    EXPECT_EQ(bad.load(), 0u) << first_bad;
    EXPECT_GT(lookups.load(), 10000u);
    EXPECT_GT(f.fib->stats().reclaimed, 0u);  // next hops went through the defer queue
    EXPECT_GT(f.fib->stats().replays, 100u);
}


// --- the first load and the deferred replay ---------------------------------------------------

// IPv4 only, every origin: the winner per prefix by origin rank, longest prefix first.
struct Model4 {
    std::map<std::pair<uint8_t, Ipv4>, std::map<int, Answer>> routes;  // (len, network) -> rank -> answer
    void put(Ipv4Prefix p, int rank, const Answer& a) { routes[{p.len, p.network()}][rank] = a; }
    void erase(Ipv4Prefix p, int rank) {
        auto it = routes.find({p.len, p.network()});
        if (it == routes.end()) return;
        it->second.erase(rank);
        if (it->second.empty()) routes.erase(it);
    }
    Answer lookup(Ipv4 a) const {
        for (int len = 32; len >= 0; --len) {
            auto it = routes.find({static_cast<uint8_t>(len), a & Ipv4Prefix::mask_of(static_cast<uint8_t>(len))});
            if (it != routes.end()) return it->second.begin()->second;
        }
        return {};
    }
};

// An Internet-like mix (as scripts/bench/gen_routes.py) packed into 20.0.0.0/8 so that they
// overlap: 60 % /24, 35 % /16../23, 5 % /25../32; distinct.
std::vector<Ipv4Prefix> random_prefixes(std::mt19937& rng, size_t n) {
    std::set<std::pair<uint8_t, Ipv4>> seen;
    std::vector<Ipv4Prefix> v;
    while (v.size() < n) {
        const unsigned r = rng() % 100;
        const uint8_t len = static_cast<uint8_t>(r < 60 ? 24 : r < 95 ? 16 + rng() % 8 : 25 + rng() % 8);
        const Ipv4Prefix p{(v4("20.0.0.0") | static_cast<Ipv4>(rng() & 0x00ffffffu)) & Ipv4Prefix::mask_of(len), len};
        if (seen.insert({p.len, p.addr}).second) v.push_back(p);
    }
    return v;
}

void expect_matches(const Tables& t, const Model4& model, std::mt19937& rng, const std::vector<Ipv4Prefix>& prefixes,
                    const char* when) {
    for (int i = 0; i < 4000; ++i) {
        const Ipv4 a = v4("20.0.0.0") | static_cast<Ipv4>(rng() & 0x00ffffffu);
        ASSERT_EQ(answer4(t, a), model.lookup(a)) << when << ": " << format_ipv4(a);
    }
    for (const Ipv4Prefix& p : prefixes) {  // each prefix at its first and last address
        ASSERT_EQ(answer4(t, p.network()), model.lookup(p.network())) << when << ": " << format_prefix(p);
        const Ipv4 last = p.network() | ~p.mask();
        ASSERT_EQ(answer4(t, last), model.lookup(last)) << when << ": " << format_prefix(p);
    }
}

// Start-up: the whole file loads into one copy and is published; the other copy is filled by
// maintain() a chunk per call (the workers already forward). Changes made in the middle of that
// replay (a kernel route over a file route, a cli route, a removal, a whole kernel resync) go into
// the copy being filled: they must land after the replay, not be overwritten by it. Both copies
// then answer like the reference model, at every prefix's first and last address.
TEST(LiveFib, ChangesDuringTheDeferredReplayLandAfterIt) {
    Fixture f;
    std::mt19937 rng(2024);
    const std::vector<Ipv4Prefix> prefixes = random_prefixes(rng, 30000);
    const size_t n = prefixes.size();
    const Ipv4 gws[] = {v4("10.1.0.2"), v4("10.1.0.3"), v4("10.2.0.2"), v4("10.2.0.3")};
    const auto gw_answer = [](Ipv4 g) { return fwd({{static_cast<uint16_t>((g >> 16 & 0xff) == 2), g}}); };
    const Answer blackhole{true, NextHopAction::blackhole, {}};
    // What each origin holds, by prefix index; the model is made from it.
    std::vector<std::optional<Answer>> file(n), cli(n), kernel(n);
    const auto model = [&] {
        Model4 m;
        m.put({v4("10.1.0.0"), 24}, 0, fwd({{0, 0}}));
        m.put({v4("10.2.0.0"), 24}, 0, fwd({{1, 0}}));
        for (size_t i = 0; i < n; ++i) {
            if (cli[i]) m.put(prefixes[i], 1, *cli[i]);
            if (file[i]) m.put(prefixes[i], 2, *file[i]);
            if (kernel[i]) m.put(prefixes[i], 3, *kernel[i]);
        }
        return m;
    };
    std::vector<Route> routes;
    for (size_t i = 0; i < n; ++i) {
        Route r;
        r.prefix4 = prefixes[i];
        if (i % 97 == 0) r.action = RouteAction::blackhole;
        else r.via.push_back(RouteVia{gws[i % 4], {}, -1});
        routes.push_back(r);
        file[i] = i % 97 == 0 ? blackhole : gw_answer(gws[i % 4]);
    }
    ASSERT_EQ(f.fib->replace_origin(RouteOrigin::config, routes), "");
    f.fib->commit();
    const Tables* loaded = f.published.load();
    // Nothing replayed yet: the whole load waits for the control loop.
    EXPECT_TRUE(f.fib->replaying());
    EXPECT_GE(f.fib->stats().replay_left, n);
    EXPECT_EQ(f.fib->stats().nexthops4, 6u + 4u + 1u);  // connected 6, four gateways, one blackhole
    expect_matches(f.t(), model(), rng, prefixes, "after the load");
    // A few chunks, as the control loop would; the published copy does not move.
    size_t left = f.fib->stats().replay_left;
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(f.fib->maintain());
        EXPECT_LT(f.fib->stats().replay_left, left);
        left = f.fib->stats().replay_left;
    }
    EXPECT_GT(left, 0u);
    EXPECT_EQ(f.published.load(), loaded);

    // Changes in the middle of the replay, most on prefixes whose file route is not replayed yet.
    const Ipv4 k = v4("10.2.0.9"), c = v4("10.1.0.9");
    for (size_t i = 0; i < n; i += 53) {
        ASSERT_EQ(f.fib->upsert(route4(format_prefix(prefixes[i]).c_str(), {k}, RouteOrigin::kernel)), "");
        kernel[i] = gw_answer(k);
    }
    for (size_t i = 7; i < n; i += 101) {
        ASSERT_EQ(f.fib->upsert(route4(format_prefix(prefixes[i]).c_str(), {c}, RouteOrigin::cli)), "");
        cli[i] = gw_answer(c);
    }
    for (size_t i = 5; i < n; i += 89) {
        ASSERT_TRUE(f.fib->remove(route4(format_prefix(prefixes[i]).c_str(), {}, RouteOrigin::config)));
        file[i].reset();
    }
    EXPECT_FALSE(f.fib->replaying());  // the first change finished it
    EXPECT_EQ(f.fib->stats().replay_left, 0u);
    f.fib->commit();
    EXPECT_NE(f.published.load(), loaded);
    expect_matches(f.t(), model(), rng, prefixes, "the replayed copy, changed");

    // A whole kernel resync while that batch waits for its replay, then the other copy too.
    EXPECT_TRUE(f.fib->replaying());
    std::vector<Route> resync;
    std::fill(kernel.begin(), kernel.end(), std::nullopt);
    for (size_t i = 0; i < n; i += 3) {
        resync.push_back(route4(format_prefix(prefixes[i]).c_str(), {gws[(i + 1) % 4]}, RouteOrigin::kernel));
        kernel[i] = gw_answer(gws[(i + 1) % 4]);
    }
    ASSERT_EQ(f.fib->replace_origin(RouteOrigin::kernel, resync), "");
    f.fib->commit();
    expect_matches(f.t(), model(), rng, prefixes, "after the kernel resync");
    while (f.fib->maintain()) {
    }
    EXPECT_FALSE(f.fib->replaying());
    // The other copy: published by the next commit (one change outside the model's range).
    ASSERT_EQ(f.fib->upsert(route4("99.0.0.0/8", {c}, RouteOrigin::cli)), "");
    f.fib->commit();
    expect_matches(f.t(), model(), rng, prefixes, "the other copy");
    f.fib->settle();
    EXPECT_EQ(f.fib->stats().replay_left, 0u);
}

}  // namespace
}  // namespace dprouter

namespace dprouter {
namespace {

// The first load goes into the FIB in trie order (route_order.hpp), where an add whose covering
// route has the same next hop writes no DIR-24-8 entry: nested prefixes with alternating and
// repeated next hops, listed in random order, must answer like the model on the copy the workers
// start on and on the second copy, created and filled afterwards.
TEST(LiveFib, FirstLoadOfNestedPrefixesMatchesTheModelOnBothCopies) {
    Fixture f;
    std::mt19937 rng(77);
    std::vector<Ipv4Prefix> prefixes = random_prefixes(rng, 20000);
    for (int i = 0; i < 200; ++i) {  // covering routes, /8 to /15, over the random ones
        const uint8_t len = static_cast<uint8_t>(8 + rng() % 8);
        const Ipv4Prefix p{(v4("20.0.0.0") | static_cast<Ipv4>(rng() & 0x00ffffffu)) & Ipv4Prefix::mask_of(len), len};
        if (std::none_of(prefixes.begin(), prefixes.end(), [&](const Ipv4Prefix& q) { return q.len == p.len && q.addr == p.addr; }))
            prefixes.push_back(p);
    }
    std::shuffle(prefixes.begin(), prefixes.end(), rng);
    const Ipv4 gws[] = {v4("10.1.0.2"), v4("10.2.0.2")};  // two: many children share their parent's
    Model4 model;
    model.put({v4("10.1.0.0"), 24}, 0, fwd({{0, 0}}));
    model.put({v4("10.2.0.0"), 24}, 0, fwd({{1, 0}}));
    std::vector<Route> routes;
    for (const Ipv4Prefix& p : prefixes) {
        Route r;
        r.prefix4 = p;
        if (rng() % 50 == 0) {
            r.action = RouteAction::blackhole;
            model.put(p, 2, Answer{true, NextHopAction::blackhole, {}});
        } else {
            const Ipv4 g = gws[rng() % 2];
            r.via.push_back(RouteVia{g, {}, -1});
            model.put(p, 2, fwd({{static_cast<uint16_t>(g == gws[1]), g}}));
        }
        routes.push_back(r);
    }
    ASSERT_EQ(f.fib->replace_origin(RouteOrigin::config, routes), "");
    f.fib->commit();
    const Tables* first = f.published.load();
    EXPECT_EQ(f.fib->stats().installed4, prefixes.size() + 6);  // and the connected ones
    expect_matches(f.t(), model, rng, prefixes, "the first copy");
    // The second copy: created and filled by the replay, then published by the next change.
    f.fib->settle();
    const Ipv4Prefix extra{v4("30.0.0.0"), 8};
    ASSERT_EQ(f.fib->upsert(route4("30.0.0.0/8", {gws[0]}, RouteOrigin::cli)), "");
    model.put(extra, 1, fwd({{0, gws[0]}}));
    f.fib->commit();
    ASSERT_NE(f.published.load(), first);
    prefixes.push_back(extra);
    expect_matches(f.t(), model, rng, prefixes, "the second copy");
}

}  // namespace
}  // namespace dprouter
