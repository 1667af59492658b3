// Pipeline micro-benchmark: the cost of pipeline_run alone (no PMD), in TSC cycles per packet, on
// the unit tests' lab router (tests/unit/packet_builder.hpp) with static neighbours. Each burst is
// 32 crafted 64-byte UDP frames from H1 to 10.99/16 (via the wan gateway, the forward scenario's
// shape), copied into fresh mbufs as a PMD would; only the pipeline_run call is timed, then the
// TX batch is freed. Variants: the scalar stages (pipeline_run_scalar), the vector path with the
// one-at-a-time classify and with the AVX2 classify (if this CPU has it), each on clean traffic
// and with every other packet TTL 1 (the ttl-flood mix). Best of 200 runs of 1,000 bursts: the
// CPUs are shared, the slower runs measure the neighbours. Not run by the tests.
//
//   build/pipeline_bench [-- EAL-ARGS]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_pause.h>

#include "packet_builder.hpp"
#include "pipeline/fast_path_v4.hpp"

namespace {

using namespace dprtest;
using dprouter::fast::V4Classify;

constexpr unsigned kBurst = 32, kBursts = 1000, kRuns = 200;

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

// Cycles per packet of the fastest run.
bool settle = false;

template <typename Run>
double measure(RouterHarness& h, const std::vector<Bytes>& in, Run run) {
    rte_mbuf* pkts[kBurst];
    double best = 1e9;
    for (unsigned r = 0; r < kRuns + 1; ++r) {  // the first run warms up
        uint64_t cycles = 0;
        for (unsigned b = 0; b < kBursts; ++b) {
            if (rte_pktmbuf_alloc_bulk(h.pool(), pkts, kBurst) != 0) std::abort();
            for (unsigned i = 0; i < kBurst; ++i) {
                std::memcpy(rte_pktmbuf_mtod(pkts[i], void*), in[i].data(), in[i].size());
                pkts[i]->data_len = static_cast<uint16_t>(in[i].size());
                pkts[i]->pkt_len = static_cast<uint32_t>(in[i].size());
                pkts[i]->port = lab::kLanPort;
            }
            if (settle) {  // let the copies' stores leave the store buffer, as during a PMD's longer Rx
                const uint64_t until = rte_rdtsc() + 1500;
                while (rte_rdtsc() < until) rte_pause();
            }
            const uint64_t t0 = rte_rdtsc_precise();
            run(h.ctx(), h.tables(), pkts, static_cast<uint16_t>(kBurst), lab::kLanPort);
            cycles += rte_rdtsc_precise() - t0;
            dprouter::TxBatch& out = h.ctx().out;
            for (uint16_t p = 0; p < dprouter::kMaxPorts; ++p) {
                rte_pktmbuf_free_bulk(out.pkts[p], out.count[p]);
                out.count[p] = 0;
            }
            h.advance_tsc_ms(1);
        }
        if (r > 0) best = std::min(best, static_cast<double>(cycles) / (double{kBursts} * kBurst));
    }
    return best;
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
    {
        RouterHarness h(lab_config());
        h.set_static_neighbors({{to_be(lab::kH1Addr), lab::kLanPort, to_ether(lab::kH1Mac)},
                                {to_be(lab::kGatewayAddr), lab::kWanPort, to_ether(lab::kGatewayMac)}});
        const bool avx2 = dprouter::fast::v4_classify_best() == V4Classify::avx2;
        std::printf("TSC cycles per packet, pipeline_run only, bursts of %u, best of %u runs of %u bursts\n", kBurst,
                    kRuns, kBursts);
        for (const bool half : {false, true})
          for (const bool s : {false, true}) {
            settle = s;
            const auto in = frames(half);
            const double scalar = measure(h, in, dprouter::pipeline_run_scalar);
            dprouter::fast::v4_classify_choice.store(static_cast<int>(V4Classify::scalar));
            const double vec1 = measure(h, in, dprouter::pipeline_run);
            double vec8 = 0;
            if (avx2) {
                dprouter::fast::v4_classify_choice.store(static_cast<int>(V4Classify::avx2));
                vec8 = measure(h, in, dprouter::pipeline_run);
            }
            std::printf("%-18s %-8s stages %6.1f   vector, scalar classify %6.1f   vector, AVX2 classify %6.1f\n",
                        half ? "every other TTL 1" : "plain", s ? "settled" : "hot", scalar, vec1, vec8);
          }
        h.shutdown();
    }
    rte_eal_cleanup();
    return 0;
}
