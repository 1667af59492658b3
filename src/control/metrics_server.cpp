// prometheus-cpp's pull exposer at `metrics.listen`, and the Collectable it calls at each scrape.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>

#include "dprouter/listen_address.hpp"
#include "dprouter/metrics.hpp"
#include "dprouter/telemetry.hpp"

namespace dprouter {
namespace {

// civetweb's threads: a scrape and a few clients that connect and say nothing (they are cut off
// after kRequestTimeoutMs) at the same time.
constexpr const char* kExposerThreads = "4";
constexpr const char* kRequestTimeoutMs = "3000";

class CounterCollector final : public prometheus::Collectable {
public:
    explicit CounterCollector(TelemetrySource& src) : src_(src) {}

    std::vector<prometheus::MetricFamily> Collect() const override {
        // One scrape at a time: the device statistics calls are not documented as safe to run
        // concurrently with each other.
        std::lock_guard lock(mutex_);
        return metric_families(gather_metrics(src_));
    }

private:
    TelemetrySource& src_;
    mutable std::mutex mutex_;
};

std::string civetweb_address(const ListenAddress& at) {
    const std::string host = at.ipv6 ? "[" + at.host + "]" : at.host;
    return host + ":" + std::to_string(at.port);
}

// civetweb says only "null context when constructing CivetServer" when it cannot listen; binding
// once first gives the reason (EADDRINUSE, EADDRNOTAVAIL, EACCES) for the start error.
std::string bind_problem(const ListenAddress& at) {
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (at.ipv6) {
        auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(at.port);
        inet_pton(AF_INET6, at.host.c_str(), &s6->sin6_addr);
        len = sizeof *s6;
    } else {
        auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
        s4->sin_family = AF_INET;
        s4->sin_port = htons(at.port);
        inet_pton(AF_INET, at.host.c_str(), &s4->sin_addr);
        len = sizeof *s4;
    }
    const int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::strerror(errno);
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as civetweb does
    std::string why;
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0 || ::listen(fd, 1) != 0) why = std::strerror(errno);
    ::close(fd);
    return why;
}

}  // namespace

MetricsInput gather_metrics(TelemetrySource& src) {
    MetricsInput in;
    in.sum = sum_counters(src.counters, src.blocks);
    for (const auto& [name, port] : src.ports) in.ports.push_back({name, port, read_port_device_stats(port, true)});
    std::lock_guard lock(src.mutex);
    in.routes = src.routes;
    in.routes6 = src.routes6;
    in.arp = src.resolver;
    in.nd = src.nd;
    return in;
}

MetricsServer::MetricsServer(const ListenAddress& at, TelemetrySource& src)
    : collector_(std::make_shared<CounterCollector>(src)) {
    const std::string address = civetweb_address(at);
    if (const std::string why = bind_problem(at); !why.empty())
        throw std::runtime_error("metrics.listen " + address + ": cannot listen: " + why);
    try {
        exposer_ = std::make_unique<prometheus::Exposer>(std::vector<std::string>{
            "listening_ports", address, "num_threads", kExposerThreads, "request_timeout_ms", kRequestTimeoutMs});
    } catch (const std::exception& e) {
        // The address itself was bindable (above): with IPv6 the reason is civetweb's build (Debian
        // 12's libcivetweb1 has no IPv6: mg_check_feature(8) is 0).
        if (at.ipv6)
            throw std::runtime_error("metrics.listen " + address +
                                     ": cannot listen: this civetweb library was built without IPv6; use an IPv4 address");
        throw std::runtime_error("metrics.listen " + address + ": cannot listen: " + e.what());
    }
    exposer_->RegisterCollectable(collector_);
}

// The exposer stops its threads (a scrape under way finishes) before the collector goes.
MetricsServer::~MetricsServer() { exposer_.reset(); }

}  // namespace dprouter
