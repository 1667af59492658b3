// Link up/down on every port, for the log. Ports whose PMD raises link-state interrupts
// (RTE_ETH_DEV_INTR_LSC; setup_port enables them) are read when an interrupt says the link changed;
// the others (af_packet, af_xdp, most vdevs) are polled with rte_eth_link_get_nowait once a second.
// Everything but the interrupt callback, which only raises a flag, runs on the control thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <rte_ethdev.h>

namespace dprouter {

struct LinkState {
    bool up = false;
    uint32_t speed_mbps = 0;  // 0: unknown
    bool full_duplex = false;
};

struct LinkChange {
    std::string name;  // interface name
    LinkState state;
    bool initial = false;  // the state found at start, not a change
};

// "interface lan: link up, 10000 Mbps full-duplex", "interface wan: link down".
std::string describe(const LinkChange& c);

class LinkWatch {
public:
    static constexpr uint64_t kPollPeriodMs = 1000;
    // Reads one port's link; false when the device cannot say.
    using Reader = std::function<bool(uint16_t port, LinkState& out)>;

    // `ports`: interface name and port id. With `interrupts`, ports that raise LSC interrupts get a
    // callback instead of polling (tests pass false and a Reader of their own).
    explicit LinkWatch(std::vector<std::pair<std::string, uint16_t>> ports, Reader reader = {}, bool interrupts = true);
    ~LinkWatch();
    LinkWatch(const LinkWatch&) = delete;
    LinkWatch& operator=(const LinkWatch&) = delete;

    // The changes since the last call; the first call reports every port's state (initial).
    std::vector<LinkChange> poll(uint64_t now_ms);

private:
    struct Watched {
        std::string name;
        uint16_t port;
        bool by_interrupt;
        bool known = false;
        LinkState last;
    };
    // rte_eth_dev_cb_fn: runs on DPDK's interrupt thread.
    static int on_lsc(uint16_t port, rte_eth_event_type event, void* self, void* ret);
    void check(Watched& w, bool initial, std::vector<LinkChange>& out);

    std::vector<Watched> ports_;
    Reader reader_;
    std::atomic<bool> interrupted_{false};
    bool started_ = false;
    uint64_t next_poll_ms_ = 0;
};

}  // namespace dprouter
