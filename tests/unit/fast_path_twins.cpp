#include "fast_path_twins.hpp"

#include "pipeline/fast_path.hpp"

#include <cstring>
#include <string>

namespace dprtest {

void expect_same_outcome(RouterHarness& vec, RouterHarness& ref) {
    const auto out_v = vec.take_emitted();
    const auto out_r = ref.take_emitted();
    ASSERT_EQ(out_v.size(), out_r.size());
    for (size_t i = 0; i < out_r.size(); ++i) {
        SCOPED_TRACE("frame " + std::to_string(i) + " out of port " + std::to_string(out_r[i].port));
        EXPECT_EQ(out_v[i].port, out_r[i].port);
        EXPECT_EQ(out_v[i].mbuf_port, out_r[i].mbuf_port);
        EXPECT_EQ(out_v[i].nb_segs, out_r[i].nb_segs);
        EXPECT_TRUE(same_bytes(out_v[i].bytes, out_r[i].bytes));
    }
    const auto held_v = vec.take_held();
    const auto held_r = ref.take_held();
    ASSERT_EQ(held_v.size(), held_r.size());
    for (size_t i = 0; i < held_r.size(); ++i) {
        EXPECT_EQ(held_v[i].next_hop_be, held_r[i].next_hop_be);
        EXPECT_EQ(held_v[i].port, held_r[i].port);
        EXPECT_TRUE(same_bytes(held_v[i].bytes, held_r[i].bytes));
    }
    const auto learn_v = vec.take_learned();
    const auto learn_r = ref.take_learned();
    ASSERT_EQ(learn_v.size(), learn_r.size());
    for (size_t i = 0; i < learn_r.size(); ++i)
        EXPECT_EQ(std::memcmp(&learn_v[i], &learn_r[i], sizeof learn_r[i]), 0) << "learn message " << i;
    expect_same_counters(vec, ref);
}

void expect_same_counters(RouterHarness& vec, RouterHarness& ref) {
    const dprouter::WorkerCounters& v = vec.counters();
    const dprouter::WorkerCounters& r = ref.counters();
    for (size_t i = 0; i < r.drops.size(); ++i) EXPECT_EQ(v.drops[i], r.drops[i]) << "drops." << dprouter::kDropNames[i];
    for (size_t i = 0; i < r.events.size(); ++i)
        EXPECT_EQ(v.events[i], r.events[i]) << "events." << dprouter::kEventNames[i];
    for (size_t i = 0; i < r.icmp_sent.size(); ++i)
        EXPECT_EQ(v.icmp_sent[i], r.icmp_sent[i]) << "icmp_sent." << dprouter::kIcmpKinds[i].name;
    for (size_t i = 0; i < r.icmp_suppressed.size(); ++i)
        EXPECT_EQ(v.icmp_suppressed[i], r.icmp_suppressed[i]) << "icmp_suppressed." << dprouter::kIcmpKinds[i].name;
    for (size_t i = 0; i < r.icmp_suppressed_why.size(); ++i)
        EXPECT_EQ(v.icmp_suppressed_why[i], r.icmp_suppressed_why[i]) << dprouter::kIcmpSuppressNames[i];
    for (size_t p = 0; p < r.ports.size(); ++p) {
        EXPECT_EQ(v.ports[p].rx, r.ports[p].rx) << "port " << p;
        EXPECT_EQ(v.ports[p].tx, r.ports[p].tx) << "port " << p;
        EXPECT_EQ(v.ports[p].tx_dropped, r.ports[p].tx_dropped) << "port " << p;
    }
}

void run_phases(const dprouter::Tables& t, rte_mbuf* const* pkts, dprouter::fast::Burst& b) {
    // The pipeline's own phases 1 to 3 (the family order included).
    dprouter::fast::classify_and_lookup(t, pkts, b);
}

}  // namespace dprtest
