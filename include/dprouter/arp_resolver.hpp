// Neighbour resolution on the control thread: the only writer of the neighbour table and of the
// gateway link-layer words in the published Tables.
//
// Packets that a worker could not send (next hop unknown) arrive here and wait, at most
// kHoldPerNextHop per next hop and kHoldTotal in all, while ARP requests go out kArpRetries times
// kArpRetryMs apart. An answer releases them; silence marks the next hop failed for
// kNeighborFailedMs, during which workers refuse at once (host unreachable) instead of queueing;
// the held transit packets go back to a worker to be answered the same way. Learned entries are
// re-probed after kNeighborReachableMs and removed when the probes go unanswered. Static entries
// are reachable from the start and never age.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dprouter/config.hpp"
#include "dprouter/neighbor_table.hpp"
#include "dprouter/pipeline.hpp"
#include "dprouter/tables.hpp"

namespace dprouter {

struct ResolverStats {
    uint64_t requests_sent = 0;
    uint64_t resolved = 0;
    uint64_t failed = 0;
    uint64_t released = 0;
    uint64_t hold_dropped = 0;    // hold queue full
    uint64_t failed_dropped = 0;  // held packets dropped when their next hop failed
    uint64_t expired = 0;         // learned entries removed after unanswered refresh probes
};

struct NeighborInfo {
    uint32_t addr_be;
    uint16_t port;
    rte_ether_addr mac;
    NeighborState state;
    bool is_static;
    size_t held;
};

class ArpResolver {
public:
    ArpResolver(NeighborTable& table, rte_mempool* pool) : table_(table), pool_(pool) {}
    ~ArpResolver();
    ArpResolver(const ArpResolver&) = delete;
    ArpResolver& operator=(const ArpResolver&) = delete;

    // Called with new tables before they are published: fills their gateway words from what is known,
    // drops entries that are no longer on a connected subnet, and installs `statics` (addresses with
    // the DPDK port of their interface). Packets held for a next hop that just became static are
    // released into `out`. A static entry no longer configured becomes a learnt one due for
    // confirmation (unicast probes from the next on_timer), so traffic to it never stops.
    struct Static {
        uint32_t addr_be;
        uint16_t port;
        rte_ether_addr mac;
    };
    void attach(Tables* tables, const std::vector<Static>& statics, uint64_t now_ms, std::vector<rte_mbuf*>& out);
    // dprouterctl's live changes. add_static makes (or turns) the entry static with `mac` and
    // releases what was held for it; false when the table is full. remove_static forgets a static
    // entry (the next packet resolves afresh); false when there is no static entry there.
    bool add_static(const Static& s, uint64_t now_ms, std::vector<rte_mbuf*>& out);
    bool remove_static(uint32_t addr_be, uint16_t port);
    // A next hop the live FIB just created: its `l2` word from what is known about its gateway.
    void fill(NextHop& nh) const;

    // Frames to transmit are appended to `out` (m->port set); the caller hands them to a worker.
    void on_held(rte_mbuf* m, uint64_t now_ms, std::vector<rte_mbuf*>& out);
    void on_learn(const LearnMessage& msg, uint64_t now_ms, std::vector<rte_mbuf*>& out);
    void on_timer(uint64_t now_ms, std::vector<rte_mbuf*>& out);

    const ResolverStats& stats() const { return stats_; }
    // Where the packets it gives up on are counted (the control thread's block of the router's
    // counters): hold_queue_full, neighbor_failed, own_frames_dropped. None: not counted.
    void count_into(WorkerCounters* c) { counters_ = c; }
    size_t held_total() const { return held_total_; }
    std::vector<NeighborInfo> snapshot() const;

private:
    struct Entry {
        uint32_t addr_be = 0;
        uint16_t port = 0;
        rte_ether_addr mac{};
        NeighborState state = NeighborState::incomplete;
        bool is_static = false;
        unsigned probes = 0;      // requests sent in the current round
        uint64_t next_ms = 0;     // when the timer next looks at this entry
        std::vector<rte_mbuf*> held;
    };
    static uint64_t key(uint32_t addr_be, uint16_t port) { return uint64_t{addr_be} | uint64_t{port} << 32; }

    void publish(const Entry& e);
    void unpublish(const Entry& e);
    void make_reachable(Entry& e, const rte_ether_addr& mac, uint64_t now_ms, std::vector<rte_mbuf*>& out);
    void send_request(const Entry& e, bool unicast, std::vector<rte_mbuf*>& out);
    void release(Entry& e, std::vector<rte_mbuf*>& out);
    void drop_held(Entry& e, uint64_t& counter);
    void refuse(rte_mbuf* m, std::vector<rte_mbuf*>& out);

    NeighborTable& table_;
    rte_mempool* pool_;
    Tables* tables_ = nullptr;
    std::unordered_map<uint64_t, Entry> entries_;
    size_t held_total_ = 0;
    ResolverStats stats_;
    WorkerCounters* counters_ = nullptr;
};

}  // namespace dprouter
