// /dprouter/xstats: what each device counts itself, read on DPDK's telemetry thread at the time of
// the request (as DPDK's /ethdev/xstats does), under the interface names of the configuration.
#include <atomic>
#include <string>

#include <rte_telemetry.h>

#include "dprouter/port_stats.hpp"
#include "dprouter/telemetry.hpp"

namespace dprouter {
namespace {

std::atomic<const TelemetrySource*> g_source{nullptr};

// Telemetry names may only hold [A-Za-z0-9_/] (rte_tel_data_add_dict_* refuses others, and a
// dictionary has at most RTE_TEL_MAX_DICT_ENTRIES): an xstat that does not fit is left out here
// and still shown by the metrics endpoint.
rte_tel_data* port_dict(uint16_t port) {
    rte_tel_data* d = rte_tel_data_alloc();
    if (d == nullptr) return nullptr;
    rte_tel_data_start_dict(d);
    const PortDeviceStats s = read_port_device_stats(port, true);
    rte_tel_data_add_dict_u64(d, "port_id", port);
    if (s.have_link) {
        rte_tel_data_add_dict_u64(d, "link_up", s.link_up ? 1 : 0);
        rte_tel_data_add_dict_u64(d, "link_speed_mbps", s.link_speed_mbps);
    }
    for (const auto& [name, value] : s.xstats) rte_tel_data_add_dict_u64(d, name.c_str(), value);
    return d;
}

int xstats_cmd(const char*, const char* params, rte_tel_data* out) {
    const TelemetrySource* src = g_source.load();
    if (src == nullptr) return -1;
    const bool one = params != nullptr && params[0] != '\0';
    rte_tel_data_start_dict(out);
    bool found = false;
    for (const auto& [name, port] : src->ports) {
        if (one && name != params) continue;
        found = true;
        if (rte_tel_data* d = port_dict(port)) rte_tel_data_add_dict_container(out, name.c_str(), d, 0);
    }
    return one && !found ? -1 : 0;
}

}  // namespace

void telemetry_xstats_register(const TelemetrySource* source) {
    g_source.store(source);
    rte_telemetry_register_cmd("/dprouter/xstats", xstats_cmd,
                               "Per interface: link_up, link_speed_mbps and the device's xstats. Parameter: "
                               "an interface name (optional).");
}

void telemetry_xstats_detach() { g_source.store(nullptr); }

}  // namespace dprouter
