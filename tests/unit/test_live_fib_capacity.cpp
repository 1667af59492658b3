// Live FIB capacity (control_plane.max_routes / max_routes6): the limits the keys give, the EAL
// memory a live FIB of those limits really takes against live_fib_bytes(), that it holds as many
// routes as it was sized for and refuses the next ones with a reason, and the start-up refusal.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "dprouter/config.hpp"
#include "dprouter/live_fib.hpp"
#include "dprouter/route_lookup.hpp"

namespace dprouter {
namespace {

const std::string kInterfaces =
    "interfaces:\n"
    "  - {name: lan, device: d0, addresses: [\"10.1.0.1/24\", \"2001:db8:1::1/64\"]}\n"
    "  - {name: wan, device: d1, addresses: [\"10.2.0.1/24\", \"2001:db8:2::1/64\"]}\n";

Config config(const std::string& extra) {
    const ConfigResult r = parse_config_text(kInterfaces + extra, "t.yaml");
    if (!r.ok()) throw std::runtime_error(error_lines(r.errors)[0]);
    return r.config;
}

size_t heap_allocated() {
    size_t n = 0;
    for (unsigned s = 0; s < rte_socket_count(); ++s) {
        rte_malloc_socket_stats st{};
        if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(s), &st) == 0) n += st.heap_allocsz_bytes;
    }
    return n;
}

struct Qsbr {
    rte_rcu_qsbr* q;
    Qsbr() : q(static_cast<rte_rcu_qsbr*>(rte_zmalloc("t_qsbr", rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE))) {
        rte_rcu_qsbr_init(q, 1);
    }
    ~Qsbr() { rte_free(q); }
};

TEST(LiveFibCapacity, KeysSizeTheFib) {
    const LiveFibLimits plain = live_fib_limits(config(""));
    const LiveFibLimits import = live_fib_limits(config("control_plane: {mirror: true, import_routes: true}\n"));
    const LiveFibLimits big =
        live_fib_limits(config("control_plane: {mirror: true, import_routes: true, max_routes: 1000000, max_routes6: 200000}\n"));
    // The defaults: 65,536 / 16,384 beyond the file's, 262,144 / 65,536 when importing.
    EXPECT_GE(plain.routes4, kRouteHeadroom);
    EXPECT_LT(plain.routes4, kRouteHeadroom + 1000u);
    EXPECT_GE(import.routes4, 262144u);
    EXPECT_LT(import.routes4, 262144u + 1000u);
    EXPECT_GE(import.routes6, 65536u);
    EXPECT_GE(big.routes4, 1000000u);
    EXPECT_LT(big.routes4, 1001000u);
    EXPECT_GE(big.routes6, 200000u);
    EXPECT_LT(big.routes6, 201000u);
    // tbl8 groups grow with the room: one per 64 IPv4 routes, one per 4 IPv6 routes.
    EXPECT_EQ(import.tbl8_4 % 64, 0u);
    EXPECT_GE(big.tbl8_6, 50000u);
    EXPECT_EQ(big.tbl8_4, import.tbl8_4);  // 1,000,000 / 64 is below the import default of 16,384
    EXPECT_GT(live_fib_bytes(big), live_fib_bytes(import));
}

// What a live FIB of given limits takes from the EAL heap (both copies, the next-hop arrays), once
// both copies exist.
size_t measured_bytes(const LiveFibLimits& limits) {
    const Config cfg = config("");
    Qsbr qsbr;
    std::atomic<Tables*> published{nullptr};
    uint16_t port_of[2] = {0, 1};
    rte_ether_addr macs[2] = {};
    const size_t before = heap_allocated();
    auto fib = std::make_unique<LiveFib>(cfg, LivePorts{port_of, macs, nullptr}, qsbr.q, published, limits);
    // The second copy's FIBs are created by the first replay (live_fib.cpp, ensure_writable).
    fib->commit();
    fib->settle();
    return heap_allocated() - before;
}

TEST(LiveFibCapacity, MemoryEstimateMatchesWhatTheFibTakes) {
    LiveFibLimits small;
    small.routes4 = 20000;
    small.routes6 = 2000;
    small.tbl8_4 = small.tbl8_6 = 1024;
    small.nexthops4 = small.nexthops6 = 1024;
    LiveFibLimits big = small;
    big.routes4 = 120000;
    big.routes6 = 12000;
    big.tbl8_4 = big.tbl8_6 = 8192;
    big.nexthops4 = big.nexthops6 = 8192;
    const size_t used_small = measured_bytes(small), used_big = measured_bytes(big);
    const size_t est_small = live_fib_bytes(small), est_big = live_fib_bytes(big);
    // The whole within 2 % (the table shells and heap element headers are not counted), and what
    // the routes, groups and slots add within 5 %.
    EXPECT_GT(est_small, used_small * 98 / 100) << "used " << used_small << " estimate " << est_small;
    EXPECT_LT(est_small, used_small * 102 / 100) << "used " << used_small << " estimate " << est_small;
    const double grow_used = double(used_big) - double(used_small), grow_est = double(est_big) - double(est_small);
    EXPECT_NEAR(grow_est / grow_used, 1.0, 0.05) << "used +" << grow_used << " estimate +" << grow_est;
}

TEST(LiveFibCapacity, HoldsWhatItWasSizedForAndRefusesMore) {
    const Config cfg = config("");
    LiveFibLimits limits;
    limits.routes4 = 50000;
    limits.routes6 = 4096;
    limits.tbl8_4 = 64;
    limits.tbl8_6 = 256;
    limits.nexthops4 = limits.nexthops6 = 64;
    Qsbr qsbr;
    std::atomic<Tables*> published{nullptr};
    uint16_t port_of[2] = {0, 1};
    rte_ether_addr macs[2] = {};
    LiveFib fib(cfg, LivePorts{port_of, macs, nullptr}, qsbr.q, published, limits);
    // Random /24s outside the connected subnets, as a BGP table brings them.
    std::mt19937 rng(7);
    std::set<uint32_t> seen;
    auto next_prefix = [&] {
        for (;;) {
            const uint32_t net = (rng() & 0xffffff00u);
            if ((net >> 24) == 10 || (net >> 24) == 0 || !seen.insert(net).second) continue;
            return net;
        }
    };
    Route r;
    r.origin = RouteOrigin::kernel;
    r.via.push_back(RouteVia{0x0a020002, {}, -1});
    const unsigned room = limits.routes4 - fib.stats().installed4;
    std::vector<uint32_t> installed;
    for (unsigned i = 0; i < room; ++i) {
        r.prefix4 = {next_prefix(), 24};
        ASSERT_EQ(fib.upsert(r), "") << "route " << i << " of " << room;
        installed.push_back(r.prefix4.addr);
        if (i % 4096 == 0) fib.commit();
    }
    fib.commit();
    EXPECT_EQ(fib.stats().installed4, limits.routes4);
    // Beyond: rte_fib reserves two trie nodes per route of max_routes (the route's and a branching
    // one), so a few more may fit; then one is refused with the reason, nothing else changes.
    std::string why;
    for (unsigned extra = 0; extra < limits.routes4 && why.empty(); ++extra) {
        r.prefix4 = {next_prefix(), 24};
        why = fib.upsert(r);
        if (why.empty()) installed.push_back(r.prefix4.addr);
    }
    EXPECT_NE(why.find("the FIB is full"), std::string::npos) << why;
    fib.commit();
    EXPECT_EQ(fib.stats().installed4, limits.routes4 - room + installed.size());
    // Every installed route still answers, the refused one does not.
    const Tables& t = *published.load();
    for (size_t i = 0; i < installed.size(); i += 97) {
        const NextHop* nh = route_lookup_raw(t, installed[i] | 1);
        ASSERT_NE(nh, nullptr);
        EXPECT_EQ(nh->port, 1);
    }
    EXPECT_EQ(route_lookup_raw(t, r.prefix4.addr | 1), nullptr);
    // Removing one makes room for one.
    Route gone = r;
    gone.prefix4 = {installed[0], 24};
    EXPECT_TRUE(fib.remove(gone));
    EXPECT_EQ(fib.upsert(r), "");
    fib.commit();
}

// The second copy's FIBs are created after start-up (live_fib.cpp, ensure_writable). When the EAL
// cannot give that memory any more, a change fails with the reason rather than a wrong answer (a
// removal used to read as "no such route"), nothing changes, and once memory is back it works.
TEST(LiveFibCapacity, SecondCopyOutOfMemoryFailsChangesWithTheReason) {
    const Config cfg = config("");
    Qsbr qsbr;
    std::atomic<Tables*> published{nullptr};
    uint16_t port_of[2] = {0, 1};
    rte_ether_addr macs[2] = {};
    LiveFib fib(cfg, LivePorts{port_of, macs, nullptr}, qsbr.q, published, live_fib_limits(cfg));
    Route r;
    r.origin = RouteOrigin::cli;
    r.prefix4 = {0x14000000, 24};  // 20.0.0.0/24
    r.via.push_back(RouteVia{0x0a020002, {}, -1});
    ASSERT_EQ(fib.upsert(r), "");
    fib.commit();  // the next change needs the second copy, which does not exist yet
    // Take what the EAL has left, in pieces down to 1 MiB; given back however the test ends, so that
    // a failure here does not starve the tests after it.
    struct Hog {
        std::vector<void*> pieces;
        void release() {
            for (void* p : pieces) rte_free(p);
            pieces.clear();
        }
        ~Hog() { release(); }
    } hog;
    for (size_t piece = 64u << 20; piece >= (1u << 20); piece /= 2)
        while (void* p = rte_malloc("t_hog", piece, 0)) hog.pieces.push_back(p);
    ASSERT_FALSE(hog.pieces.empty());
    const RouteRemoval failed = fib.remove(r);
    EXPECT_FALSE(failed);
    EXPECT_NE(failed.error.find("cannot create the live"), std::string::npos) << failed.error;
    Route other = r;
    other.prefix4 = {0x15000000, 24};
    EXPECT_NE(fib.upsert(other), "");
    EXPECT_TRUE(fib.maintain());  // the background retry: still failing (work left), without throwing
    // The route is still there for the workers.
    ASSERT_NE(route_lookup_raw(*published.load(), 0x14000001), nullptr);
    hog.release();
    const RouteRemoval removed = fib.remove(r);
    EXPECT_TRUE(removed) << removed.error;
    EXPECT_FALSE(fib.remove(r));
    EXPECT_TRUE(fib.remove(r).error.empty());  // absent, not failing
    fib.commit();
    EXPECT_EQ(route_lookup_raw(*published.load(), 0x14000001), nullptr);
}

TEST(LiveFibCapacity, StartRefusedWhenTheEalCannotHoldIt) {
    const Config cfg = config("control_plane: {mirror: true, import_routes: true, max_routes: 1000000}\n");
    const LiveFibLimits l = live_fib_limits(cfg);
    EXPECT_EQ(check_live_fib_memory(cfg, l, live_fib_bytes(l)), "");
    const std::string why = check_live_fib_memory(cfg, l, 256u << 20);
    EXPECT_NE(why.find("control_plane.max_routes 1000000"), std::string::npos) << why;
    EXPECT_NE(why.find("256 MiB are left"), std::string::npos) << why;
    EXPECT_NE(why.find("-m"), std::string::npos) << why;
    EXPECT_EQ(why.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace dprouter
