// Bringing up the DPDK ports named in the configuration.
#pragma once

#include <cstdint>
#include <string>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mempool.h>

#include "dprouter/config.hpp"

namespace dprouter {

// Probes `device` (vdev devargs or PCI address) if EAL has not already, and returns its port id.
// Throws std::runtime_error with the reason.
uint16_t probe_port(const std::string& device);

struct PortInfo {
    rte_ether_addr mac;     // the MAC the router uses on this port
    bool tx_multi_seg;      // the PMD transmits chained mbufs
};

// Configures `queues` RX and TX queue pairs (RSS across them when there are several) of
// `rx_descriptors`/`tx_descriptors` each (throws when the device cannot take them), RX IPv4 checksum
// offload and link-state interrupts where the device has them, the MTU, promiscuous mode and, if
// given, the MAC; then starts the port.
PortInfo setup_port(uint16_t port, const InterfaceConfig& ic, unsigned queues, rte_mempool* pool);

// The ring size of `key` ("rx_descriptors") for a queue: `wanted`, or the router's default when it is
// 0 (adjusted to the device later); a configured value outside `lim` throws, naming the device's range.
uint16_t checked_ring_size(const InterfaceConfig& ic, const char* key, unsigned wanted, const rte_eth_desc_lim& lim);

// Mbufs one worker's queues can hold on all ports of `cfg` (RX and TX rings), for sizing the pool.
unsigned descriptor_mbufs(const Config& cfg);

// Applies an MTU change at run time where the PMD allows it; returns false if it refused.
bool apply_port_mtu(uint16_t port, unsigned mtu);

void stop_port(uint16_t port);

}  // namespace dprouter
