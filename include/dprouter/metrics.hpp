// The OpenMetrics (Prometheus) endpoint of `metrics.listen` (docs/metrics.md). prometheus-cpp's
// exposer (civetweb) answers on threads of its own; at each scrape a Collectable sums the
// workers' counters (relaxed loads, as telemetry does), reads the devices' statistics and the
// control thread's copies under the telemetry mutex. Nothing is written into the dataplane and the
// workers pay nothing per packet; a client that stalls or floods the endpoint ties up exposer
// threads only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

#include "dprouter/arp_resolver.hpp"
#include "dprouter/counters.hpp"
#include "dprouter/nd_resolver.hpp"
#include "dprouter/port_stats.hpp"

namespace prometheus {
class Collectable;
class Exposer;
}  // namespace prometheus

namespace dprouter {

struct ListenAddress;
struct TelemetrySource;

struct MetricsPort {
    std::string name;  // the interface name: the `port` label
    uint16_t id = 0;
    PortDeviceStats device;
};

// Everything one scrape shows, gathered first so that the text is built from one consistent read.
struct MetricsInput {
    WorkerCounters sum;  // all workers
    std::vector<MetricsPort> ports;
    uint32_t routes = 0;   // IPv4 prefixes in the FIB (routes, connected subnets, own addresses)
    uint32_t routes6 = 0;  // the same for IPv6
    ResolverStats arp;
    Nd6Stats nd;
};

// The metric families of one scrape, every name starting with dprouter_ (counters end in _total).
std::vector<prometheus::MetricFamily> metric_families(const MetricsInput& in);

// Reads `src` now: the counters summed, each port's device statistics and xstats.
MetricsInput gather_metrics(TelemetrySource& src);

class MetricsServer {
public:
    // Listens at `at`; throws std::runtime_error naming the address and the reason (in use, ...).
    // `src` must outlive the server.
    MetricsServer(const ListenAddress& at, TelemetrySource& src);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

private:
    std::shared_ptr<prometheus::Collectable> collector_;
    std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace dprouter
