#include "control/link_watch.hpp"

#include <rte_ethdev.h>

namespace dprouter {
namespace {

bool read_link(uint16_t port, LinkState& out) {
    rte_eth_link link{};
    if (rte_eth_link_get_nowait(port, &link) != 0) return false;
    out.up = link.link_status == RTE_ETH_LINK_UP;
    out.speed_mbps = link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : link.link_speed;
    out.full_duplex = link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX;
    return true;
}

bool raises_lsc(uint16_t port) {
    rte_eth_dev_info info{};
    return rte_eth_dev_info_get(port, &info) == 0 && info.dev_flags != nullptr && (*info.dev_flags & RTE_ETH_DEV_INTR_LSC) != 0;
}

}  // namespace

std::string describe(const LinkChange& c) {
    std::string s = "interface " + c.name + ": link " + (c.state.up ? "up" : "down");
    if (c.state.up && c.state.speed_mbps != 0)
        s += ", " + std::to_string(c.state.speed_mbps) + " Mbps " + (c.state.full_duplex ? "full-duplex" : "half-duplex");
    return s;
}

LinkWatch::LinkWatch(std::vector<std::pair<std::string, uint16_t>> ports, Reader reader, bool interrupts)
    : reader_(reader ? std::move(reader) : Reader(read_link)) {
    for (auto& [name, port] : ports) {
        bool by_interrupt = interrupts && raises_lsc(port) &&
                            rte_eth_dev_callback_register(port, RTE_ETH_EVENT_INTR_LSC, on_lsc, this) == 0;
        ports_.push_back({std::move(name), port, by_interrupt, false, LinkState{}});
    }
}

LinkWatch::~LinkWatch() {
    for (const Watched& w : ports_)
        if (w.by_interrupt) rte_eth_dev_callback_unregister(w.port, RTE_ETH_EVENT_INTR_LSC, on_lsc, this);
}

int LinkWatch::on_lsc(uint16_t, rte_eth_event_type, void* self, void*) {
    static_cast<LinkWatch*>(self)->interrupted_.store(true, std::memory_order_release);
    return 0;
}

void LinkWatch::check(Watched& w, bool initial, std::vector<LinkChange>& out) {
    LinkState now;
    if (!reader_(w.port, now)) return;
    const bool changed = !w.known || now.up != w.last.up || now.speed_mbps != w.last.speed_mbps ||
                         now.full_duplex != w.last.full_duplex;
    w.known = true;
    w.last = now;
    if (changed) out.push_back({w.name, now, initial});
}

std::vector<LinkChange> LinkWatch::poll(uint64_t now_ms) {
    std::vector<LinkChange> out;
    const bool initial = !started_;
    const bool interrupted = interrupted_.exchange(false, std::memory_order_acq_rel);
    const bool period = now_ms >= next_poll_ms_;
    if (period) next_poll_ms_ = now_ms + kPollPeriodMs;
    for (Watched& w : ports_)
        if (initial || (w.by_interrupt ? interrupted : period)) check(w, initial, out);
    started_ = true;
    return out;
}

}  // namespace dprouter
