#include "dprouter/port_stats.hpp"

#include <cstring>

#include <rte_ethdev.h>

namespace dprouter {

PortDeviceStats read_port_device_stats(uint16_t port, bool with_xstats) {
    PortDeviceStats s;
    if (rte_eth_dev_is_valid_port(port) == 0) return s;  // closed, or never there: nothing to say
    rte_eth_stats st{};
    if (rte_eth_stats_get(port, &st) == 0) {
        s.have_stats = true;
        s.rx_packets = st.ipackets;
        s.tx_packets = st.opackets;
        s.rx_bytes = st.ibytes;
        s.tx_bytes = st.obytes;
        s.rx_missed = st.imissed;
        s.rx_errors = st.ierrors;
        s.tx_errors = st.oerrors;
        s.rx_nombuf = st.rx_nombuf;
    }
    rte_eth_link link{};
    if (rte_eth_link_get_nowait(port, &link) == 0) {
        s.have_link = true;
        s.link_up = link.link_status == RTE_ETH_LINK_UP;
        s.link_speed_mbps = link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : link.link_speed;
    }
    if (!with_xstats) return s;
    // Names and values are two calls; the count can only be trusted for the pair of them if both
    // agree (a PMD may add per-queue entries after a reconfiguration).
    const int n = rte_eth_xstats_get_names(port, nullptr, 0);
    if (n <= 0) return s;
    std::vector<rte_eth_xstat_name> names(static_cast<size_t>(n));
    std::vector<rte_eth_xstat> values(static_cast<size_t>(n));
    if (rte_eth_xstats_get_names(port, names.data(), static_cast<unsigned>(n)) != n) return s;
    if (rte_eth_xstats_get(port, values.data(), static_cast<unsigned>(n)) != n) return s;
    s.xstats.reserve(static_cast<size_t>(n));
    for (const rte_eth_xstat& v : values)
        if (v.id < static_cast<uint64_t>(n))
            s.xstats.emplace_back(std::string(names[v.id].name, strnlen(names[v.id].name, sizeof names[v.id].name)), v.value);
    return s;
}

}  // namespace dprouter
