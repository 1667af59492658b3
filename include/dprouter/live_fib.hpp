// The live FIB: every route of every origin, both families, applied in place while the workers
// forward (docs/architecture.md "Live FIB").
//
// One writer, the control thread. It keeps each route by (family, prefix, origin), installs the
// most trusted one (connected subnets and own addresses, then cli, then config, then kernel;
// route_store.hpp), resolves its paths to ports, and points the prefix at a deduplicated,
// reference-counted next hop (a multipath one for ECMP). The workers read a Tables object
// published through an atomic pointer and report quiescent states to an rte_rcu_qsbr.
//
// DPDK 22.11's rte_fib and rte_fib6 recycle a tbl8 group the moment a delete empties it, so a
// reader between its two loads could follow a group already given to another prefix. The FIBs are
// therefore kept twice: a batch of changes goes into the copy no worker reads (the standby), that
// copy is published (commit), and once a grace period has passed the same changes are replayed on
// the other one, which becomes the standby (a large batch, such as the first load at start-up, a
// chunk per maintain() call while the workers forward). Both copies share the next-hop arrays; a
// slot freed by a change goes through an rte_rcu_qsbr defer queue before it is reused.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <rte_ether.h>
#include <rte_rcu_qsbr.h>

#include "dprouter/config.hpp"
#include "dprouter/route_store.hpp"
#include "dprouter/tables.hpp"

namespace dprouter {

// What each copy of the FIBs is created to hold. The FIBs are never resized: a change that does
// not fit is refused with the reason (route_store.hpp).
struct LiveFibLimits {
    uint32_t routes4 = kRouteHeadroom;   // IPv4 prefixes, every origin's winner and connected ones
    uint32_t tbl8_4 = kTbl8Headroom;     // DIR-24-8 groups: one per /24 holding a longer prefix
    uint32_t routes6 = kRoute6Headroom;
    uint32_t tbl8_6 = kTbl8Headroom6;    // TRIE groups (reserved per byte below /24)
    uint32_t nexthops4 = 65536;          // next-hop slots, multipath ones included
    uint32_t nexthops6 = 65536;
};

// Sized for a configuration: its routes, plus room for imported ones when control_plane.import_routes.
LiveFibLimits live_fib_limits(const Config& cfg);

// EAL memory a live FIB of these limits takes (both copies of both FIBs, the next-hop arrays), as
// live_fib_memory.cpp computes it from DPDK 22.11's allocations; what the EAL can still give (its
// heaps' free bytes, plus free hugepages when it maps them on demand); and "" when `need` fits,
// else the start-up refusal naming control_plane.max_routes / max_routes6.
size_t live_fib_bytes(const LiveFibLimits& limits);
size_t eal_memory_available();
std::string check_live_fib_memory(const Config& cfg, const LiveFibLimits& limits, size_t available);

// The configuration's routes as the live FIB takes them (origin config).
std::vector<Route> config_routes(const Config& cfg);

// Config interface index -> DPDK port, MAC, "PMD sends chained mbufs" (Router's vectors).
struct LivePorts {
    const uint16_t* port_of = nullptr;
    const rte_ether_addr* mac = nullptr;
    const uint8_t* multi_seg = nullptr;  // null: all do
};

class LiveFib final : public RouteSink {
public:
    // Creates both copies with `cfg`'s interfaces and connected routes (no configured routes:
    // replace_origin(config, config_routes(cfg)) adds them) and publishes nothing until commit().
    // `published` is the pointer the workers load. Throws std::runtime_error.
    LiveFib(const Config& cfg, LivePorts ports, rte_rcu_qsbr* qsbr, std::atomic<Tables*>& published,
            const LiveFibLimits& limits);
    ~LiveFib() override;
    LiveFib(const LiveFib&) = delete;
    LiveFib& operator=(const LiveFib&) = delete;

    std::string upsert(const Route& r) override;
    RouteRemoval remove(const Route& key) override;
    std::string replace_origin(RouteOrigin origin, const std::vector<Route>& routes) override;
    void commit() override;
    std::vector<Route> routes() const override;

    // A reload: interface settings, connected subnets and own addresses from `cfg` (the same
    // interfaces, in the same order), every held route resolved again against them; a route no
    // interface reaches any more stays held but is not installed. Takes effect at commit().
    // Throws std::runtime_error with nothing changed.
    void reconfigure(const Config& cfg);

    // From the control loop: replays the last batch on the old copy once its grace period is
    // over, a bounded chunk per call, and reclaims next-hop slots. Never waits. True while the
    // replay is unfinished (call again soon: replaying()).
    bool maintain();
    // A replay is due or under way: the standby copy lacks the last batch. A change made now
    // finishes the replay first (live_fib.cpp, ensure_writable).
    bool replaying() const;
    // Waits for the grace period and replays, so that both copies are equal (reload, tests).
    void settle();

    // Called for every next hop created (forwarding ones), before any FIB points at it, so that the
    // neighbour resolvers fill its `l2` word from what they know.
    std::function<void(NextHop&)> on_new_next_hop4;
    std::function<void(NextHop6&)> on_new_next_hop6;

    // A copy for the control thread (the resolvers): its next-hop arrays are the ones both copies
    // share. Replaced by reconfigure(): attach the resolvers again after a reload.
    Tables* tables() const;

    struct Stats {
        size_t installed4 = 0, installed6 = 0;      // prefixes in the FIBs
        size_t held = 0;                            // routes held (all origins but connected)
        size_t held_kernel = 0;                     // of which origin kernel (imported)
        uint32_t nexthops4 = 0, nexthops6 = 0;      // slots in use or waiting for reclamation
        uint64_t commits = 0, replays = 0, reclaimed = 0;
        size_t replay_left = 0;                     // operations the standby copy still lacks
    };
    Stats stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace dprouter
