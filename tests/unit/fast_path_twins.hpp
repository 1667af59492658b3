// Two identical routers for the fast-path tests (test_fast_path.cpp, test_fast_path6.cpp): the
// same burst goes through pipeline_run (the vector path) in one and pipeline_run_scalar (the
// stages alone) in the other, and everything that came out must be the same: every frame queued
// per TX port in order, the hold and learn rings, and every counter.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <rte_mbuf.h>

#include "packet_builder.hpp"
#include "pipeline/fast_path_v4.hpp"
#include "pipeline/fast_path_v6.hpp"

namespace dprtest {

// mbufs for the packets of a test burst received on `port`. `In` has `what` (a description),
// `frame` (Bytes), `fast` (must the fast path claim it?), `seg_size` (0: one segment) and
// `ol_flags` (the Rx offload flags the PMD would set).
template <class In>
std::vector<rte_mbuf*> make_burst(RouterHarness& h, const std::vector<In>& in, uint16_t port) {
    std::vector<rte_mbuf*> v;
    for (const In& i : in) {
        rte_mbuf* m = make_mbuf(h.pool(), i.frame, i.seg_size);
        EXPECT_NE(m, nullptr);
        if (m == nullptr) continue;
        m->port = port;
        m->ol_flags = i.ol_flags;
        v.push_back(m);
    }
    return v;
}

// The same burst through both routers: `vec` runs pipeline_run, `ref` pipeline_run_scalar.
template <class In>
void run_both(RouterHarness& vec, RouterHarness& ref, const std::vector<In>& in, uint16_t port) {
    auto a = make_burst(vec, in, port);
    auto b = make_burst(ref, in, port);
    dprouter::pipeline_run(vec.ctx(), vec.tables(), a.data(), static_cast<uint16_t>(a.size()), port);
    dprouter::pipeline_run_scalar(ref.ctx(), ref.tables(), b.data(), static_cast<uint16_t>(b.size()), port);
}

// Every frame per TX port in order, the rings and all counters (then takes them out of both).
void expect_same_outcome(RouterHarness& vec, RouterHarness& ref);
void expect_same_counters(RouterHarness& vec, RouterHarness& ref);

// Phases 1-3 over `pkts` as run_vector runs them (IPv4, then IPv6 unless IPv4 took every packet).
void run_phases(const dprouter::Tables& t, rte_mbuf* const* pkts, dprouter::fast::Burst& b);

// Fixture: two identical routers built by the test's SetUp through make_twins; TearDown checks
// both for leaked mbufs. The parameter is the test's to use (the suites use "with a default route").
template <class In>
class TwinRouters : public ::testing::TestWithParam<bool> {
protected:
    void make_twins(const dprouter::Config& cfg) {
        vec_ = std::make_unique<RouterHarness>(cfg);
        ref_ = std::make_unique<RouterHarness>(cfg);
    }
    void TearDown() override {
        EXPECT_EQ(vec_->shutdown(), 0u) << "mbufs leaked (vector)";
        EXPECT_EQ(ref_->shutdown(), 0u) << "mbufs leaked (scalar)";
    }

    // Which packets of `in` the classify and lookup phases give to the fast path.
    uint32_t fast_mask(const std::vector<In>& in, uint16_t port) {
        auto pkts = make_burst(*vec_, in, port);
        dprouter::fast::Burst b;
        b.n = static_cast<uint16_t>(pkts.size());
        b.rx_port = port;
        run_phases(vec_->tables(), pkts.data(), b);
        rte_pktmbuf_free_bulk(pkts.data(), static_cast<unsigned>(pkts.size()));
        return b.fast;
    }

    // Runs `all` in bursts of at most 32 through both routers and checks the fast path's choice.
    void check_bursts(const std::vector<In>& all, uint16_t port) {
        constexpr size_t kMax = dprouter::fast::Burst::kMax;
        for (size_t off = 0; off < all.size(); off += kMax) {
            const size_t n = std::min(kMax, all.size() - off);
            const std::vector<In> burst(all.begin() + static_cast<long>(off), all.begin() + static_cast<long>(off + n));
            const uint32_t mask = fast_mask(burst, port);
            for (size_t i = 0; i < n; ++i)
                EXPECT_EQ((mask >> i) & 1u, burst[i].fast ? 1u : 0u) << "fast path for: " << burst[i].what;
            run_both(burst, port);
        }
    }

    void run_both(const std::vector<In>& in, uint16_t port) { dprtest::run_both(*vec_, *ref_, in, port); }
    void expect_same_outcome() { dprtest::expect_same_outcome(*vec_, *ref_); }

    // `rounds` times: `in` in a new (seeded) order through both routers, then the outcomes
    // compared; the ICMP buckets refill a little between rounds.
    void shuffled_rounds(std::vector<In> in, uint16_t port, int rounds, uint32_t seed) {
        for (int round = 0; round < rounds; ++round) {
            for (size_t i = in.size() - 1; i > 0; --i) {
                seed = seed * 1103515245u + 12345u;
                std::swap(in[i], in[(seed >> 8) % (i + 1)]);
            }
            check_bursts(in, port);
            vec_->advance_tsc_ms(37);
            ref_->advance_tsc_ms(37);
            expect_same_outcome();
        }
    }

    // Fills `port`'s TX batch in both routers with copies of `frame` but for `room` slots.
    void prefill_tx(uint16_t port, const Bytes& frame, uint16_t room) {
        const uint16_t n = static_cast<uint16_t>(dprouter::TxBatch::kCapacity - room);
        for (RouterHarness* h : {vec_.get(), ref_.get()}) {
            for (uint16_t i = 0; i < n; ++i) h->ctx().out.pkts[port][i] = make_mbuf(h->pool(), frame);
            h->ctx().out.count[port] = n;
        }
    }

    std::unique_ptr<RouterHarness> vec_;
    std::unique_ptr<RouterHarness> ref_;
};

}  // namespace dprtest
