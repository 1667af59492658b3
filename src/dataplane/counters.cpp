#include "dprouter/counters.hpp"

namespace dprouter {

namespace {
uint64_t relaxed(const uint64_t& v) { return __atomic_load_n(&v, __ATOMIC_RELAXED); }
}  // namespace

WorkerCounters sum_counters(const WorkerCounters* per_worker, unsigned workers) {
    WorkerCounters sum;
    for (unsigned w = 0; w < workers; ++w) {
        const WorkerCounters& c = per_worker[w];
        for (size_t i = 0; i < sum.drops.size(); ++i) sum.drops[i] += relaxed(c.drops[i]);
        for (size_t i = 0; i < sum.events.size(); ++i) sum.events[i] += relaxed(c.events[i]);
        for (size_t i = 0; i < sum.icmp_sent.size(); ++i) sum.icmp_sent[i] += relaxed(c.icmp_sent[i]);
        for (size_t i = 0; i < sum.icmp_suppressed.size(); ++i) sum.icmp_suppressed[i] += relaxed(c.icmp_suppressed[i]);
        for (size_t i = 0; i < sum.icmp_suppressed_why.size(); ++i)
            sum.icmp_suppressed_why[i] += relaxed(c.icmp_suppressed_why[i]);
        for (size_t p = 0; p < sum.ports.size(); ++p) {
            sum.ports[p].rx += relaxed(c.ports[p].rx);
            sum.ports[p].tx += relaxed(c.ports[p].tx);
            sum.ports[p].tx_dropped += relaxed(c.ports[p].tx_dropped);
        }
    }
    return sum;
}

}  // namespace dprouter
