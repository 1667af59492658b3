// A worker's side of a live capture (dprouterctl capture, docs/control-plane.md "Capture"): which
// ports and directions are being captured, and the bounded ring the copies go to.
//
// The control thread sets `dirs[port]`; a worker reads it once per received burst (RX) and once per
// TX flush of a port (TX). Nothing is captured: that one load and one branch per burst is the whole
// cost. A captured burst is copied frame by frame with rte_pcapng_copy into the capture mempool and
// enqueued on `ring` (single producer: this worker; single consumer: the control thread). A full
// ring or an empty mempool drops the copy and counts `events.capture_dropped`; the original packet
// goes on exactly as it would have, so a capture never slows forwarding beyond the copies themselves.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "dprouter/counters.hpp"
#include "dprouter/limits.hpp"

namespace dprouter {

inline constexpr uint8_t kCaptureRx = 1;  // frames as the port received them, before any stage
inline constexpr uint8_t kCaptureTx = 2;  // frames as they are handed to the port, after rewrite

struct CaptureTap {
    // kCaptureRx | kCaptureTx per DPDK port; written by the control thread only.
    std::array<std::atomic<uint8_t>, kMaxPorts> dirs{};
    rte_ring* ring = nullptr;      // worker -> control thread, copies (SP/SC)
    rte_mempool* pool = nullptr;   // the copies' mbufs; set before any dirs[] bit is
    std::array<uint32_t, kMaxPorts> snaplen{};  // bytes kept of each frame; set before dirs[port]
    // Copies of each port lost here (ring full, no mbuf): written by this worker only, read by the
    // control thread for the capture's statistics block.
    std::array<uint64_t, kMaxPorts> dropped{};
    // The copy budget: a frame copy (rte_pcapng_copy: an mbuf, a pcapng header, the bytes) costs
    // the worker a few hundred cycles, so copying every frame of a 64-byte flood took forwarding from
    // 37.8 to 12.6 Mpps in the capture bench. The worker copies at most one frame per `copy_cycles`
    // TSC cycles (kCaptureCopiesPerSecond, with a burst of kCaptureCopyBurst) and counts the rest in
    // capture_dropped: a capture of ordinary traffic is whole, one of a flood is a sample, and
    // forwarding keeps its rate. 0 (unit tests) copies without a budget. Worker-only: `next_copy_tsc`.
    uint64_t copy_cycles = 0;
    uint64_t next_copy_tsc = 0;
};

inline constexpr uint64_t kCaptureCopiesPerSecond = 200'000;  // per worker
inline constexpr uint64_t kCaptureCopyBurst = 1024;          // copies that may come at once (the ring's size)

// Whether frames of `port` in direction `dir` are to be copied: one relaxed load. The acquire is
// what makes `pool` (written before the flag) visible; on x86 it is the same plain load.
inline bool capture_wanted(const CaptureTap& tap, uint16_t port, uint8_t dir) {
    return (tap.dirs[port].load(std::memory_order_acquire) & dir) != 0;
}

// Copies `n` frames of `port` (RX queue or TX queue `queue`) into tap.ring, timestamped `tsc`.
// Copies that find no mbuf or no room are dropped; counts events.captured and
// events.capture_dropped in `counters`. The frames themselves are not touched.
void capture_copy(CaptureTap& tap, WorkerCounters& counters, rte_mbuf* const* pkts, uint16_t n, uint16_t port,
                  uint16_t queue, uint8_t dir, uint64_t tsc);

}  // namespace dprouter
