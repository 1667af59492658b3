// Every lookup implementation rte_fib and rte_fib6 offer answers what a longest-prefix match over
// the configured routes says, on one table of nested random routes. The router picks the widest
// lookup the CPU and the EAL allow (include/dprouter/simd_policy.hpp), and so do these tests' EAL
// and tables; each implementation is forced here with rte_fib_select_lookup /
// rte_fib6_select_lookup, so the scalar ones stay covered on a machine that runs the AVX-512 ones.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <rte_byteorder.h>
#include <rte_fib.h>
#include <rte_fib6.h>
// DPDK 22.11's rte_vect.h lacks the extern "C" its siblings have.
extern "C" {
#include <rte_vect.h>
}

#include "dprouter/config.hpp"
#include "dprouter/route_lookup.hpp"
#include "dprouter/simd_policy.hpp"
#include "dprouter/tables.hpp"

namespace dprouter {
namespace {

struct FreeTables {
    void operator()(Tables* t) const { free_tables(t); }
};
using TablesPtr = std::unique_ptr<Tables, FreeTables>;

TablesPtr build(const std::string& routes_yaml) {
    const ConfigResult r = parse_config_text(
        "interfaces:\n"
        "  - {name: lan, device: d0, addresses: [\"10.1.0.1/24\", \"2001:db8:1::1/64\"]}\n"
        "  - {name: wan, device: d1, addresses: [\"10.2.0.1/24\", \"2001:db8:2::1/64\"]}\n"
        "routes:\n" +
            routes_yaml,
        "t.yaml");
    if (!r.ok()) throw std::runtime_error(error_lines(r.errors)[0]);
    const uint16_t port_of[] = {0, 1};
    const rte_ether_addr macs[2] = {};
    return TablesPtr(build_tables(r.config, port_of, macs, 1));
}

// What a route says: blackhole (gw 0), or forward via gateway number `gw` (0..7).
struct Expect {
    bool blackhole = false;
    unsigned gw = 0;
    friend bool operator==(const Expect&, const Expect&) = default;
};

std::string say(const Expect& e) { return e.blackhole ? "blackhole/" + std::to_string(e.gw) : "gateway " + std::to_string(e.gw); }

using A6 = std::array<uint8_t, 16>;

A6 masked6(A6 a, unsigned len) {
    for (unsigned i = 0; i < 16; ++i) {
        const unsigned keep = len > i * 8 ? (len - i * 8 >= 8 ? 8 : len - i * 8) : 0;
        a[i] &= static_cast<uint8_t>(keep == 0 ? 0 : 0xff00 >> keep);
    }
    return a;
}
A6 last6(A6 a, unsigned len) {  // the prefix's highest address
    for (unsigned i = 0; i < 16; ++i) {
        const unsigned keep = len > i * 8 ? (len - i * 8 >= 8 ? 8 : len - i * 8) : 0;
        a[i] |= static_cast<uint8_t>(0xff >> keep);
    }
    return a;
}
A6 step6(A6 a, int d) {  // a + d, d = +1 or -1, wrapping
    for (int i = 15; i >= 0; --i) {
        const uint8_t before = a[static_cast<unsigned>(i)];
        a[static_cast<unsigned>(i)] = static_cast<uint8_t>(before + d);
        if ((d > 0 && before != 0xff) || (d < 0 && before != 0x00)) break;
    }
    return a;
}
std::string text6(const A6& a) {
    char s[64];
    std::snprintf(s, sizeof s, "%x:%x:%x:%x:%x:%x:%x:%x", a[0] << 8 | a[1], a[2] << 8 | a[3], a[4] << 8 | a[5],
                  a[6] << 8 | a[7], a[8] << 8 | a[9], a[10] << 8 | a[11], a[12] << 8 | a[13], a[14] << 8 | a[15]);
    return s;
}
bool within6(const A6& a, const A6& net, unsigned len) { return masked6(a, len) == net; }

std::string route_line(const std::string& prefix, const Expect& e, bool v6) {
    if (e.blackhole) return "  - {prefix: \"" + prefix + "\", action: blackhole}\n";
    return "  - {prefix: \"" + prefix + "\", via: \"" +
           (v6 ? "2001:db8:2::1" + std::to_string(e.gw) : "10.2.0.1" + std::to_string(e.gw)) + "\"}\n";
}

// The next hop a lookup answered, as an Expect (gateway number from its last byte).
Expect seen4(const Tables& t, uint64_t idx) {
    const NextHop* nh = next_hop_at(t, idx);
    if (nh == nullptr) return {true, 99};
    if (nh->action == NextHopAction::blackhole) return {true, 0};
    if (nh->action != NextHopAction::forward) return {true, 98};
    return {false, (rte_be_to_cpu_32(nh->gateway_be) & 0xff) - 10};
}
Expect seen6(const Tables& t, uint64_t idx) {
    const NextHop6* nh = next_hop6_at(t, idx);
    if (nh == nullptr) return {true, 99};
    if (nh->action == NextHopAction::blackhole) return {true, 0};
    if (nh->action != NextHopAction::forward) return {true, 98};
    return {false, nh->gateway[15] - 0x10u};
}

TEST(FibLookups, EveryIpv4LookupMatchesLongestPrefix) {
    // 20.0.0.0/8 via gateway 0, then 800 routes /9../32 inside it, half of them nested in an
    // earlier one; every tenth a blackhole.
    std::mt19937 rng(7);
    std::vector<std::pair<Ipv4Prefix, Expect>> routes{{{20u << 24, 8}, {false, 0}}};
    std::set<std::pair<uint32_t, unsigned>> seen{{20u << 24, 8}};
    while (routes.size() < 800) {
        const unsigned len = 9 + rng() % 24;
        uint32_t a = (20u << 24) | (rng() & 0xffffff);
        if (rng() & 1) {
            const Ipv4Prefix& parent = routes[rng() % routes.size()].first;
            a = parent.network() | (a & ~parent.mask());
        }
        const Ipv4Prefix p{a & Ipv4Prefix::mask_of(static_cast<uint8_t>(len)), static_cast<uint8_t>(len)};
        if (!seen.insert({p.addr, len}).second) continue;
        const unsigned gw = static_cast<unsigned>(rng() % 8);
        routes.push_back({p, routes.size() % 10 == 0 ? Expect{true, 0} : Expect{false, gw}});
    }
    std::string yaml;
    for (const auto& [p, e] : routes)
        yaml += route_line(std::to_string(p.addr >> 24) + "." + std::to_string(p.addr >> 16 & 255) + "." +
                               std::to_string(p.addr >> 8 & 255) + "." + std::to_string(p.addr & 255) + "/" +
                               std::to_string(p.len),
                           e, false);
    TablesPtr t = build(yaml);

    // Each prefix's first and last address and their neighbours, and random ones, all in 20/8.
    std::vector<uint32_t> dst;
    for (const auto& r : routes)
        for (const uint32_t a : {r.first.network(), r.first.broadcast(), r.first.network() - 1, r.first.broadcast() + 1})
            if (a >> 24 == 20) dst.push_back(a);
    for (int i = 0; i < 4096; ++i) dst.push_back((20u << 24) | (rng() & 0xffffff));
    std::vector<Expect> want;
    for (const uint32_t a : dst) {
        int best = -1;
        for (size_t i = 0; i < routes.size(); ++i)
            if ((a & routes[i].first.mask()) == routes[i].first.network() &&
                (best < 0 || routes[i].first.len > routes[static_cast<size_t>(best)].first.len))
                best = static_cast<int>(i);
        want.push_back(routes[static_cast<size_t>(best)].second);
    }

    const std::pair<rte_fib_lookup_type, const char*> types[] = {
        {RTE_FIB_LOOKUP_DIR24_8_SCALAR_MACRO, "scalar macro"},
        {RTE_FIB_LOOKUP_DIR24_8_SCALAR_INLINE, "scalar inline"},
        {RTE_FIB_LOOKUP_DIR24_8_SCALAR_UNI, "scalar uni"},
        {RTE_FIB_LOOKUP_DIR24_8_VECTOR_AVX512, "AVX-512"},
    };
    unsigned tried = 0;
    for (const auto& [type, name] : types) {
        if (rte_fib_select_lookup(t->fib, type) != 0) {
            // Only the vector lookup may be missing, and only where the CPU or the EAL rule it out.
            EXPECT_EQ(type, RTE_FIB_LOOKUP_DIR24_8_VECTOR_AVX512);
            std::printf("(%s IPv4 lookup not available here: CPU AVX-512 %d, max SIMD bitwidth %u)\n", name,
                        cpu_has_fib_avx512(), unsigned{rte_vect_get_max_simd_bitwidth()});
            continue;
        }
        ++tried;
        std::vector<uint64_t> idx(dst.size());
        // In bursts of 32, as the fast path calls it, and a ragged tail.
        for (size_t off = 0; off < dst.size(); off += 32) {
            const unsigned k = static_cast<unsigned>(std::min<size_t>(32, dst.size() - off));
            route_lookup_bulk(*t, &dst[off], &idx[off], k);
        }
        unsigned wrong = 0;
        for (size_t i = 0; i < dst.size(); ++i)
            if (!(seen4(*t, idx[i]) == want[i]) && ++wrong <= 5)
                ADD_FAILURE() << name << ": " << (dst[i] >> 24) << "." << (dst[i] >> 16 & 255) << "."
                              << (dst[i] >> 8 & 255) << "." << (dst[i] & 255) << " answered " << say(seen4(*t, idx[i]))
                              << ", want " << say(want[i]);
        EXPECT_EQ(wrong, 0u) << name << ", " << dst.size() << " destinations";
    }
    EXPECT_GE(tried, 3u);
}

TEST(FibLookups, EveryIpv6LookupMatchesLongestPrefix) {
    // 2001:db8:4000::/34 via gateway 0, then 800 routes /35../128 inside it, half of them nested in
    // an earlier one (long /64 walks among them, the common IPv6 case); every tenth a blackhole.
    std::mt19937 rng(9);
    const A6 base = masked6({0x20, 0x01, 0x0d, 0xb8, 0x40}, 34);
    std::vector<std::pair<std::pair<A6, unsigned>, Expect>> routes{{{base, 34}, {false, 0}}};
    std::set<std::pair<A6, unsigned>> seen{{base, 34}};
    A6 ones;
    ones.fill(0xff);
    // An address with the first `len` bits of `net` and random bits after them.
    const auto random_in = [&](const A6& net, unsigned len) {
        const A6 keep = masked6(ones, len);
        A6 a;
        for (unsigned i = 0; i < 16; ++i)
            a[i] = static_cast<uint8_t>((net[i] & keep[i]) | (static_cast<uint8_t>(rng()) & ~keep[i]));
        return a;
    };
    while (routes.size() < 800) {
        const unsigned r = rng() % 4;
        const unsigned len = r == 0 ? 64 : r == 1 ? 48 + rng() % 33 : 35 + rng() % 94;  // many /48../80
        A6 a = random_in(base, 34);
        if (rng() & 1) {
            const auto& parent = routes[rng() % routes.size()].first;
            if (parent.second < len) a = random_in(parent.first, parent.second);
        }
        const std::pair<A6, unsigned> p{masked6(a, len), len};
        if (!seen.insert(p).second) continue;
        const unsigned gw = static_cast<unsigned>(rng() % 8);
        routes.push_back({p, routes.size() % 10 == 0 ? Expect{true, 0} : Expect{false, gw}});
    }
    std::string yaml;
    for (const auto& [p, e] : routes) yaml += route_line(text6(p.first) + "/" + std::to_string(p.second), e, true);
    TablesPtr t = build(yaml);

    std::vector<A6> dst;
    for (const auto& r : routes)
        for (const A6& a : {r.first.first, last6(r.first.first, r.first.second), step6(r.first.first, -1),
                            step6(last6(r.first.first, r.first.second), 1)})
            if (within6(a, base, 34)) dst.push_back(a);
    for (int i = 0; i < 4096; ++i) dst.push_back(random_in(base, 34));
    std::vector<Expect> want;
    for (const A6& a : dst) {
        int best = -1;
        for (size_t i = 0; i < routes.size(); ++i)
            if (within6(a, routes[i].first.first, routes[i].first.second) &&
                (best < 0 || routes[i].first.second > routes[static_cast<size_t>(best)].first.second))
                best = static_cast<int>(i);
        want.push_back(routes[static_cast<size_t>(best)].second);
    }

    const std::pair<rte_fib6_lookup_type, const char*> types[] = {
        {RTE_FIB6_LOOKUP_TRIE_SCALAR, "scalar"},
        {RTE_FIB6_LOOKUP_TRIE_VECTOR_AVX512, "AVX-512"},
    };
    unsigned tried = 0;
    for (const auto& [type, name] : types) {
        if (rte_fib6_select_lookup(t->fib6, type) != 0) {
            EXPECT_EQ(type, RTE_FIB6_LOOKUP_TRIE_VECTOR_AVX512);
            std::printf("(%s IPv6 lookup not available here: CPU AVX-512 %d, max SIMD bitwidth %u)\n", name,
                        cpu_has_fib_avx512(), unsigned{rte_vect_get_max_simd_bitwidth()});
            continue;
        }
        ++tried;
        std::vector<uint64_t> idx(dst.size());
        std::vector<std::array<uint8_t, 16>> keys(dst.begin(), dst.end());
        for (size_t off = 0; off < dst.size(); off += 32) {
            const unsigned k = static_cast<unsigned>(std::min<size_t>(32, dst.size() - off));
            route6_lookup_bulk(*t, reinterpret_cast<const uint8_t(*)[16]>(keys[off].data()), &idx[off], k);
        }
        unsigned wrong = 0;
        for (size_t i = 0; i < dst.size(); ++i)
            if (!(seen6(*t, idx[i]) == want[i]) && ++wrong <= 5)
                ADD_FAILURE() << name << ": " << text6(dst[i]) << " answered " << say(seen6(*t, idx[i])) << ", want "
                              << say(want[i]);
        EXPECT_EQ(wrong, 0u) << name << ", " << dst.size() << " destinations";
    }
    EXPECT_GE(tried, 1u);
}

// The router's SIMD policy as the tests' EAL applied it (eal_env.cpp, as main.cpp does): on a CPU
// with the AVX-512 subsets the FIB lookups need, and no --force-max-simd-bitwidth, the cap is 512
// and freshly built tables use the AVX-512 lookups; otherwise they use the scalar ones.
TEST(FibLookups, TablesUseTheWidestLookupThePolicyAllows) {
    TablesPtr t = build("  - {prefix: 20.0.0.0/8, via: 10.2.0.10}\n  - {prefix: \"2001:db8:40::/48\", via: \"2001:db8:2::10\"}\n");
    const bool wide = cpu_has_fib_avx512() && rte_vect_get_max_simd_bitwidth() >= RTE_VECT_SIMD_512;
    if (cpu_has_fib_avx512()) {
        EXPECT_GE(rte_vect_get_max_simd_bitwidth(), RTE_VECT_SIMD_512);
    }
    EXPECT_STREQ(t->fib_lookup, wide ? "AVX-512 vector" : "scalar");
    EXPECT_STREQ(t->fib6_lookup, wide ? "AVX-512 vector" : "scalar");
    // A second call changes nothing (already 512, or nothing to raise).
    const uint16_t before = rte_vect_get_max_simd_bitwidth();
    const SimdPolicy again = apply_simd_policy();
    EXPECT_FALSE(again.raised);
    EXPECT_EQ(again.bitwidth, before);
}

}  // namespace
}  // namespace dprouter
