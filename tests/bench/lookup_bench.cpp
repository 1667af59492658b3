// Route-table micro-benchmark: rte_lpm against rte_fib (DIR-24-8, scalar and AVX-512 lookup) on N
// routes with the Internet-like mix of scripts/bench/gen_routes.py (60 % /24, 35 % /16../23, 5 %
// /25../32, unicast first octets, distinct; seeded). Times (a) the build and (b) lookups of 64 Ki
// destinations (nine in ten inside some route, the rest anywhere) in bursts of 32, in ns and TSC
// cycles per lookup. Not run by the tests; docs/benchmarking.md "Large tables" has figures.
//
//   build/tests/bench/lookup_bench N [--no-lpm] -- EAL-ARGS   (e.g. -- --no-huge -m 2048 --no-pci)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

// DPDK 22.11's rte_vect.h lacks the extern "C" its siblings have (and rte_lpm.h includes it).
extern "C" {
#include <rte_vect.h>
}
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_fib.h>
#include <rte_lpm.h>

namespace {

struct Route {
    uint32_t net;
    uint8_t len;
};

std::vector<Route> make_routes(size_t n, std::mt19937_64& rng) {
    std::vector<Route> v;
    v.reserve(n);
    std::unordered_set<uint64_t> seen;
    std::uniform_real_distribution<double> u(0, 1);
    while (v.size() < n) {
        const double r = u(rng);
        const unsigned len = r < 0.60 ? 24 : r < 0.95 ? 16 + rng() % 8 : 25 + rng() % 8;
        unsigned first;
        do first = 1 + rng() % 223; while (first == 10 || first == 127);
        const uint32_t addr = first << 24 | static_cast<uint32_t>(rng() & 0xffffff);
        const uint32_t net = addr & (0xffffffffu << (32 - len));
        if (seen.insert(uint64_t{net} << 8 | len).second) v.push_back({net, static_cast<uint8_t>(len)});
    }
    return v;
}

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

constexpr unsigned kDests = 65536, kBurst = 32, kPasses = 16, kRuns = 7;

// Runs `pass` (one sweep over the destinations) once to warm the caches, then kRuns times kPasses
// sweeps, and prints the fastest run: the CPUs are shared, the slower runs measure the neighbours.
template <typename Pass>
void measure(const char* what, size_t n_routes, double build_s, Pass pass) {
    pass();
    double best_s = 1e9;
    uint64_t best_cycles = 0;
    for (unsigned r = 0; r < kRuns; ++r) {
        const double t0 = now_s();
        const uint64_t c0 = rte_rdtsc();
        for (unsigned p = 0; p < kPasses; ++p) pass();
        const uint64_t cycles = rte_rdtsc() - c0;
        const double s = now_s() - t0;
        if (s < best_s) best_s = s, best_cycles = cycles;
    }
    const double lookups = double{kDests} * kPasses;
    std::printf("%-22s %8zu routes  build %8.3f s  lookup %6.2f ns %6.1f cycles\n", what, n_routes, build_s,
                best_s * 1e9 / lookups, static_cast<double>(best_cycles) / lookups);
}

volatile uint64_t sink;

void bench_lpm(const std::vector<Route>& routes, const std::vector<uint32_t>& dst) {
    rte_lpm_config c{};
    c.max_rules = static_cast<uint32_t>(routes.size()) + 16;
    c.number_tbl8s = static_cast<uint32_t>(routes.size() / 8) + 4096;
    rte_lpm* lpm = rte_lpm_create("bench_lpm", SOCKET_ID_ANY, &c);
    if (lpm == nullptr) { std::printf("rte_lpm_create: %s\n", rte_strerror(rte_errno)); return; }
    double t0 = now_s();
    for (size_t i = 0; i < routes.size(); ++i) rte_lpm_add(lpm, routes[i].net, routes[i].len, i & 0xff);
    const double build = now_s() - t0;
    uint64_t acc = 0;
    uint32_t hop[kBurst];
    measure("rte_lpm lookup_bulk", routes.size(), build, [&] {
        for (unsigned i = 0; i < kDests; i += kBurst) {
            rte_lpm_lookup_bulk(lpm, &dst[i], hop, kBurst);
            acc += hop[0];
        }
    });
    // eight rte_lpm_lookupx4 per burst of 32 (the vector branch's fast path)
    measure("rte_lpm lookupx4", routes.size(), build, [&] {
        for (unsigned i = 0; i < kDests; i += kBurst) {
            for (unsigned k = 0; k < kBurst; k += 4) {
                const xmm_t keys = _mm_loadu_si128(reinterpret_cast<const __m128i*>(&dst[i + k]));
                rte_lpm_lookupx4(lpm, keys, &hop[k], UINT32_MAX);
            }
            acc += hop[0];
        }
    });
    sink = acc;
    rte_lpm_free(lpm);
}

void bench_fib(const std::vector<Route>& routes, const std::vector<uint32_t>& dst) {
    rte_fib_conf c{};
    c.type = RTE_FIB_DIR24_8;
    c.default_nh = (uint64_t{1} << 31) - 1;
    c.max_routes = static_cast<int>(routes.size()) + 16;
    c.dir24_8.nh_sz = RTE_FIB_DIR24_8_4B;
    c.dir24_8.num_tbl8 = RTE_ALIGN_CEIL(static_cast<uint32_t>(routes.size() / 8) + 4096, 64u);
    rte_fib* fib = rte_fib_create("bench_fib", SOCKET_ID_ANY, &c);
    if (fib == nullptr) { std::printf("rte_fib_create: %s\n", rte_strerror(rte_errno)); return; }
    double t0 = now_s();
    for (size_t i = 0; i < routes.size(); ++i)
        if (rte_fib_add(fib, routes[i].net, routes[i].len, i & 0xff) != 0) {
            std::printf("rte_fib_add failed at route %zu\n", i);
            break;
        }
    const double build = now_s() - t0;
    std::vector<uint32_t> keys(dst);  // rte_fib_lookup_bulk's addresses are not const
    uint64_t hop[kBurst];
    uint64_t acc = 0;
    for (const bool vector : {false, true}) {
        if (vector && (rte_vect_set_max_simd_bitwidth(RTE_VECT_SIMD_512) != 0 ||
                       rte_fib_select_lookup(fib, RTE_FIB_LOOKUP_DIR24_8_VECTOR_AVX512) != 0)) {
            std::printf("rte_fib AVX-512 lookup: not available\n");
            break;
        }
        if (!vector) rte_fib_select_lookup(fib, RTE_FIB_LOOKUP_DIR24_8_SCALAR_INLINE);
        measure(vector ? "rte_fib AVX-512" : "rte_fib scalar", routes.size(), build, [&] {
            for (unsigned i = 0; i < kDests; i += kBurst) {
                rte_fib_lookup_bulk(fib, &keys[i], hop, kBurst);
                acc += hop[0];
            }
        });
    }
    sink = acc;
    rte_fib_free(fib);
}

}  // namespace

int main(int argc, char** argv) {
    int eal_at = argc;
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "--") == 0) { eal_at = i; break; }
    if (eal_at < 2) { std::fprintf(stderr, "usage: %s N [--no-lpm] -- EAL-ARGS\n", argv[0]); return 2; }
    const size_t n = std::strtoull(argv[1], nullptr, 10);
    const bool lpm = !(eal_at > 2 && std::strcmp(argv[2], "--no-lpm") == 0);
    argv[eal_at] = argv[0];
    if (rte_eal_init(argc - eal_at, argv + eal_at) < 0) { std::fprintf(stderr, "EAL init failed\n"); return 1; }

    std::mt19937_64 rng(1);
    const std::vector<Route> routes = make_routes(n, rng);
    std::vector<uint32_t> dst(kDests);
    for (auto& d : dst) {
        const Route& r = routes[rng() % routes.size()];
        const uint32_t host_bits = r.len == 32 ? 0 : 0xffffffffu >> r.len;
        d = rng() % 10 == 0 ? static_cast<uint32_t>(rng()) : r.net | (static_cast<uint32_t>(rng()) & host_bits);
    }
    std::printf("TSC %.2f GHz; bursts of %u, %u destinations x %u passes\n", rte_get_tsc_hz() / 1e9, kBurst, kDests, kPasses);
    if (lpm) bench_lpm(routes, dst);
    bench_fib(routes, dst);
    rte_eal_cleanup();
    return 0;
}
