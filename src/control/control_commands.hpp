// What dprouterctl can ask (docs/control-plane.md "dprouterctl"), decoded, validated and answered
// on the control thread. The router is reached through ControlHandler, so the whole request path
// (framing, JSON, validation, answers) is unit-tested against a fake.
//
// Requests are JSON objects {"op": OP, ...}; answers are {"ok": true, "result": ...} or
// {"ok": false, "error": "one line"}. Mutations are validated by the rules the YAML file is held
// to (validate_config on a probe configuration holding the running interfaces and the one route or
// neighbour asked for) before anything changes, so a refused request changes nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "control/control_stream.hpp"
#include "dprouter/config.hpp"
#include "dprouter/route_store.hpp"

namespace dprouter {

inline constexpr unsigned kControlProtocolVersion = 1;

struct InterfaceStatus {
    std::string name;
    uint16_t port = 0;
    MacAddr mac;
    unsigned mtu = 0;
    std::vector<std::string> addresses;  // "10.1.0.1/24", "2001:db8:1::1/64", "fe80::.../64"
    bool link_up = false;
    uint32_t speed_mbps = 0;  // 0: unknown
    uint64_t rx = 0;
    uint64_t tx = 0;
    uint64_t tx_dropped = 0;
};

struct NeighborStatus {
    bool ipv6 = false;
    std::string address;
    MacAddr mac;
    std::string interface;
    std::string state;  // "reachable", "incomplete", "failed"; IPv6: RFC 4861 states ("stale", ...)
    bool is_static = false;
    bool from_cli = false;  // added by `neighbor add` (removable by `neighbor del`)
    uint64_t held = 0;      // packets waiting for resolution
};

// One static neighbour as dprouterctl adds or removes it; exactly one family is set.
struct NeighborRequest {
    bool ipv6 = false;
    NeighborConfig v4;
    Neighbor6Config v6;
};

// `capture INTERFACE [--count N] [--duration S] [--direction rx|tx|both] [--snaplen N]`, checked.
struct CaptureRequest {
    std::string interface;      // a configured interface
    uint64_t count = 0;         // frames, then the capture ends; 0: no limit
    uint64_t duration_ms = 0;   // then the capture ends; 0: no limit
    bool rx = true, tx = true;  // directions captured
    uint32_t snaplen = 0;       // bytes kept of each frame; 0: whole frames
};

// The router as the control commands see it. Control thread only.
class ControlHandler {
public:
    virtual ~ControlHandler() = default;
    // The running configuration: interfaces (for validation and names), file routes, neighbours.
    virtual const Config& config() const = 0;
    virtual std::vector<InterfaceStatus> interfaces() const = 0;
    // Every route held (file, kernel, cli), installed or not; connected subnets are added by the
    // commands from config().
    virtual std::vector<Route> routes() const = 0;
    virtual std::vector<NeighborStatus> neighbors() const = 0;
    // The counters DPDK telemetry shows under /dprouter/stats, same shape.
    virtual nlohmann::json stats() const = 0;
    // Mutations: "" when done, else why nothing changed. The route is validated already.
    virtual std::string add_route(const Route& r) = 0;
    virtual std::string remove_route(const Route& key) = 0;  // origin cli
    virtual std::string add_neighbor(const NeighborRequest& n) = 0;
    virtual std::string remove_neighbor(const NeighborRequest& n) = 0;  // interface may be empty: any
    // A live capture whose pcapng bytes the returned stream produces; null and `error` set when
    // refused (the interface is captured already, no memory for the copies).
    virtual std::unique_ptr<ControlStream> start_capture(const CaptureRequest& c, std::string& error) {
        (void)c;
        error = "capture is not available in this router";
        return nullptr;
    }
};

// One request line in, one answer line out (no '\n' in either). Never throws.
std::string handle_control_request(ControlHandler& handler, const std::string& line);

// The same, with the stream a streaming request (capture) opens: its answer line carries
// "stream": "pcapng" and the stream's bytes follow it on the connection. Never throws.
ControlAnswer answer_control_request(ControlHandler& handler, const std::string& line);

// The origin a route shows: "file", "cli", or the kernel protocol's name ("bgp", "static", ...).
std::string route_origin_label(const Route& r);

}  // namespace dprouter
