// Path resolution and connected routes for the live FIB; the configuration's routes as Routes.
#include "live_fib_paths.hpp"

#include <algorithm>
#include <cstring>

namespace dprouter::live {
namespace {

bool runs_ipv6(const InterfaceConfig& ic) { return ic.mtu >= config_limits::min_mtu_ipv6; }

PathSpec spec4(NextHopAction action, uint16_t port, Ipv4 gateway) {
    PathSpec s;
    s.action = action;
    s.port = port;
    std::memcpy(s.gateway, &gateway, sizeof gateway);
    return s;
}

PathSpec spec6(NextHopAction action, uint16_t port, const Ipv6& gateway) {
    PathSpec s;
    s.action = action;
    s.port = port;
    std::memcpy(s.gateway, gateway.bytes.data(), 16);
    return s;
}

}  // namespace

Interfaces::Interfaces(const Config& cfg, const LivePorts& ports) {
    for (size_t i = 0; i < cfg.interfaces.size(); ++i) {
        const InterfaceConfig& ic = cfg.interfaces[i];
        Ifc f{ports.port_of[i], runs_ipv6(ic), ic.addresses, {}};
        for (const auto& a : ic.addresses6)
            if (!a.prefix.addr.is_link_local()) f.v6.push_back(a.prefix);
        ifcs_.push_back(std::move(f));
    }
}

int Interfaces::reaching4(Ipv4 a) const {
    int best = -1, best_len = -1;
    for (size_t i = 0; i < ifcs_.size(); ++i)
        for (const auto& addr : ifcs_[i].v4)
            if (addr.prefix.contains(a) && addr.prefix.len > best_len) {
                best = static_cast<int>(i);
                best_len = addr.prefix.len;
            }
    return best;
}

int Interfaces::reaching6(const Ipv6& a) const {
    int best = -1, best_len = -1;
    for (size_t i = 0; i < ifcs_.size(); ++i) {
        if (!ifcs_[i].ipv6) continue;
        for (const auto& p : ifcs_[i].v6)
            if (p.contains(a) && p.len > best_len) {
                best = static_cast<int>(i);
                best_len = p.len;
            }
    }
    return best;
}

std::string Interfaces::resolve(const Route& r, std::vector<PathSpec>& out) const {
    out.clear();
    if (r.action != RouteAction::forward) {
        out.push_back(PathSpec{next_hop_action(r.action), 0, {}});
        return {};
    }
    if (r.via.empty()) return "a forwarding route needs a gateway or an interface";
    if (r.via.size() > kMaxEcmpPaths)
        return std::to_string(r.via.size()) + " paths; a route has at most " + std::to_string(kMaxEcmpPaths);
    for (const RouteVia& v : r.via) {
        if (v.interface >= static_cast<int>(ifcs_.size())) return "no interface " + std::to_string(v.interface);
        if (!r.ipv6) {
            if (v.interface >= 0) {  // the kernel said so: on-link, or a gateway on that link
                out.push_back(spec4(NextHopAction::forward, ifcs_[v.interface].port, v.gateway4));
                continue;
            }
            if (v.gateway4 == 0) return "a path needs a gateway or an interface";
            const int i = reaching4(v.gateway4);
            if (i < 0) return "via " + format_ipv4(v.gateway4) + " reaches no interface";
            out.push_back(spec4(NextHopAction::forward, ifcs_[i].port, v.gateway4));
        } else {
            if (v.interface >= 0) {
                if (!ifcs_[v.interface].ipv6) return "interface " + std::to_string(v.interface) + " does not run IPv6";
                out.push_back(spec6(NextHopAction::forward, ifcs_[v.interface].port, v.gateway6));
                continue;
            }
            if (v.gateway6.is_unspecified()) return "a path needs a gateway or an interface";
            // RFC 4007: fe80::/10 exists on every link; only the interface says which.
            if (v.gateway6.is_link_local()) return "via " + format_ipv6(v.gateway6) + " is link-local and needs an interface";
            const int i = reaching6(v.gateway6);
            if (i < 0) return "via " + format_ipv6(v.gateway6) + " reaches no IPv6 interface";
            out.push_back(spec6(NextHopAction::forward, ifcs_[i].port, v.gateway6));
        }
    }
    return {};
}

std::vector<ConnectedEntry> Interfaces::connected() const {
    std::vector<ConnectedEntry> v;
    // The order of build_tables' plan: subnets, then our addresses and broadcasts, which win.
    for (const Ifc& f : ifcs_)
        for (const auto& a : f.v4)
            if (a.prefix.len < 32)
                v.push_back({false, {a.prefix.network(), a.prefix.len}, {}, spec4(NextHopAction::forward, f.port, 0)});
    for (const Ifc& f : ifcs_)
        for (const auto& a : f.v4) {
            v.push_back({false, {a.prefix.addr, 32}, {}, spec4(NextHopAction::local, f.port, 0)});
            if (a.prefix.len <= 30)
                v.push_back({false, {a.prefix.broadcast(), 32}, {}, spec4(NextHopAction::broadcast, f.port, 0)});
        }
    for (const Ifc& f : ifcs_) {
        if (!f.ipv6) continue;
        for (const auto& p : f.v6)
            if (p.len < 128) v.push_back({true, {}, {p.network(), p.len}, spec6(NextHopAction::forward, f.port, {})});
    }
    for (const Ifc& f : ifcs_) {
        if (!f.ipv6) continue;
        for (const auto& p : f.v6) v.push_back({true, {}, {p.addr, 128}, spec6(NextHopAction::local, f.port, {})});
    }
    return v;
}

}  // namespace dprouter::live

namespace dprouter {

namespace {
int interface_index(const Config& cfg, const std::string& name) {
    for (size_t i = 0; i < cfg.interfaces.size(); ++i)
        if (cfg.interfaces[i].name == name) return static_cast<int>(i);
    return -1;
}
}  // namespace

std::vector<Route> config_routes(const Config& cfg) {
    std::vector<Route> v;
    v.reserve(cfg.routes.size() + cfg.routes6.size());
    for (const RouteConfig& rc : cfg.routes) {
        Route r;
        r.prefix4 = {rc.prefix.network(), rc.prefix.len};
        r.action = rc.action;
        if (rc.action == RouteAction::forward) {
            // IPv4 gateways are found through the connected subnets; `interface:` only confirms it.
            r.via.push_back(RouteVia{rc.via, {}, -1});
            for (Ipv4 more : rc.more_via) r.via.push_back(RouteVia{more, {}, -1});
        }
        v.push_back(std::move(r));
    }
    for (const Route6Config& rc : cfg.routes6) {
        Route r;
        r.ipv6 = true;
        r.prefix6 = {rc.prefix.network(), rc.prefix.len};
        r.action = rc.action;
        if (rc.action == RouteAction::forward) {
            const int ifc = rc.interface.empty() ? -1 : interface_index(cfg, rc.interface);
            r.via.push_back(RouteVia{0, rc.via, ifc});
            for (const Ipv6& more : rc.more_via) r.via.push_back(RouteVia{0, more, ifc});
        }
        v.push_back(std::move(r));
    }
    return v;
}

LiveFibLimits live_fib_limits(const Config& cfg) {
    LiveFibLimits l;
    const ControlPlaneConfig& cp = cfg.control_plane;
    const bool import = cp.import_routes;
    // Room beyond the file's routes: control_plane.max_routes(6), else a few hundred thousand IPv4
    // routes when importing (with the mirrors' mbufs that needs EAL -m 1024: test_frr_bgp), else
    // the headroom dprouterctl's routes share. live_fib_memory() says what each costs.
    const uint32_t extra4 = cp.max_routes != 0 ? cp.max_routes : import ? 262144 : kRouteHeadroom;
    const uint32_t extra6 = cp.max_routes6 != 0 ? cp.max_routes6 : import ? 65536 : kRoute6Headroom;
    l.routes4 = static_cast<uint32_t>(std::min<size_t>(cfg.routes.size() + 4 * kMaxPorts * kMaxAddrsPerInterface + extra4,
                                                       INT32_MAX / 2));
    l.routes6 = static_cast<uint32_t>(std::min<size_t>(cfg.routes6.size() + 4 * kMaxPorts * kMaxAddrs6PerInterface + extra6,
                                                       INT32_MAX / 2));
    // Upper bounds: one DIR-24-8 group per route longer than /24; the TRIE reserves one group per
    // byte past /24.
    size_t long4 = 0, groups6 = 0;
    for (const auto& r : cfg.routes) long4 += r.prefix.len > 24;
    for (const auto& r : cfg.routes6) groups6 += r.prefix.len > 24 ? (r.prefix.len - 24 + 7) / 8 : 0;
    for (const auto& ic : cfg.interfaces) {
        long4 += 2 * ic.addresses.size();
        groups6 += 13 * ic.addresses6.size();
    }
    // Groups for the routes beyond the file's: Internet tables hold few IPv4 prefixes longer than
    // /24 (one group each) and IPv6 ones of /48 and shorter (one to three groups, shared by the
    // prefixes of one /32): one group per 64 IPv4 and per 4 IPv6 routes, at least the defaults.
    const size_t room8_4 = std::max<size_t>(cp.max_routes / 64, import ? 16384 : kTbl8Headroom);
    const size_t room8_6 = std::max<size_t>(cp.max_routes6 / 4, import ? 16384 : kTbl8Headroom6);
    l.tbl8_4 = static_cast<uint32_t>(RTE_ALIGN_CEIL(std::min<size_t>(long4 + room8_4, 1u << 24), 64u));
    l.tbl8_6 = static_cast<uint32_t>(RTE_ALIGN_CEIL(std::min<size_t>(groups6 + room8_6, 1u << 24), 64u));
    return l;
}

}  // namespace dprouter
