// What the NIC (or PMD) itself counts on a port: the basic ethdev statistics, the link and the
// extended statistics (rte_eth_xstats). Read on demand by the telemetry and metrics threads, as
// DPDK's own /ethdev/xstats telemetry does; nothing here runs on a worker.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dprouter {

struct PortDeviceStats {
    bool have_stats = false;  // rte_eth_stats_get answered
    uint64_t rx_packets = 0;  // ipackets: what the device received (before the router's own checks)
    uint64_t tx_packets = 0;  // opackets
    uint64_t rx_bytes = 0;
    uint64_t tx_bytes = 0;
    uint64_t rx_missed = 0;   // imissed: dropped by the device, no free RX descriptor
    uint64_t rx_errors = 0;   // ierrors
    uint64_t tx_errors = 0;   // oerrors
    uint64_t rx_nombuf = 0;   // RX mbuf allocation failures
    bool have_link = false;   // rte_eth_link_get_nowait answered
    bool link_up = false;
    uint32_t link_speed_mbps = 0;  // 0 when unknown
    std::vector<std::pair<std::string, uint64_t>> xstats;  // name, value, in the device's order
};

// `with_xstats`: also the extended statistics (a few hundred on some NICs).
PortDeviceStats read_port_device_stats(uint16_t port, bool with_xstats);

}  // namespace dprouter
