// Live FIB churn micro-benchmark (docs/benchmarking.md "Live FIB churn"). Built, never run by the tests.
//
//   build/fib_churn_bench [ROUTES [CHANGES_PER_S [CHANGES_PER_COMMIT]]] -- EAL-ARGS
//   (default: 1000000 routes, 10000 changes/s; EAL: --no-huge -m 3072 --no-pci -l 0,1 --no-shconf)
//
// 1. Adds ROUTES IPv4 routes through LiveFib::upsert, committing every 1000 (as a netlink reader
//    would after a read), and removes them again: time for each.
// 2. With the table full, one worker lcore (registered with the QSBR, quiescent after every burst
//    of 32) looks up random covered addresses for 2 s, idle control thread; then 2 s while the
//    control thread replaces CHANGES_PER_S routes per second, committing every CHANGES_PER_COMMIT (1).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
// DPDK 22.11's rte_vect.h lacks the extern "C" its siblings have.
extern "C" {
#include <rte_vect.h>
}

#include "dprouter/config.hpp"
#include "dprouter/live_fib.hpp"
#include "dprouter/route_lookup.hpp"

using namespace dprouter;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Route i: a /24 from 1.0.0.0 upwards; every 20th is a /28 inside its /24's neighbour space
// (about 5% longer than /24, like an Internet table), over 16 gateways.
Route route_of(uint32_t i) {
    Route r;
    r.origin = RouteOrigin::kernel;
    const uint32_t base = 0x01000000u + (i << 8);
    r.prefix4 = i % 20 == 19 ? Ipv4Prefix{base | 0x10, 28} : Ipv4Prefix{base, 24};
    r.via.push_back(RouteVia{(i % 2 ? 0x0a010000u : 0x0a020000u) | (2 + i % 8), {}, -1});  // 10.1.0.x / 10.2.0.x
    return r;
}

struct Reader {
    const std::atomic<Tables*>* published;
    rte_rcu_qsbr* qsbr;
    uint32_t routes;
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> lookups{0};
    uint64_t sink = 0;
};

int reader_main(void* arg) {
    auto* r = static_cast<Reader*>(arg);
    rte_rcu_qsbr_thread_register(r->qsbr, 0);
    rte_rcu_qsbr_thread_online(r->qsbr, 0);
    std::mt19937 rng(1);
    uint32_t dst[32];
    uint64_t hop[32];
    uint64_t n = 0, sink = 0;
    while (!r->stop.load(std::memory_order_relaxed)) {
        const Tables* t = r->published->load(std::memory_order_acquire);
        for (auto& d : dst) d = 0x01000000u + ((rng() % r->routes) << 8) + (rng() & 0xff);
        route_lookup_bulk(*t, dst, hop, 32);
        for (unsigned i = 0; i < 32; ++i)
            if (const NextHop* nh = next_hop_at(*t, hop[i])) sink += nh->gateway_be;
        n += 32;
        rte_rcu_qsbr_quiescent(r->qsbr, 0);
        if ((n & 0xffff) == 0) r->lookups.store(n, std::memory_order_relaxed);
    }
    r->lookups.store(n);
    r->sink = sink;
    rte_rcu_qsbr_thread_offline(r->qsbr, 0);
    rte_rcu_qsbr_thread_unregister(r->qsbr, 0);
    return 0;
}

double lookup_rate(Reader& rd, double secs, const std::function<void()>& during) {
    const uint64_t start = rd.lookups.load();
    const auto t0 = Clock::now();
    while (seconds_since(t0) < secs) during();
    return (rd.lookups.load() - start) / seconds_since(t0);
}

}  // namespace

int main(int argc, char** argv) {
    int sep = 1;
    while (sep < argc && std::string(argv[sep]) != "--") ++sep;
    const uint32_t n_routes = sep > 1 ? static_cast<uint32_t>(std::strtoul(argv[1], nullptr, 10)) : 1000000;
    const double rate = sep > 2 ? std::strtod(argv[2], nullptr) : 10000;
    const unsigned per_commit = sep > 3 ? static_cast<unsigned>(std::strtoul(argv[3], nullptr, 10)) : 1;
    std::vector<std::string> eal{"fib_churn_bench"};
    if (sep < argc)
        for (int i = sep + 1; i < argc; ++i) eal.emplace_back(argv[i]);
    else
        eal.insert(eal.end(), {"--no-huge", "-m", "3072", "--no-pci", "-l", "0,1", "--no-shconf", "--log-level", "lib.eal:warning"});
    std::vector<char*> args;
    for (auto& a : eal) args.push_back(a.data());
    if (rte_eal_init(static_cast<int>(args.size()), args.data()) < 0) {
        std::fprintf(stderr, "EAL init failed\n");
        return 1;
    }
    const ConfigResult cr = parse_config_text(
        "interfaces:\n"
        "  - {name: lan, device: d0, addresses: [\"10.1.0.1/24\"]}\n"
        "  - {name: wan, device: d1, addresses: [\"10.2.0.1/24\"]}\n",
        "bench.yaml");
    if (!cr.ok()) return 1;
    const uint16_t port_of[2] = {0, 1};
    const rte_ether_addr macs[2] = {};
    auto* qsbr = static_cast<rte_rcu_qsbr*>(rte_zmalloc("b_qsbr", rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE));
    rte_rcu_qsbr_init(qsbr, 1);
    std::atomic<Tables*> published{nullptr};
    LiveFibLimits limits;
    limits.routes4 = n_routes + n_routes / 10 + 1024;
    limits.tbl8_4 = n_routes / 20 + 4096;
    LiveFib fib(cr.config, LivePorts{port_of, macs, nullptr}, qsbr, published, limits);
    fib.commit();

    auto t0 = Clock::now();
    for (uint32_t i = 0; i < n_routes; ++i) {
        if (const std::string err = fib.upsert(route_of(i)); !err.empty()) {
            std::fprintf(stderr, "route %u: %s\n", i, err.c_str());
            return 1;
        }
        if (i % 1000 == 999) fib.commit();
    }
    fib.commit();
    fib.settle();
    const double add_s = seconds_since(t0);
    std::printf("add %u routes: %.2f s (%.0f routes/s)\n", n_routes, add_s, n_routes / add_s);

    t0 = Clock::now();
    for (uint32_t i = 0; i < n_routes; ++i) {
        fib.remove(route_of(i));
        if (i % 1000 == 999) fib.commit();
    }
    fib.commit();
    fib.settle();
    const double del_s = seconds_since(t0);
    std::printf("remove %u routes: %.2f s (%.0f routes/s)\n", n_routes, del_s, n_routes / del_s);

    for (uint32_t i = 0; i < n_routes; ++i) {
        fib.upsert(route_of(i));
        if (i % 1000 == 999) fib.commit();
    }
    fib.commit();
    fib.settle();

    Reader rd;
    rd.published = &published;
    rd.qsbr = qsbr;
    rd.routes = n_routes;
    const unsigned lcore = rte_get_next_lcore(-1, 1, 0);
    if (lcore >= RTE_MAX_LCORE || rte_eal_remote_launch(reader_main, &rd, lcore) != 0) {
        std::fprintf(stderr, "need a worker lcore (-l 0,1)\n");
        return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    // Idle and churning windows alternate, so that a busy machine's drift hits both alike.
    std::mt19937 rng(3);
    uint64_t changes = 0;
    double churn_s = 0, idle_sum = 0, busy_sum = 0;
    for (int w = 0; w < 4; ++w) {
    const double idle = lookup_rate(rd, 1.0, [] { std::this_thread::sleep_for(std::chrono::microseconds(100)); });
    const uint64_t changes_before = changes;
    const auto churn_start = Clock::now();
    const double busy = lookup_rate(rd, 1.0, [&] {
        // Paced: `rate` changes per second, each one a route moved to another gateway and committed.
        const double due = static_cast<double>(changes_before) + seconds_since(churn_start) * rate;
        while (changes < due) {
            Route r = route_of(rng() % n_routes);
            r.via[0].gateway4 = (r.via[0].gateway4 & ~0xffu) | (2 + rng() % 8);
            fib.upsert(r);
            if (++changes % per_commit == 0) fib.commit();
        }
        fib.maintain();
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    });
    churn_s += seconds_since(churn_start);
    std::printf("window %d: lookups %.1f M/s idle, %.1f M/s churning (%.3fx)\n", w, idle / 1e6, busy / 1e6, busy / idle);
    idle_sum += idle;
    busy_sum += busy;
    }
    rd.stop = true;
    rte_eal_wait_lcore(lcore);
    std::printf("lookups on one lcore: %.1f M/s idle, %.1f M/s with %.0f changes/s applied, %u per commit (%.3fx)\n",
                idle_sum / 4e6, busy_sum / 4e6, changes / churn_s, per_commit, busy_sum / idle_sum);
    const LiveFib::Stats s = fib.stats();
    std::printf("commits %lu, replays %lu, next hops reclaimed %lu (sink %lu)\n", static_cast<unsigned long>(s.commits),
                static_cast<unsigned long>(s.replays), static_cast<unsigned long>(s.reclaimed),
                static_cast<unsigned long>(rd.sink & 1));
    return 0;
}
