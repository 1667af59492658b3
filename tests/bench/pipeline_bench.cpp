// Pipeline micro-benchmark: the cost of pipeline_run alone (no PMD), in TSC cycles per packet, on
// the unit tests' lab router (tests/unit/packet_builder.hpp) with static neighbours. Each burst is
// 32 crafted 64-byte UDP frames from H1 to 10.99/16 (via the wan gateway, the forward scenario's
// shape), copied into fresh mbufs as a PMD would; only the pipeline_run call is timed, then the
// TX batch is freed. Variants: the scalar stages (pipeline_run_scalar), the vector path with the
// one-at-a-time classify and with the AVX2 and AVX-512 classifies (those this CPU and the EAL's
// max SIMD bitwidth allow), each on clean traffic
// and with every other packet TTL 1 (the ttl-flood mix). Best of 200 runs of 1,000 bursts: the
// CPUs are shared, the slower runs measure the neighbours. Not run by the tests.
// The IPv6 series does the same with 62-byte IPv6/UDP frames (66 with the FCS, the forward6
// scenario's) from H1 to 2001:db8:99:1::/64 via the wan gateway: a /64, as in forward6, so the
// rte_fib6 TRIE walks its 24-bit table and five 8-bit levels.
//
//   build/pipeline_bench [EAL-ARGS]
//
// Environment: PIPELINE_BENCH_FAMILY=4|6 (default both), PIPELINE_BENCH_MIX=plain|expired (both),
// PIPELINE_BENCH_RUNS (200),
// PIPELINE_BENCH_VECTOR_ONLY=1 (the vector path with the CPU's best classify only),
// PIPELINE_BENCH_COPY=rte|libc (rte: the frames are copied with rte_memcpy, as net_pcap's Rx does,
// which for 16-byte aligned 33..64-byte copies at -march=corei7 is four 16-byte stores at 0, 16,
// n - 32 and n - 16; libc: glibc's memcpy, two overlapping 32-byte stores at 0 and n - 32). The
// copy decides which of the classify's loads the "hot" column finds in the store buffer;
// PIPELINE_BENCH_PROBE=1 (instead of the series: the floor of the "hot" and "settled" clocks, with
// runs that do nothing, read 8 + 8 bytes of each frame inside one store of the copy, or the same
// amount straddling two of its stores). For instruction
// counts: PIPELINE_BENCH_RUNS=2 PIPELINE_BENCH_VECTOR_ONLY=1 valgrind --tool=callgrind
// --toggle-collect='dprouter::pipeline_run(*' build/tests/unit/pipeline_bench; the packets
// pipeline_run saw are printed (callgrind's Ir over them is the cost per packet). The TX
// accounting a worker's flush does (tx_account: forwarded, port tx) runs after each burst,
// untimed; callgrind counts it with a second --toggle-collect='dprouter::tx_account(*'.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_pause.h>
#include <x86intrin.h>

#include "packet_builder.hpp"
#include "dprouter/simd_policy.hpp"
#include "pipeline/fast_path_v4.hpp"

namespace {

using namespace dprtest;
using dprouter::fast::V4Classify;

constexpr unsigned kBurst = 32, kBursts = 1000;
unsigned g_runs = 200;
uint64_t g_packets = 0;  // through pipeline_run (the vector path), warm-up included
bool g_libc_copy = false;  // PIPELINE_BENCH_COPY=libc

std::vector<Bytes> frames(bool half_expired) {
    std::vector<Bytes> v;
    for (unsigned i = 0; i < kBurst; ++i) {
        Ipv4Fields f;
        f.src = lab::kH1Addr;
        f.dst = ipv4(10, 99, static_cast<uint8_t>(i >> 3), static_cast<uint8_t>(i));
        f.ttl = half_expired && (i & 1) ? 1 : 64;
        v.push_back(ipv4_frame(lab::kLanMac, lab::kH1Mac, f, udp_segment(f.src, f.dst, 1024 + i, 9, pattern(18)), kEthMinFrame));
    }
    return v;
}

// The IPv6 twin: to 2001:db8:99:1::/64 (kRoute64), hop limit 1 for every other packet when asked.
const char* kRoute64 = "2001:db8:99:1::/64";
std::vector<Bytes> frames6(bool half_expired) {
    std::vector<Bytes> v;
    for (unsigned i = 0; i < kBurst; ++i) {
        Ipv6Fields f;
        f.src = lab6::kH1;
        f.dst = ip6("2001:db8:99:1::");
        f.dst[14] = static_cast<uint8_t>(i >> 3);
        f.dst[15] = static_cast<uint8_t>(i + 1);
        f.hop_limit = half_expired && (i & 1) ? 1 : 64;
        f.next_header = kProtoUdp;
        v.push_back(ipv6_frame(lab::kLanMac, lab::kH1Mac, f, udp6_segment(f.src, f.dst, 1024 + i, 9, {})));
    }
    return v;
}

// The probes (PIPELINE_BENCH_PROBE=1): stand-ins for pipeline_run that only read, and free the
// burst themselves (untimed, in measure()) since they queue nothing.
bool g_probe = false;
volatile uint64_t g_probe_sink;
void probe_nothing(dprouter::WorkerContext&, const dprouter::Tables&, rte_mbuf** pkts, uint16_t n, uint16_t) {
    asm volatile("" ::"r"(pkts), "r"(n) : "memory");
}
// Frame bytes at `a` and `b` (8 each) and pkt_len of every packet.
template <unsigned a, unsigned b>
void probe_reads(dprouter::WorkerContext&, const dprouter::Tables&, rte_mbuf** pkts, uint16_t n, uint16_t) {
    uint64_t acc = 0;
    for (unsigned i = 0; i < n; ++i) {
        const uint8_t* p = rte_pktmbuf_mtod(pkts[i], const uint8_t*);
        uint64_t x, y;
        std::memcpy(&x, p + a, sizeof x);
        std::memcpy(&y, p + b, sizeof y);
        acc += x ^ y ^ pkts[i]->pkt_len;
    }
    g_probe_sink = acc;
}

// Cycles per packet of the fastest run.
bool settle = false;

using Run = void (*)(dprouter::WorkerContext&, const dprouter::Tables&, rte_mbuf**, uint16_t, uint16_t);
double measure(RouterHarness& h, const std::vector<Bytes>& in, Run run) {
    rte_mbuf* pkts[kBurst];
    double best = 1e9;
    for (unsigned r = 0; r < g_runs + 1; ++r) {  // the first run warms up
        uint64_t cycles = 0;
        for (unsigned b = 0; b < kBursts; ++b) {
            if (rte_pktmbuf_alloc_bulk(h.pool(), pkts, kBurst) != 0) std::abort();
            for (unsigned i = 0; i < kBurst; ++i) {
                // Byte for byte the same; only the stores that write them differ (see the top).
                if (g_libc_copy)
                    std::memcpy(rte_pktmbuf_mtod(pkts[i], void*), in[i].data(), in[i].size());
                else
                    rte_memcpy(rte_pktmbuf_mtod(pkts[i], void*), in[i].data(), in[i].size());
                pkts[i]->data_len = static_cast<uint16_t>(in[i].size());
                pkts[i]->pkt_len = static_cast<uint32_t>(in[i].size());
                pkts[i]->port = lab::kLanPort;
            }
            if (settle) {  // let the copies' stores leave the store buffer, as during a PMD's longer Rx
                const uint64_t until = rte_rdtsc() + 1500;
                while (rte_rdtsc() < until) rte_pause();
            }
            // "hot": rdtscp waits for the copies to execute but not for their stores to leave the
            // store buffer, so the classify's loads meet them there as after a PMD's Rx;
            // rte_rdtsc_precise's mfence would drain them first and make "hot" = "settled".
            unsigned aux;
            const uint64_t t0 = settle ? rte_rdtsc_precise() : __rdtscp(&aux);
            run(h.ctx(), h.tables(), pkts, static_cast<uint16_t>(kBurst), lab::kLanPort);
            cycles += rte_rdtsc_precise() - t0;
            if (run == &dprouter::pipeline_run) g_packets += kBurst;
            if (g_probe) rte_pktmbuf_free_bulk(pkts, kBurst);
            dprouter::TxBatch& out = h.ctx().out;
            for (uint16_t p = 0; p < dprouter::kMaxPorts; ++p) {
                // What worker_flush counts for a port that takes everything (not timed; callgrind:
                // add --toggle-collect='dprouter::tx_account(*').
                if (out.count[p] != 0) dprouter::tx_account(h.ctx(), p, 0, out.count[p], out.count[p]);
                rte_pktmbuf_free_bulk(out.pkts[p], out.count[p]);
                out.count[p] = 0;
            }
            h.advance_tsc_ms(1);
        }
        if (r > 0 || g_runs == 0) best = std::min(best, static_cast<double>(cycles) / (double{kBursts} * kBurst));
    }
    return best;
}

const char* env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? v : fallback;
}

// One series (a family's frames, clean and with every other packet expired) on harness `h`.
void series(RouterHarness& h, const char* family, std::vector<Bytes> (*make)(bool), bool vector_only) {
    const V4Classify best = dprouter::fast::v4_classify_best();
    const bool avx2 = best >= V4Classify::avx2, avx512 = best >= V4Classify::avx512;
    const std::string mix = env_or("PIPELINE_BENCH_MIX", "both");
    for (const bool half : {false, true})
        for (const bool s : {false, true}) {
            if ((vector_only && s) || (mix == "plain" && half) || (mix == "expired" && !half)) continue;
            settle = s;
            const auto in = make(half);
            const double scalar = vector_only ? 0 : measure(h, in, dprouter::pipeline_run_scalar);
            double vec1 = 0;
            if (!vector_only || best == V4Classify::scalar) {
                dprouter::fast::v4_classify_choice.store(static_cast<int>(V4Classify::scalar));
                vec1 = measure(h, in, dprouter::pipeline_run);
            }
            double vec8 = 0;
            if (avx2 && (!vector_only || best == V4Classify::avx2)) {
                dprouter::fast::v4_classify_choice.store(static_cast<int>(V4Classify::avx2));
                vec8 = measure(h, in, dprouter::pipeline_run);
            }
            double vec16 = 0;
            if (avx512) {
                dprouter::fast::v4_classify_choice.store(static_cast<int>(V4Classify::avx512));
                vec16 = measure(h, in, dprouter::pipeline_run);
            }
            std::printf("%s %-18s %-8s stages %6.1f   vector, scalar classify %6.1f   AVX2 classify %6.1f   "
                        "AVX-512 classify %6.1f\n",
                        family, half ? "every other expired" : "plain", s ? "settled" : "hot", scalar, vec1, vec8, vec16);
        }
}


}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> eal{"pipeline_bench", "--no-pci", "--no-huge", "-m", "512", "--no-shconf", "--no-telemetry",
                                 "-l", "1", "--file-prefix", "pipeline-bench-" + std::to_string(getpid()),
                                 "--log-level", "lib.eal:warning"};
    for (int i = 1; i < argc; ++i) eal.emplace_back(argv[i]);
    std::vector<char*> args;
    for (auto& a : eal) args.push_back(a.data());
    if (rte_eal_init(static_cast<int>(args.size()), args.data()) < 0) return EXIT_FAILURE;
    // As the router does (main.cpp): the FIBs' lookups are the ones it would run.
    const dprouter::SimdPolicy simd = dprouter::apply_simd_policy();
    g_runs = static_cast<unsigned>(std::strtoul(env_or("PIPELINE_BENCH_RUNS", "200"), nullptr, 10));
    const std::string family = env_or("PIPELINE_BENCH_FAMILY", "both");
    const bool vector_only = std::string(env_or("PIPELINE_BENCH_VECTOR_ONLY", "0")) == "1";
    g_libc_copy = std::string(env_or("PIPELINE_BENCH_COPY", "rte")) == "libc";
    std::printf("TSC cycles per packet, pipeline_run only, bursts of %u, best of %u runs of %u bursts; "
                "max SIMD bitwidth %u; frames copied with %s\n",
                kBurst, g_runs, kBursts, unsigned{simd.bitwidth}, g_libc_copy ? "glibc memcpy" : "rte_memcpy");
    if (std::string(env_or("PIPELINE_BENCH_PROBE", "0")) == "1") {
        // Inside one store: bytes 0..7 and 16..23 (rte_memcpy: 0..15, 16..31; glibc: 0..31).
        // Straddling two: bytes 12..19 (rte_memcpy: 0..15 and 16..31) and 26..33 (rte_memcpy:
        // 16..31 and 28..43; glibc: 0..31 and 28..59).
        g_probe = true;
        RouterHarness h(lab_config());
        const auto in = frames(false);
        for (const bool s : {false, true}) {
            settle = s;
            const double nothing = measure(h, in, probe_nothing);
            const double inside = measure(h, in, probe_reads<0, 16>);
            const double straddling = measure(h, in, probe_reads<12, 26>);
            std::printf("probe %-8s nothing %6.1f   reads inside one store %6.1f   reads straddling two %6.1f\n",
                        s ? "settled" : "hot", nothing, inside, straddling);
        }
        h.shutdown();
    } else if (family != "6") {
        RouterHarness h(lab_config());
        h.set_static_neighbors({{to_be(lab::kH1Addr), lab::kLanPort, to_ether(lab::kH1Mac)},
                                {to_be(lab::kGatewayAddr), lab::kWanPort, to_ether(lab::kGatewayMac)}});
        std::printf("FIB lookup: %s\n", h.tables().fib_lookup);
        series(h, "IPv4", frames, vector_only);
        h.shutdown();
    }
    if (!g_probe && family != "4") {
        dprouter::Config cfg = lab6_config();
        dprouter::Route6Config r;
        r.prefix = *dprouter::parse_prefix6(kRoute64);
        r.has_via = true;
        r.via = *dprouter::parse_ipv6("2001:db8:2::fe");
        cfg.routes6.push_back(r);
        RouterHarness h(cfg);
        set_neighbor6(h, lab6::kH1, lab::kLanPort, lab::kH1Mac);
        set_gateway6_l2(h, ip6("2001:db8:99:1::1"), lab::kGatewayMac);
        std::printf("FIB6 lookup: %s\n", h.tables().fib6_lookup);
        series(h, "IPv6", frames6, vector_only);
        h.shutdown();
    }
    std::printf("packets through pipeline_run: %llu\n", static_cast<unsigned long long>(g_packets));
    rte_eal_cleanup();
    return 0;
}
