// Live counters through DPDK telemetry (dpdk-telemetry.py):
//   /dprouter/stats      per-port rx/tx, every drop reason, every event, ARP and ND resolver figures
//   /dprouter/neighbors  the neighbour table as the control thread sees it, one string per entry:
//                        "10.2.0.2 02:00:00:00:02:02 reachable static dev wan held 0", then the IPv6
//                        ones with their RFC 4861 state: "fe80::1 02:00:00:00:02:02 stale dev wan held 0"
//   /dprouter/mempools   every mempool's size and objects in use (leak check after traffic)
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
};

// Registers the commands; `source` must outlive the EAL.
void telemetry_register(TelemetrySource* source);
// Makes the commands answer with an error from now on (the source is going away).
void telemetry_detach();

}  // namespace dprouter
