#include "control/router_control.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

#include <nlohmann/json.hpp>
#include <rte_byteorder.h>
#include <rte_ethdev.h>

#include "control/capture_manager.hpp"
#include "control/control_server.hpp"
#include "control/kernel_routes.hpp"
#include "dprouter/log.hpp"
#include "dprouter/router.hpp"

namespace dprouter {
namespace {

using json = nlohmann::json;

// Routes change through the live FIB (Router::route_sink_); null only before it exists.
constexpr const char* kNoLiveRoutes = "routes cannot be changed live in this build";

const char* arp_state_name(NeighborState s) {
    switch (s) {
    case NeighborState::incomplete: return "incomplete";
    case NeighborState::reachable: return "reachable";
    case NeighborState::failed: return "failed";
    }
    return "?";
}

MacAddr mac_of(const rte_ether_addr& a) {
    MacAddr m;
    std::copy(a.addr_bytes, a.addr_bytes + 6, m.bytes.begin());
    return m;
}

rte_ether_addr ether_of(const MacAddr& m) {
    rte_ether_addr a;
    std::copy(m.bytes.begin(), m.bytes.end(), a.addr_bytes);
    return a;
}

uint64_t now_ms() {
    using namespace std::chrono;
    return static_cast<uint64_t>(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

std::string prefix_text(const Route& r) { return r.ipv6 ? format_prefix6(r.prefix6) : format_prefix(r.prefix4); }

template <class Stats>
json resolver_json(const char* sent_name, uint64_t sent, const Stats& st) {
    return {{sent_name, sent},          {"resolved", st.resolved},         {"failed", st.failed},
            {"released", st.released},  {"hold_dropped", st.hold_dropped}, {"failed_dropped", st.failed_dropped},
            {"expired", st.expired}};
}

}  // namespace

// ---- Router hooks (kept here so router.cpp gains only calls) ----

void Router::start_control() {
    control_ = std::make_unique<RouterControl>(*this);
    route_sink_ = live_fib_.get();  // `route add|del` change the live FIB with origin cli
    if (cfg_.control_plane.socket.empty()) return;
    control_server_ = std::make_unique<ControlServer>(
        cfg_.control_plane.socket,
        StreamingRequestHandler([this](const std::string& line) { return answer_control_request(*control_, line); }));
    control_server_->set_before_answers([this] { control_->publish_route_changes(); });
    DPR_LOG(INFO, "control socket %s\n", cfg_.control_plane.socket.c_str());
}

void Router::poll_control(uint64_t now, bool& busy) {
    if (control_server_) busy |= control_server_->poll(now);
}

void Router::stop_control() {
    control_server_.reset();  // closes the clients, removes the socket file
    control_.reset();
}

// ---- RouterControl ----

const Config& RouterControl::config() const { return r_.cfg_; }

int RouterControl::port_index(uint16_t port) const {
    for (std::size_t i = 0; i < r_.port_of_.size(); ++i)
        if (r_.port_of_[i] == port) return static_cast<int>(i);
    return -1;
}

std::vector<InterfaceStatus> RouterControl::interfaces() const {
    std::vector<InterfaceStatus> out;
    const WorkerCounters sum = sum_counters(r_.counters_, r_.counter_blocks_);
    const Tables* t = r_.tables_.load(std::memory_order_acquire);  // the control thread publishes them
    for (std::size_t i = 0; i < r_.cfg_.interfaces.size(); ++i) {
        const InterfaceConfig& ic = r_.cfg_.interfaces[i];
        InterfaceStatus s;
        s.name = ic.name;
        s.port = r_.port_of_[i];
        s.mac = mac_of(r_.port_mac_[i]);
        s.mtu = ic.mtu;
        for (const auto& a : ic.addresses) s.addresses.push_back(format_prefix(a.prefix));
        // IPv6 as the tables hold them: the link-local address derived from the port's MAC included.
        if (t != nullptr && t->ifaces[s.port].ipv6) {
            const InterfaceEntry& e = t->ifaces[s.port];
            for (unsigned k = 0; k < e.n_addrs6; ++k) {
                Ipv6 a;
                std::memcpy(a.bytes.data(), e.addr6[k], 16);
                s.addresses.push_back(format_prefix6(Ipv6Prefix{a, e.plen6[k]}));
            }
        }
        rte_eth_link link{};
        if (rte_eth_link_get_nowait(s.port, &link) == 0) {
            s.link_up = link.link_status == RTE_ETH_LINK_UP;
            s.speed_mbps = link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : link.link_speed;
        }
        s.rx = sum.ports[s.port].rx;
        s.tx = sum.ports[s.port].tx;
        s.tx_dropped = sum.ports[s.port].tx_dropped;
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<Route> RouterControl::routes() const {
    if (r_.route_sink_ != nullptr) return r_.route_sink_->routes();
    // No live FIB: the file's routes are the table.
    std::vector<Route> out;
    for (const RouteConfig& rc : r_.cfg_.routes) {
        Route r;
        r.prefix4 = Ipv4Prefix{rc.prefix.network(), rc.prefix.len};
        r.action = rc.action;
        if (rc.has_via) r.via.push_back(RouteVia{rc.via, {}, -1});
        out.push_back(std::move(r));
    }
    for (const Route6Config& rc : r_.cfg_.routes6) {
        Route r;
        r.ipv6 = true;
        r.prefix6 = Ipv6Prefix{rc.prefix.network(), rc.prefix.len};
        r.action = rc.action;
        if (rc.has_via) {
            int ifc = -1;
            for (std::size_t i = 0; i < r_.cfg_.interfaces.size(); ++i)
                if (r_.cfg_.interfaces[i].name == rc.interface) ifc = static_cast<int>(i);
            r.via.push_back(RouteVia{0, rc.via, ifc});
        }
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<NeighborStatus> RouterControl::neighbors() const {
    std::vector<NeighborStatus> out;
    for (const NeighborInfo& n : r_.resolver_->snapshot()) {
        NeighborStatus s;
        s.address = format_ipv4(rte_be_to_cpu_32(n.addr_be));
        s.mac = mac_of(n.mac);
        const int i = port_index(n.port);
        s.interface = i >= 0 ? r_.cfg_.interfaces[i].name : std::to_string(n.port);
        s.state = arp_state_name(n.state);
        s.is_static = n.is_static;
        s.from_cli = n.is_static && std::any_of(cli4_.begin(), cli4_.end(), [&](const ArpResolver::Static& c) {
                         return c.addr_be == n.addr_be && c.port == n.port;
                     });
        s.held = n.held;
        out.push_back(std::move(s));
    }
    for (const Neighbor6Info& n : r_.nd_resolver_->snapshot()) {
        NeighborStatus s;
        s.ipv6 = true;
        s.address = format_ipv6(Ipv6{n.addr});
        s.mac = mac_of(n.mac);
        const int i = port_index(n.port);
        s.interface = i >= 0 ? r_.cfg_.interfaces[i].name : std::to_string(n.port);
        s.state = nd6_state_name(n.state);
        s.is_static = n.is_static;
        s.from_cli = n.is_static && std::any_of(cli6_.begin(), cli6_.end(), [&](const Nd6Resolver::Static& c) {
                         return c.addr == n.addr && c.port == n.port;
                     });
        s.held = n.held;
        out.push_back(std::move(s));
    }
    std::sort(out.begin(), out.end(), [](const NeighborStatus& a, const NeighborStatus& b) {
        return std::tie(a.ipv6, a.interface, a.address) < std::tie(b.ipv6, b.interface, b.address);
    });
    return out;
}

json RouterControl::stats() const {
    const WorkerCounters sum = sum_counters(r_.counters_, r_.counter_blocks_);
    json ports = json::object();
    for (std::size_t i = 0; i < r_.cfg_.interfaces.size(); ++i) {
        const PortCounters& pc = sum.ports[r_.port_of_[i]];
        ports[r_.cfg_.interfaces[i].name] = {
            {"port_id", r_.port_of_[i]}, {"rx", pc.rx}, {"tx", pc.tx}, {"tx_dropped", pc.tx_dropped}};
    }
    json events = json::object(), drops = json::object(), sent = json::object(), suppressed = json::object(),
         why = json::object();
    for (std::size_t i = 0; i < kEventNames.size(); ++i) events[std::string(kEventNames[i])] = sum.events[i];
    for (std::size_t i = 0; i < kDropNames.size(); ++i) drops[std::string(kDropNames[i])] = sum.drops[i];
    for (std::size_t i = 0; i < kIcmpKinds.size(); ++i) {
        sent[std::string(kIcmpKinds[i].name)] = sum.icmp_sent[i];
        suppressed[std::string(kIcmpKinds[i].name)] = sum.icmp_suppressed[i];
    }
    for (std::size_t i = 0; i < kIcmpSuppressNames.size(); ++i)
        why[std::string(kIcmpSuppressNames[i])] = sum.icmp_suppressed_why[i];
    const ResolverStats& rs = r_.resolver_->stats();
    const Nd6Stats& ns = r_.nd_resolver_->stats();
    json out = {{"ports", std::move(ports)},
                {"events", std::move(events)},
                {"drops", std::move(drops)},
                {"icmp_sent", std::move(sent)},
                {"icmp_suppressed", std::move(suppressed)},
                {"icmp_suppressed_reason", std::move(why)},
                {"arp", resolver_json("requests_sent", rs.requests_sent, rs)},
                {"nd", resolver_json("solicitations_sent", ns.solicitations_sent, ns)}};
    if (r_.importer_) {
        json im = json::object();
        for (const auto& [name, v] : import_figure_list(r_.importer_->figures(r_.live_fib_->stats().held_kernel)))
            im[name] = v;
        out["import"] = std::move(im);
    }
    if (r_.control_server_) {
        const ControlServer::Stats& cs = r_.control_server_->stats();
        out["control"] = {{"accepted", cs.accepted},   {"refused_busy", cs.refused_busy}, {"requests", cs.requests},
                          {"oversized", cs.oversized}, {"timed_out", cs.timed_out},       {"dropped", cs.dropped}};
        out["control"]["streams"] = cs.streams;
        out["control"]["rounds"] = cs.rounds;
        out["control"]["route_changes"] = route_batch_.changes();
        out["control"]["route_publications"] = route_batch_.publications();
    }
    if (r_.live_fib_) {
        // Publications (copy swaps the workers follow) by every producer: control socket, importer, reload.
        const LiveFib::Stats fs = r_.live_fib_->stats();
        out["fib"] = {{"routes4", fs.installed4}, {"routes6", fs.installed6}, {"held", fs.held},
                      {"commits", fs.commits},    {"replays", fs.replays},    {"replay_left", fs.replay_left}};
    }
    if (r_.capture_) {
        const CaptureStats& st = r_.capture_->stats();
        out["capture"] = {{"active", r_.capture_->active()}, {"started", st.started}, {"refused", st.refused},
                          {"written", st.written},           {"dropped_in_control", st.dropped}};
    }
    return out;
}

std::unique_ptr<ControlStream> RouterControl::start_capture(const CaptureRequest& c, std::string& error) {
    for (std::size_t i = 0; i < r_.cfg_.interfaces.size(); ++i)
        if (r_.cfg_.interfaces[i].name == c.interface) return r_.capture_->start(c, r_.port_of_[i], now_ms(), error);
    error = "no interface named '" + c.interface + "'";
    return nullptr;
}

// Committed by publish_route_changes() once the round's requests are answered, before the
// answers are written (route_batch.hpp).
std::string RouterControl::add_route(const Route& r) {
    if (r_.route_sink_ == nullptr) return kNoLiveRoutes;
    std::string why = route_batch_.add(*r_.route_sink_, r);
    if (!why.empty()) return "route " + prefix_text(r) + ": " + why;
    return {};
}

std::string RouterControl::remove_route(const Route& key) {
    if (r_.route_sink_ == nullptr) return kNoLiveRoutes;
    const RouteRemoval r = route_batch_.remove(*r_.route_sink_, key);
    if (r) return {};
    if (!r.error.empty()) return "route " + prefix_text(key) + ": " + r.error;
    return "no route " + prefix_text(key) + " added by dprouterctl (routes from the file change with the file)";
}

void RouterControl::publish_route_changes() {
    if (r_.route_sink_ != nullptr) route_batch_.publish(*r_.route_sink_);
}

std::string RouterControl::add_neighbor(const NeighborRequest& n) {
    const std::string& ifname = n.ipv6 ? n.v6.interface : n.v4.interface;
    int i = -1;
    for (std::size_t k = 0; k < r_.cfg_.interfaces.size(); ++k)
        if (r_.cfg_.interfaces[k].name == ifname) i = static_cast<int>(k);
    if (i < 0) return "neighbor interface '" + ifname + "' is not defined";
    const uint16_t port = r_.port_of_[i];
    std::vector<rte_mbuf*> out;
    bool done;
    if (!n.ipv6) {
        const ArpResolver::Static s{rte_cpu_to_be_32(n.v4.address), port, ether_of(n.v4.mac)};
        done = r_.resolver_->add_static(s, now_ms(), out);
        if (done) {
            std::erase_if(cli4_, [&](const ArpResolver::Static& c) { return c.addr_be == s.addr_be && c.port == port; });
            cli4_.push_back(s);
        }
    } else {
        const Nd6Resolver::Static s{n.v6.address.bytes, port, ether_of(n.v6.mac)};
        done = r_.nd_resolver_->add_static(s, now_ms(), out);
        if (done) {
            std::erase_if(cli6_, [&](const Nd6Resolver::Static& c) { return c.addr == s.addr && c.port == port; });
            cli6_.push_back(s);
        }
    }
    r_.inject(out);  // packets that were waiting for this neighbour
    return done ? std::string{} : "the neighbour table is full";
}

std::string RouterControl::remove_neighbor(const NeighborRequest& n) {
    const std::string& ifname = n.ipv6 ? n.v6.interface : n.v4.interface;
    const std::string addr = n.ipv6 ? format_ipv6(n.v6.address) : format_ipv4(n.v4.address);
    bool removed = false;
    for (std::size_t k = 0; k < r_.cfg_.interfaces.size(); ++k) {
        if (!ifname.empty() && r_.cfg_.interfaces[k].name != ifname) continue;
        const uint16_t port = r_.port_of_[k];
        if (!n.ipv6) {
            const uint32_t be = rte_cpu_to_be_32(n.v4.address);
            auto it = std::find_if(cli4_.begin(), cli4_.end(),
                                   [&](const ArpResolver::Static& c) { return c.addr_be == be && c.port == port; });
            if (it == cli4_.end()) continue;
            r_.resolver_->remove_static(be, port);
            cli4_.erase(it);
            // The file's own static entry for the same neighbour, if any, is what remains.
            std::vector<rte_mbuf*> out;
            for (const ArpResolver::Static& s : r_.statics_for(r_.cfg_))
                if (s.addr_be == be && s.port == port) r_.resolver_->add_static(s, now_ms(), out);
            r_.inject(out);
        } else {
            auto it = std::find_if(cli6_.begin(), cli6_.end(), [&](const Nd6Resolver::Static& c) {
                return c.addr == n.v6.address.bytes && c.port == port;
            });
            if (it == cli6_.end()) continue;
            r_.nd_resolver_->remove_static(n.v6.address.bytes, port);
            cli6_.erase(it);
            std::vector<rte_mbuf*> out;
            for (const Nd6Resolver::Static& s : r_.statics6_for(r_.cfg_))
                if (s.addr == n.v6.address.bytes && s.port == port) r_.nd_resolver_->add_static(s, now_ms(), out);
            r_.inject(out);
        }
        removed = true;
    }
    if (removed) return {};
    return "no static neighbor " + addr + (ifname.empty() ? "" : " on interface '" + ifname + "'") +
           " added by dprouterctl (neighbours from the file change with the file)";
}

}  // namespace dprouter
