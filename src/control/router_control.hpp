// The Router as dprouterctl sees it (ControlHandler): reads its interfaces, tables, neighbours and
// counters, and applies route and static-neighbour changes. Control thread only, like the Router.
#pragma once

#include <vector>

#include "control/control_commands.hpp"
#include "control/route_batch.hpp"
#include "dprouter/arp_resolver.hpp"
#include "dprouter/nd_resolver.hpp"

namespace dprouter {

class Router;

class RouterControl : public ControlHandler {
public:
    explicit RouterControl(Router& router) : r_(router) {}

    const Config& config() const override;
    std::vector<InterfaceStatus> interfaces() const override;
    std::vector<Route> routes() const override;
    std::vector<NeighborStatus> neighbors() const override;
    nlohmann::json stats() const override;
    std::string add_route(const Route& r) override;
    std::string remove_route(const Route& key) override;
    std::string add_neighbor(const NeighborRequest& n) override;
    std::string remove_neighbor(const NeighborRequest& n) override;
    std::unique_ptr<ControlStream> start_capture(const CaptureRequest& c, std::string& error) override;

    // Static neighbours added by `neighbor add`: the Router installs them again with the file's
    // on every reload, so a SIGHUP keeps them.
    const std::vector<ArpResolver::Static>& cli_statics() const { return cli4_; }
    const std::vector<Nd6Resolver::Static>& cli_statics6() const { return cli6_; }

    // Commits the route changes of a control-server round (route_batch.hpp), before its answers
    // are written: ControlServer::set_before_answers.
    void publish_route_changes();

private:
    int port_index(uint16_t port) const;  // config interface index of a DPDK port, -1 if none

    Router& r_;
    std::vector<ArpResolver::Static> cli4_;
    std::vector<Nd6Resolver::Static> cli6_;
    RouteBatch route_batch_;
};

}  // namespace dprouter
