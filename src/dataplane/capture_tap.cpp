#include "dprouter/capture_tap.hpp"

#include <algorithm>

#include <rte_pcapng.h>

#include "dprouter/limits.hpp"

namespace dprouter {

void capture_copy(CaptureTap& tap, WorkerCounters& counters, rte_mbuf* const* pkts, uint16_t n, uint16_t port,
                  uint16_t queue, uint8_t dir, uint64_t tsc) {
    const auto direction = dir == kCaptureRx ? RTE_PCAPNG_DIRECTION_IN : RTE_PCAPNG_DIRECTION_OUT;
    uint16_t done = 0;
    while (done < n) {
        rte_mbuf* copies[kRxBurst];
        const uint16_t chunk = static_cast<uint16_t>(std::min<unsigned>(kRxBurst, n - done));
        // Copy only what the ring can take now (only this worker fills it): under overload the
        // rest is counted lost without an mbuf taken, filled and freed for nothing.
        unsigned room = std::min<unsigned>(chunk, rte_ring_free_count(tap.ring));
        if (tap.copy_cycles != 0) {
            // GCRA: at most one copy per copy_cycles on average, kCaptureCopyBurst at once.
            const uint64_t window = tap.copy_cycles * kCaptureCopyBurst;
            if (tsc > window && tap.next_copy_tsc < tsc - window) tap.next_copy_tsc = tsc - window;
            const uint64_t allowed = tsc > tap.next_copy_tsc ? (tsc - tap.next_copy_tsc) / tap.copy_cycles : 0;
            room = static_cast<unsigned>(std::min<uint64_t>(room, allowed));
            tap.next_copy_tsc += room * tap.copy_cycles;
        }
        unsigned k = 0;
        for (uint16_t i = 0; i < room; ++i) {
            // An Enhanced Packet Block around a copy of the frame (pcapng draft 4.3), mbuf from
            // the capture pool: nothing of the original is shared or changed.
            rte_mbuf* c = rte_pcapng_copy(port, queue, pkts[done + i], tap.pool, tap.snaplen[port], tsc, direction);
            if (c != nullptr) copies[k++] = c;
        }
        const unsigned queued = rte_ring_sp_enqueue_burst(tap.ring, reinterpret_cast<void**>(copies), k, nullptr);
        if (queued < k) rte_pktmbuf_free_bulk(copies + queued, k - queued);
        counters.event(Event::captured, queued);
        counters.event(Event::capture_dropped, chunk - queued);
        tap.dropped[port] += chunk - queued;
        done = static_cast<uint16_t>(done + chunk);
    }
}

}  // namespace dprouter
