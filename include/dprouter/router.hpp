// The router as the control thread runs it: owns the ports, the workers, the tables and the
// neighbour resolver; publishes new tables on reload and reclaims old ones after an RCU grace period.
#pragma once

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <rte_ether.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include "dprouter/arp_resolver.hpp"
#include "dprouter/config.hpp"
#include "dprouter/live_fib.hpp"
#include "dprouter/nd_resolver.hpp"
#include "dprouter/neighbor_table.hpp"
#include "dprouter/pipeline.hpp"
#include "dprouter/telemetry.hpp"
#include "dprouter/worker.hpp"

namespace dprouter {

class CaptureManager;
class ControlServer;
class KernelRouteImporter;
class LinkWatch;
class MetricsServer;
class RouteSink;
class RouterControl;
class Mirror;

class Router {
public:
    // EAL must be initialised. Brings up ports and tables; throws std::runtime_error on failure,
    // having released whatever it had set up.
    explicit Router(Config cfg);
    ~Router();
    Router(const Router&) = delete;
    Router& operator=(const Router&) = delete;

    // Launches the workers and runs the control loop until `stop` is set. A set `reload` flag makes
    // it re-read the configuration file (and clears the flag).
    void run(const std::atomic<bool>& stop, std::atomic<bool>& reload);

    void print_counters(std::FILE* out) const;

    // Where route producers (netlink importer, dprouterctl) send their changes; control thread
    // only, commit() after each batch. Valid from construction to destruction.
    RouteSink& route_sink() { return *live_fib_; }

private:
    friend class RouterControl;  // dprouterctl's view (src/control/router_control.cpp)

    struct PendingFree {
        Tables* tables;
        uint64_t token;
    };

    void setup();
    void teardown();
    std::vector<ArpResolver::Static> statics_for(const Config& cfg) const;
    std::vector<Nd6Resolver::Static> statics6_for(const Config& cfg) const;
    void control_iteration(uint64_t now_ms, bool& busy);
    void inject(std::vector<rte_mbuf*>& frames);
    void publish(Tables* fresh);
    void reclaim(bool wait);
    void reload(const std::atomic<bool>& stop);  // `stop` abandons a reload still being checked
    void refresh_telemetry();
    // dprouterctl's socket (src/control/router_control.cpp): opened at start, polled every
    // iteration, closed (and its file removed) at teardown.
    void start_control();
    void poll_control(uint64_t now_ms, bool& busy);
    void stop_control();

    Config cfg_;
    unsigned workers_ = 0;
    std::vector<unsigned> worker_lcores_;
    rte_mempool* pool_ = nullptr;
    rte_mempool* indirect_pool_ = nullptr;
    std::vector<uint16_t> port_of_;         // config interface index -> port id
    std::vector<rte_ether_addr> port_mac_;  // config interface index -> MAC in use
    std::vector<uint8_t> port_multi_seg_;   // config interface index -> PMD sends chained mbufs
    std::vector<uint16_t> started_ports_;
    rte_rcu_qsbr* qsbr_ = nullptr;
    std::unique_ptr<NeighborTable> neighbors_;
    std::unique_ptr<ArpResolver> resolver_;
    std::unique_ptr<NeighborTable6> neighbors6_;
    std::unique_ptr<Nd6Resolver> nd_resolver_;
    WorkerCounters* counters_ = nullptr;
    unsigned counter_blocks_ = 0;  // counters_[0..workers_) the workers', counters_[workers_] the control thread's
    std::vector<WorkerContext*> contexts_;
    std::vector<WorkerSetup> setups_;
    std::atomic<Tables*> tables_{nullptr};
    // Owns the published Tables (two copies it switches between): every route, every origin.
    std::unique_ptr<LiveFib> live_fib_;
    // control_plane.import_routes: feeds live_fib_ (declared after it: destroyed first).
    std::unique_ptr<KernelRouteImporter> importer_;
    uint64_t generation_ = 0;
    std::vector<PendingFree> pending_;
    std::atomic<bool> workers_stop_{false};
    TelemetrySource telemetry_;
    uint64_t control_ring_overflow_ = 0;
    uint64_t next_timer_ms_ = 0;
    uint64_t next_telemetry_ms_ = 0;
    // Where `route add|del` go: the live FIB (null only while it does not exist yet).
    RouteSink* route_sink_ = nullptr;
    std::unique_ptr<RouterControl> control_;
    std::unique_ptr<ControlServer> control_server_;
    std::unique_ptr<Mirror> mirror_;  // control_plane.mirror: the kernel's interfaces
    std::unique_ptr<CaptureManager> capture_;  // dprouterctl capture (src/control/capture_manager.cpp)
    uint64_t next_mirror_watch_ms_ = 0;
    std::unique_ptr<LinkWatch> link_watch_;     // link up/down to the log
    std::unique_ptr<MetricsServer> metrics_;    // metrics.listen
};

}  // namespace dprouter
