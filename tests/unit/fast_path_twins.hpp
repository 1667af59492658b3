// Two identical routers for the fast-path tests (test_fast_path.cpp, test_fast_path6.cpp): the
// same burst goes through pipeline_run (the vector path) in one and pipeline_run_scalar (the
// stages alone) in the other, and everything that came out must be the same: every frame queued
// per TX port in order, the hold and learn rings, and every counter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include <rte_mbuf.h>

#include "packet_builder.hpp"

namespace dprtest {

// mbufs for the packets of a test burst received on `port`. `In` has `frame` (Bytes), `seg_size`
// (0: one segment) and `ol_flags` (the Rx offload flags the PMD would set).
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

}  // namespace dprtest
