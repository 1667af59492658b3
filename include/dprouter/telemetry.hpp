// Live counters through DPDK telemetry (dpdk-telemetry.py):
//   /dprouter/stats      per-port rx/tx, every drop reason, every event, ARP and ND resolver figures
//   /dprouter/neighbors  the neighbour table as the control thread sees it, one string per entry:
//                        "10.2.0.2 02:00:00:00:02:02 reachable static dev wan held 0", then the IPv6
//                        ones with their RFC 4861 state: "fe80::1 02:00:00:00:02:02 stale dev wan held 0"
//   /dprouter/mempools   every mempool's size and objects in use (leak check after traffic)
//   /dprouter/xstats     per interface: link state and speed, then the device's extended statistics
//                        (rte_eth_xstats); `/dprouter/xstats,lan` for one interface
//   /dprouter/workers    per worker: rx, tx, and the outcomes of what it received (forwarded,
//                        dropped, local_delivered, punted)
// Telemetry callbacks run on DPDK's telemetry thread. Worker counters are read with relaxed loads;
// everything else is a copy the control thread refreshes under a mutex (control path only).
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "dprouter/arp_resolver.hpp"
#include "dprouter/counters.hpp"
#include "dprouter/nd_resolver.hpp"

namespace dprouter {

// The kernel route importer's figures (control_plane.import_routes), as /dprouter/stats and
// `dprouterctl show stats` give them under "import".
struct ImportFigures {
    bool enabled = false;
    bool synchronised = false;     // the first dump is done and no resync runs
    uint64_t routes_imported = 0;  // kernel routes the live FIB holds now
    uint64_t routes_refused = 0;   // kernel routes the live FIB refused (full, unreachable gateway), in all
    uint64_t kernel_routes = 0;    // routes of the kernel's main table the importer holds
    uint64_t notifications = 0;    // route, nexthop and link notifications read
    uint64_t resyncs = 0;          // full dumps applied, the first one included
    uint64_t overruns = 0;         // ENOBUFS: the kernel dropped notifications (a resync follows)
    uint64_t malformed = 0;        // messages refused by the decoder
    uint64_t held_overflows = 0;   // dumps redone because too many notifications arrived meanwhile
};

// The figures by name, in one order for telemetry and dprouterctl.
std::vector<std::pair<const char*, uint64_t>> import_figure_list(const ImportFigures& f);

struct TelemetrySource {
    const WorkerCounters* counters = nullptr;
    unsigned workers = 0;  // counters[0..workers): one block per worker (/dprouter/workers)
    unsigned blocks = 0;   // blocks summed for /dprouter/stats: the workers', then the control thread's
    std::vector<std::pair<std::string, uint16_t>> ports;  // interface name, port id

    std::mutex mutex;  // guards the copies below
    ResolverStats resolver;
    std::vector<NeighborInfo> neighbors;
    Nd6Stats nd;
    std::vector<Neighbor6Info> neighbors6;
    uint32_t routes = 0;   // prefixes in the published FIB, IPv4
    uint32_t routes6 = 0;  // and IPv6
    ImportFigures import;
};

// Registers the commands; `source` must outlive the EAL.
void telemetry_register(TelemetrySource* source);
// Makes the commands answer with an error from now on (the source is going away).
void telemetry_detach();
// /dprouter/xstats (src/control/telemetry_xstats.cpp): the same life cycle.
void telemetry_xstats_register(const TelemetrySource* source);
void telemetry_xstats_detach();

}  // namespace dprouter
