// IPv6 neighbour resolution on the control thread (RFC 4861 7.2, 7.3): the only writer of the IPv6
// neighbour cache (NeighborTable6) and of the gateway link-layer words of the published IPv6 next
// hops. The IPv6 counterpart of ArpResolver, with the reachability states of RFC 4861 7.3.2:
//
//   INCOMPLETE  a packet needed the address: multicast NS to its solicited-node group, kArpRetries
//               of them kArpRetryMs apart (RETRANS_TIMER, MAX_MULTICAST_SOLICIT; Linux: 3 NS 1 s
//               apart); packets wait here (at most kHoldPerNextHop per next hop, kHold6Total in all).
//               No answer: FAILED, and the held transit packets go back to a worker, which owes
//               their senders address unreachable (RFC 4443 3.1 code 3).
//   REACHABLE   confirmed by a solicited NA, for kNd6ReachableMs (REACHABLE_TIME).
//   STALE       learnt without confirmation (an NS's source option, an unsolicited NA) or no longer
//               confirmed. The workers do not report which entries carry traffic, so every stale
//               entry is treated as in use and enters DELAY at the next timer tick.
//   DELAY       kNd6DelayMs (DELAY_FIRST_PROBE_TIME) for upper-layer confirmation, then PROBE.
//   PROBE       unicast NS to the known MAC, kArpRetries of them kArpRetryMs apart
//               (MAX_UNICAST_SOLICIT); a solicited NA makes it REACHABLE, silence removes the entry.
//   FAILED      resolution gave up: workers refuse at once for kNeighborFailedMs, then it is forgotten.
//
// The workers read one PackedNeighbor word per entry and need only three states: INCOMPLETE is
// incomplete (hold), REACHABLE/STALE/DELAY/PROBE are reachable (send to the known MAC, RFC 4861
// 7.3.3: packets to a stale entry go out while its reachability is checked), FAILED is failed.
// Static entries (Config::neighbors6) are REACHABLE from the start and never age.
#pragma once

#include <array>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dprouter/limits.hpp"
#include "dprouter/neighbor_table.hpp"
#include "dprouter/pipeline.hpp"
#include "dprouter/tables.hpp"

namespace dprouter {

inline constexpr uint64_t kNd6ReachableMs = 30000;  // RFC 4861 10: REACHABLE_TIME
inline constexpr uint64_t kNd6DelayMs = 5000;       // RFC 4861 10: DELAY_FIRST_PROBE_TIME
// The IPv6 packets held in all: half of the IPv4 budget, so that both families together stay
// within the mbufs the router sets aside for held packets (kHoldTotal + kHold6Total).
inline constexpr unsigned kHold6Total = kHoldTotal / 2;

enum class Nd6State : uint8_t { incomplete, reachable, stale, delay, probe, failed };
const char* nd6_state_name(Nd6State s);

struct Nd6Stats {
    uint64_t solicitations_sent = 0;  // multicast and unicast NS
    uint64_t resolved = 0;            // INCOMPLETE (or FAILED) -> a link-layer address
    uint64_t failed = 0;              // INCOMPLETE -> FAILED
    uint64_t released = 0;
    uint64_t hold_dropped = 0;        // hold queue full
    uint64_t failed_dropped = 0;      // held packets refused when their next hop failed
    uint64_t expired = 0;             // entries removed after unanswered PROBE solicitations
};

struct Neighbor6Info {
    std::array<uint8_t, 16> addr;
    uint16_t port;
    rte_ether_addr mac;
    Nd6State state;
    bool is_static;
    size_t held;
};

class Nd6Resolver {
public:
    Nd6Resolver(NeighborTable6& table, rte_mempool* pool) : table_(table), pool_(pool) {}
    ~Nd6Resolver();
    Nd6Resolver(const Nd6Resolver&) = delete;
    Nd6Resolver& operator=(const Nd6Resolver&) = delete;

    struct Static {
        std::array<uint8_t, 16> addr;
        uint16_t port;
        rte_ether_addr mac;
    };
    // Called with new tables before they are published (as ArpResolver::attach): fills their
    // gateway words, forgets entries on ports without IPv6, installs `statics` (releasing packets
    // held for them into `out`); a static entry no longer configured becomes STALE (confirmed or
    // removed by the probes that follow).
    void attach(Tables* tables, const std::vector<Static>& statics, uint64_t now_ms, std::vector<rte_mbuf*>& out);
    // dprouterctl's live changes, as ArpResolver::add_static / remove_static.
    bool add_static(const Static& s, uint64_t now_ms, std::vector<rte_mbuf*>& out);
    bool remove_static(const std::array<uint8_t, 16>& addr, uint16_t port);
    // A next hop the live FIB just created: its `l2` word from what is known about its gateway.
    void fill(NextHop6& nh) const;

    // A packet a worker held (held_is_ipv6). Frames to transmit are appended to `out` (m->port set).
    void on_held(rte_mbuf* m, uint64_t now_ms, std::vector<rte_mbuf*>& out);
    // What a worker learnt from an NS's source option (7.2.3) or an NA (7.2.5).
    void on_learn(const LearnMessage6& msg, uint64_t now_ms, std::vector<rte_mbuf*>& out);
    void on_timer(uint64_t now_ms, std::vector<rte_mbuf*>& out);

    const Nd6Stats& stats() const { return stats_; }
    // Where the packets it gives up on are counted (the control thread's block of the router's
    // counters): hold_queue_full, neighbor_failed, own_frames_dropped. None: not counted.
    void count_into(WorkerCounters* c) { counters_ = c; }
    size_t held_total() const { return held_total_; }
    std::vector<Neighbor6Info> snapshot() const;

private:
    struct Key {
        std::array<uint8_t, 16> addr;
        uint16_t port;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        size_t operator()(const Key& k) const;
    };
    struct Entry {
        Key key{};
        rte_ether_addr mac{};
        Nd6State state = Nd6State::incomplete;
        bool is_static = false;
        unsigned probes = 0;   // solicitations sent in the current INCOMPLETE or PROBE round
        uint64_t next_ms = 0;  // when the timer next looks at this entry
        std::vector<rte_mbuf*> held;
    };

    Entry* find_or_create(const Key& k);
    void publish(const Entry& e);
    void unpublish(const Entry& e);
    void set_state(Entry& e, Nd6State s, uint64_t now_ms);
    void learn_mac(Entry& e, const rte_ether_addr& mac, Nd6State s, uint64_t now_ms, std::vector<rte_mbuf*>& out);
    void solicit(const Entry& e, bool unicast, std::vector<rte_mbuf*>& out);
    void release(Entry& e, std::vector<rte_mbuf*>& out);
    void refuse_held(Entry& e, std::vector<rte_mbuf*>& out);
    bool retry(Entry& e, bool unicast, uint64_t now_ms, std::vector<rte_mbuf*>& out);

    NeighborTable6& table_;
    rte_mempool* pool_;
    Tables* tables_ = nullptr;
    std::unordered_map<Key, Entry, KeyHash> entries_;
    size_t held_total_ = 0;
    Nd6Stats stats_;
    WorkerCounters* counters_ = nullptr;
};

}  // namespace dprouter
