#include "dprouter/ports.hpp"

#include <stdexcept>
#include <string_view>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>

#include "dprouter/log.hpp"
#include "dprouter/memif_socket.hpp"

namespace dprouter {
namespace {

constexpr uint16_t kRxDesc = 1024;
constexpr uint16_t kTxDesc = 1024;

std::runtime_error port_error(uint16_t port, const std::string& what, int rc) {
    return std::runtime_error("port " + std::to_string(port) + ": " + what + ": " + rte_strerror(-rc));
}

// The ethdev name of a devargs string is what precedes the first comma ("net_af_packet0,iface=x").
std::string device_name(const std::string& device) { return device.substr(0, device.find(',')); }

}  // namespace

// A configured ring size must fit the device as written; the default is adjusted by
// rte_eth_dev_adjust_nb_rx_tx_desc afterwards.
uint16_t checked_ring_size(const InterfaceConfig& ic, const char* key, unsigned wanted, const rte_eth_desc_lim& lim) {
    if (wanted == 0) return std::string_view(key) == "rx_descriptors" ? kRxDesc : kTxDesc;
    const unsigned align = lim.nb_align == 0 ? 1 : lim.nb_align;
    if (wanted < lim.nb_min || wanted > lim.nb_max || wanted % align != 0)
        throw std::runtime_error("interface '" + ic.name + "': " + key + " " + std::to_string(wanted) +
                                 " is outside what the device takes: " + std::to_string(lim.nb_min) + ".." +
                                 std::to_string(lim.nb_max) + (align > 1 ? ", a multiple of " + std::to_string(align) : ""));
    return static_cast<uint16_t>(wanted);
}

uint16_t probe_port(const std::string& device) {
    const std::string name = device_name(device);
    uint16_t port = 0;
    if (rte_eth_dev_get_port_by_name(name.c_str(), &port) == 0) return port;  // probed by EAL (PCI, -a/--vdev)
    reclaim_stale_memif_socket(device);
    const int rc = rte_dev_probe(device.c_str());
    if (rc < 0 && rc != -EEXIST)
        throw std::runtime_error("device '" + device + "': probe failed: " + rte_strerror(-rc));
    if (rte_eth_dev_get_port_by_name(name.c_str(), &port) != 0)
        throw std::runtime_error("device '" + device + "': no ethdev port named '" + name + "' after probe");
    return port;
}

PortInfo setup_port(uint16_t port, const InterfaceConfig& ic, unsigned queues, rte_mempool* pool) {
    rte_eth_dev_info info{};
    int rc = rte_eth_dev_info_get(port, &info);
    if (rc != 0) throw port_error(port, "cannot read device info", rc);
    if (info.max_rx_queues < queues || info.max_tx_queues < queues)
        throw std::runtime_error("interface '" + ic.name + "': device supports " + std::to_string(info.max_rx_queues) +
                                 " RX / " + std::to_string(info.max_tx_queues) + " TX queues but " +
                                 std::to_string(queues) +
                                 " workers need one each (af_packet: add qpairs=N to the device; af_xdp: "
                                 "queue_count=N, on an interface with N combined channels)");
    // The af_packet PMD joins a PACKET_FANOUT group with PACKET_FANOUT_FLAG_DEFRAG, so the kernel holds
    // IPv4 fragments until it can hand over the reassembled datagram: the router never sees a fragment
    // as it was on the wire (no re-fragmenting fragments, no time exceeded about a first fragment, a
    // lone fragment vanishes). Say so once per port, at start.
    if (std::string_view(info.driver_name) == "net_af_packet")
        DPR_LOG(WARNING,
                "interface '%s': af_packet port: the kernel reassembles IPv4 fragments before the router sees "
                "them (PACKET_FANOUT_FLAG_DEFRAG); use net_af_xdp for fragment experiments\n",
                ic.name.c_str());

    rte_eth_conf conf{};
    if (queues > 1) {
        // Spread flows across workers by IP addresses and ports where the device can.
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
        if (conf.rx_adv_conf.rss_conf.rss_hf == 0) {
            conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
            // af_packet spreads in the kernel (PACKET_FANOUT_HASH), af_xdp by the NIC's channels.
            DPR_LOG(INFO, "interface '%s': device offers no RSS on IP addresses or ports; the PMD decides how "
                          "packets spread over the %u workers' queues\n", ic.name.c_str(), queues);
        }
    }
    // Fragments share the original's payload through indirect mbufs, so TX must take chains. (That is
    // also why MBUF_FAST_FREE stays off: it forbids indirect and multi-pool mbufs.)
    const bool multi_seg = (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) != 0;
    if (multi_seg) conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
    // RFC 1812 5.2.2's header checksum, checked by the device where it can: the pipeline trusts
    // RTE_MBUF_F_RX_IP_CKSUM_GOOD and _BAD and checks in software whatever is marked UNKNOWN.
    const bool rx_cksum = (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM) != 0;
    if (rx_cksum) conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
    // Link changes by interrupt where the PMD raises them (src/control/link_watch.hpp polls the rest).
    const bool lsc = info.dev_flags != nullptr && (*info.dev_flags & RTE_ETH_DEV_INTR_LSC) != 0;
    if (lsc) conf.intr_conf.lsc = 1;
    rc = rte_eth_dev_configure(port, static_cast<uint16_t>(queues), static_cast<uint16_t>(queues), &conf);
    if (rc != 0) throw port_error(port, "configure", rc);

    uint16_t rxd = checked_ring_size(ic, "rx_descriptors", ic.rx_descriptors, info.rx_desc_lim);
    uint16_t txd = checked_ring_size(ic, "tx_descriptors", ic.tx_descriptors, info.tx_desc_lim);
    rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
    if (rc != 0) throw port_error(port, "adjust descriptors", rc);
    DPR_LOG(INFO, "interface '%s': %u RX / %u TX descriptors per queue, RX IPv4 checksum offload %s, link state by %s\n",
            ic.name.c_str(), rxd, txd, rx_cksum ? "on" : "off (checked in software)", lsc ? "interrupt" : "polling");
    const int socket = rte_eth_dev_socket_id(port);
    for (unsigned q = 0; q < queues; ++q) {
        rc = rte_eth_rx_queue_setup(port, static_cast<uint16_t>(q), rxd, socket, nullptr, pool);
        if (rc != 0) throw port_error(port, "RX queue setup", rc);
        rc = rte_eth_tx_queue_setup(port, static_cast<uint16_t>(q), txd, socket, nullptr);
        if (rc != 0) throw port_error(port, "TX queue setup", rc);
    }
    if (!apply_port_mtu(port, ic.mtu))
        DPR_LOG(NOTICE, "interface '%s': device keeps its own MTU; IP MTU %u is enforced in software\n",
                ic.name.c_str(), ic.mtu);

    rte_ether_addr mac{};
    if (ic.has_mac) {
        std::copy(ic.mac.bytes.begin(), ic.mac.bytes.end(), mac.addr_bytes);
        if (rte_eth_dev_default_mac_addr_set(port, &mac) != 0)
            DPR_LOG(NOTICE, "interface '%s': device refused MAC %s; using it in software (port is promiscuous)\n",
                    ic.name.c_str(), format_mac(ic.mac).c_str());
    } else {
        rc = rte_eth_macaddr_get(port, &mac);
        if (rc != 0) throw port_error(port, "read MAC", rc);
    }
    rc = rte_eth_dev_start(port);
    if (rc != 0) throw port_error(port, "start", rc);
    // The MAC filter is applied in software, so the device must hand us every frame.
    rc = rte_eth_promiscuous_enable(port);
    if (rc != 0 && rc != -ENOTSUP) DPR_LOG(NOTICE, "interface '%s': promiscuous mode: %s\n", ic.name.c_str(), rte_strerror(-rc));
    return {mac, multi_seg};
}

unsigned descriptor_mbufs(const Config& cfg) {
    unsigned n = 0;
    for (const auto& ic : cfg.interfaces)
        n += (ic.rx_descriptors != 0 ? ic.rx_descriptors : kRxDesc) + (ic.tx_descriptors != 0 ? ic.tx_descriptors : kTxDesc);
    return n;
}

bool apply_port_mtu(uint16_t port, unsigned mtu) {
    return rte_eth_dev_set_mtu(port, static_cast<uint16_t>(mtu)) == 0;
}

void stop_port(uint16_t port) {
    rte_eth_dev_stop(port);
    rte_eth_dev_close(port);
}

}  // namespace dprouter
