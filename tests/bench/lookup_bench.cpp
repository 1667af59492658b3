// Route-table micro-benchmark: rte_lpm against rte_fib (DIR-24-8, scalar and AVX-512 lookup) on N
// routes with the Internet-like mix of scripts/bench/gen_routes.py (60 % /24, 35 % /16../23, 5 %
// /25../32, unicast first octets, distinct; seeded). Times (a) the build and (b) lookups of 64 Ki
// destinations (nine in ten inside some route, the rest anywhere) in bursts of 32, in ns and TSC
// cycles per lookup. Not run by the tests; docs/benchmarking.md "Large tables" has figures.
//
// With --ipv6: rte_lpm6 against rte_fib6 (TRIE with 2-byte next hops, as the router builds it;
// scalar and AVX-512 lookup) on N IPv6 routes of /48../64 under 2,048 /32 allocations in 2000::/3
// (see make_routes6), lookups of 64 Ki destinations in bursts of 32, build time and the DPDK heap
// memory each structure takes. docs/benchmarking.md "IPv6 FIB" has figures.
//
//   build/lookup_bench N [--no-lpm | --ipv6 [--fib6-first]] -- EAL-ARGS   (e.g. -- --no-huge -m 2048 --no-pci)
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

// DPDK 22.11's rte_vect.h lacks the extern "C" its siblings have (and rte_lpm.h includes it).
extern "C" {
#include <rte_vect.h>
}
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_malloc.h>

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
    std::printf("%-22s %8zu routes  build %8.3f s  lookup %6.2f ns %6.1f cycles %7.1f Mlookups/s\n", what, n_routes,
                build_s, best_s * 1e9 / lookups, static_cast<double>(best_cycles) / lookups, lookups / best_s / 1e6);
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

// ---------------------------------------------------------------------------------------------
// IPv6

using Addr6 = std::array<uint8_t, 16>;

struct Route6 {
    Addr6 net;
    uint8_t len;
};

Addr6 cut(Addr6 a, unsigned len) {
    for (unsigned i = 0; i < 16; ++i) {
        const unsigned bit = i * 8;
        if (bit >= len) a[i] = 0;
        else if (bit + 8 > len) a[i] &= static_cast<uint8_t>(0xff << (8 - (len - bit)));
    }
    return a;
}

// Global unicast space is handed out in /32s (and larger) by the RIRs, and announced as /48s and
// longer under them: 2,048 random /32s in 2000::/3, each route a random /48 (60 %) or /49../64
// under one of them. Distinct, seeded.
std::vector<Route6> make_routes6(size_t n, std::mt19937_64& rng) {
    std::vector<Addr6> blocks(2048);
    for (auto& b : blocks) {
        b = {};
        const uint32_t top = static_cast<uint32_t>(rng());
        b[0] = static_cast<uint8_t>(0x20 | ((top >> 24) & 0x1f));
        b[1] = static_cast<uint8_t>(top >> 16);
        b[2] = static_cast<uint8_t>(top >> 8);
        b[3] = static_cast<uint8_t>(top);
    }
    std::vector<Route6> v;
    v.reserve(n);
    std::set<std::pair<Addr6, uint8_t>> seen;
    std::uniform_real_distribution<double> u(0, 1);
    while (v.size() < n) {
        const unsigned len = u(rng) < 0.6 ? 48 : 49 + rng() % 16;
        Addr6 a = blocks[rng() % blocks.size()];
        const uint64_t r = rng();
        for (unsigned i = 4; i < 8; ++i) a[i] = static_cast<uint8_t>(r >> (8 * i));
        a = cut(a, len);
        if (seen.emplace(a, static_cast<uint8_t>(len)).second) v.push_back({a, static_cast<uint8_t>(len)});
    }
    return v;
}

// Both structures keep tbl8 groups of 256 entries below a 2^24 first level: one group per
// distinct (prefix cut to D bits, D) for D = 24, 32, ... below the prefix length (the count
// table_builder6.cpp sizes the router's FIB with).
uint32_t tbl8_groups6(const std::vector<Route6>& routes) {
    std::set<std::pair<Addr6, uint8_t>> groups;
    for (const auto& r : routes)
        for (unsigned d = 24; d < r.len; d += 8) groups.emplace(cut(r.net, d), static_cast<uint8_t>(d));
    return static_cast<uint32_t>(groups.size());
}

// rte_fib6's TRIE refuses a route (ENOSPC) unless its pool has room for the tbl8 groups the route
// could need on its own: one per byte from its covering route's depth (at least 24) down to its
// own, rounded up to whole bytes; a route with another route already under the same whole-byte
// prefix reserves nothing (DPDK lib/fib/trie.c, trie_modify). Groups shared between routes are
// not subtracted, so this is what the pool must hold: without covering routes, the sum below.
uint32_t tbl8_reserved6(const std::vector<Route6>& routes) {
    uint64_t sum = 0;
    for (const auto& r : routes)
        if (r.len > 24) sum += (RTE_ALIGN_CEIL(r.len, 8u) - 24) / 8;
    return static_cast<uint32_t>(std::min<uint64_t>(sum, UINT32_MAX));
}

size_t heap_bytes() {
    rte_malloc_socket_stats st{};
    size_t total = 0;
    for (int s = 0; s < RTE_MAX_NUMA_NODES; ++s)
        if (rte_malloc_get_socket_stats(s, &st) == 0) total += st.heap_allocsz_bytes;
    return total;
}

void print_memory(const char* what, size_t before) {
    std::printf("%-22s memory %7.1f MiB (DPDK heap)\n", what, static_cast<double>(heap_bytes() - before) / (1 << 20));
}

void bench_lpm6(const std::vector<Route6>& routes, std::vector<Addr6>& dst, uint32_t groups) {
    const size_t before = heap_bytes();
    rte_lpm6_config c{};
    c.max_rules = static_cast<uint32_t>(routes.size()) + 16;
    c.number_tbl8s = groups + 64;
    rte_lpm6* lpm = rte_lpm6_create("bench_lpm6", SOCKET_ID_ANY, &c);
    if (lpm == nullptr) { std::printf("rte_lpm6_create: %s\n", rte_strerror(rte_errno)); return; }
    const double t0 = now_s();
    for (size_t i = 0; i < routes.size(); ++i)
        if (rte_lpm6_add(lpm, routes[i].net.data(), routes[i].len, static_cast<uint32_t>(i & 0x7fff)) != 0) {
            std::printf("rte_lpm6_add failed at route %zu\n", i);
            break;
        }
    const double build = now_s() - t0;
    print_memory("rte_lpm6", before);
    int32_t hop[kBurst];
    uint64_t acc = 0;
    auto* keys = reinterpret_cast<uint8_t(*)[16]>(dst.data());
    measure("rte_lpm6 lookup_bulk", routes.size(), build, [&] {
        for (unsigned i = 0; i < kDests; i += kBurst) {
            rte_lpm6_lookup_bulk_func(lpm, keys + i, hop, kBurst);
            acc += static_cast<uint32_t>(hop[0]);
        }
    });
    sink = acc;
    rte_lpm6_free(lpm);
}

// `wide`: 4-byte next hops (no limit on the pool that matters here) rather than the router's 2
// bytes, whose pool holds at most 2^15 - 1 groups.
void bench_fib6(const std::vector<Route6>& routes, std::vector<Addr6>& dst, uint32_t groups, bool wide) {
    const size_t before = heap_bytes();
    const char* what = wide ? "rte_fib6 TRIE 4B" : "rte_fib6 TRIE 2B";
    rte_fib6_conf c{};
    c.type = RTE_FIB6_TRIE;
    c.default_nh = wide ? (uint64_t{1} << 31) - 1 : (uint64_t{1} << 15) - 1;
    c.max_routes = static_cast<int>(routes.size()) + 16;
    c.trie.nh_sz = wide ? RTE_FIB6_TRIE_4B : RTE_FIB6_TRIE_2B;
    c.trie.num_tbl8 = static_cast<uint32_t>(std::min<uint64_t>(RTE_ALIGN_CEIL(uint64_t{groups} + 64, 64u), c.default_nh));
    std::printf("%-22s pool of %u tbl8 groups\n", what, c.trie.num_tbl8);
    rte_fib6* fib = rte_fib6_create(wide ? "bench_fib6_4" : "bench_fib6_2", SOCKET_ID_ANY, &c);
    if (fib == nullptr) { std::printf("rte_fib6_create: %s\n", rte_strerror(rte_errno)); return; }
    const double t0 = now_s();
    for (size_t i = 0; i < routes.size(); ++i)
        if (const int rc = rte_fib6_add(fib, routes[i].net.data(), routes[i].len, i & 0x7fff); rc != 0) {
            std::printf("%-22s rte_fib6_add refused route %zu: %s; not measured\n", what, i, rte_strerror(-rc));
            rte_fib6_free(fib);
            return;
        }
    const double build = now_s() - t0;
    print_memory(what, before);
    uint64_t hop[kBurst];
    uint64_t acc = 0;
    auto* keys = reinterpret_cast<uint8_t(*)[16]>(dst.data());
    for (const bool vector : {false, true}) {
        if (vector && (rte_vect_set_max_simd_bitwidth(RTE_VECT_SIMD_512) != 0 ||
                       rte_fib6_select_lookup(fib, RTE_FIB6_LOOKUP_TRIE_VECTOR_AVX512) != 0)) {
            std::printf("rte_fib6 AVX-512 lookup: not available\n");
            break;
        }
        if (!vector) rte_fib6_select_lookup(fib, RTE_FIB6_LOOKUP_TRIE_SCALAR);
        measure(vector ? (wide ? "rte_fib6 4B AVX-512" : "rte_fib6 2B AVX-512") : (wide ? "rte_fib6 4B scalar" : "rte_fib6 2B scalar"),
                routes.size(), build, [&] {
            for (unsigned i = 0; i < kDests; i += kBurst) {
                rte_fib6_lookup_bulk(fib, keys + i, hop, kBurst);
                acc += hop[0];
            }
        });
    }
    sink = acc;
    rte_fib6_free(fib);
}

// Nine in ten destinations inside some route, the rest anywhere in 2000::/3 (mostly misses).
// `fib6_first`: measure in the other order, to alternate between runs on a shared machine.
void run_ipv6(size_t n, std::mt19937_64& rng, bool fib6_first) {
    const std::vector<Route6> routes = make_routes6(n, rng);
    std::vector<Addr6> dst(kDests);
    for (auto& d : dst) {
        const Route6& r = routes[rng() % routes.size()];
        for (auto& b : d) b = static_cast<uint8_t>(rng());
        if (rng() % 10 == 0) {
            d[0] = static_cast<uint8_t>(0x20 | (d[0] & 0x1f));
            continue;
        }
        const Addr6 host = d;
        d = r.net;
        for (unsigned i = 0; i < 16; ++i) {
            const unsigned bit = i * 8;
            if (bit >= r.len) d[i] = host[i];
            else if (bit + 8 > r.len) d[i] |= host[i] & static_cast<uint8_t>(0xff >> (r.len - bit));
        }
    }
    const uint32_t groups = tbl8_groups6(routes);
    const uint32_t reserved = tbl8_reserved6(routes);
    std::printf("TSC %.2f GHz; bursts of %u, %u destinations x %u passes; %u tbl8 groups used, %u reserved by rte_fib6\n",
                rte_get_tsc_hz() / 1e9, kBurst, kDests, kPasses, groups, reserved);
    if (!fib6_first) bench_lpm6(routes, dst, groups);
    bench_fib6(routes, dst, reserved, false);
    bench_fib6(routes, dst, reserved, true);
    if (fib6_first) bench_lpm6(routes, dst, groups);
}

}  // namespace

int main(int argc, char** argv) {
    int eal_at = argc;
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "--") == 0) { eal_at = i; break; }
    if (eal_at < 2) { std::fprintf(stderr, "usage: %s N [--no-lpm | --ipv6 [--fib6-first]] -- EAL-ARGS\n", argv[0]); return 2; }
    const size_t n = std::strtoull(argv[1], nullptr, 10);
    const bool lpm = !(eal_at > 2 && std::strcmp(argv[2], "--no-lpm") == 0);
    const bool ipv6 = eal_at > 2 && std::strcmp(argv[2], "--ipv6") == 0;
    const bool fib6_first = ipv6 && eal_at > 3 && std::strcmp(argv[3], "--fib6-first") == 0;
    argv[eal_at] = argv[0];
    if (rte_eal_init(argc - eal_at, argv + eal_at) < 0) { std::fprintf(stderr, "EAL init failed\n"); return 1; }

    std::mt19937_64 rng(1);
    if (ipv6) {
        run_ipv6(n, rng, fib6_first);
        rte_eal_cleanup();
        return 0;
    }
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
