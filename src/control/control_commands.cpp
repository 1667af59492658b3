#include "control/control_commands.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <tuple>

#include <nlohmann/json.hpp>

#include "config/families.hpp"
#include "dprouter/config.hpp"

namespace dprouter {
namespace {

using json = nlohmann::json;

// `show routes` answers with at most this many routes unless the request asks for fewer: a full
// Internet table would otherwise hold the control thread for seconds and the answer hundreds of MB.
constexpr std::size_t kMaxRoutesShown = 100000;

// A request the commands refuse: the message is the answer's "error".
struct Refused : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string ok(json result) { return dump(json{{"ok", true}, {"result", std::move(result)}}); }

std::string quoted(const std::string& s) { return "'" + s + "'"; }

const char* action_text(RouteAction a) {
    switch (a) {
    case RouteAction::forward: return "forward";
    case RouteAction::blackhole: return "blackhole";
    case RouteAction::unreachable: return "unreachable";
    case RouteAction::prohibit: return "prohibit";
    }
    return "?";
}

// The request's fields, type-checked; unknown fields are refused so that a typo is not ignored.
class Fields {
public:
    Fields(const json& req, std::initializer_list<const char*> allowed) : req_(req) {
        for (auto it = req.begin(); it != req.end(); ++it) {
            const std::string& key = it.key();  // a plain name: clang 14 lambdas cannot capture bindings
            if (key == "op") continue;
            if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; }))
                throw Refused("unknown field " + quoted(key) + " for " + quoted(req["op"].get<std::string>()));
        }
    }
    std::string string(const char* key, bool required) const {
        auto it = req_.find(key);
        if (it == req_.end()) {
            if (required) throw Refused(std::string("missing field '") + key + "'");
            return {};
        }
        if (!it->is_string()) throw Refused(std::string("field '") + key + "' must be a string");
        return it->get<std::string>();
    }
    std::vector<std::string> strings(const char* key) const {
        std::vector<std::string> out;
        auto it = req_.find(key);
        if (it == req_.end()) return out;
        if (!it->is_array()) throw Refused(std::string("field '") + key + "' must be a list of strings");
        for (const auto& v : *it) {
            if (!v.is_string()) throw Refused(std::string("field '") + key + "' must be a list of strings");
            out.push_back(v.get<std::string>());
        }
        return out;
    }
    std::size_t count(const char* key, std::size_t dflt) const {
        auto it = req_.find(key);
        if (it == req_.end()) return dflt;
        if (!it->is_number_unsigned()) throw Refused(std::string("field '") + key + "' must be a non-negative integer");
        return it->get<std::size_t>();
    }

private:
    const json& req_;
};

int interface_index(const Config& c, const std::string& name) {
    for (std::size_t i = 0; i < c.interfaces.size(); ++i)
        if (c.interfaces[i].name == name) return static_cast<int>(i);
    return -1;
}

// The running interfaces alone: a probe that validate_config checks with the one item requested,
// so the item meets exactly the rules a YAML file's would (and the running file's own routes,
// which may share its prefix with a different origin, do not count as duplicates).
Config probe_of(const Config& running) {
    Config p;
    p.file = "request";
    p.interfaces = running.interfaces;
    return p;
}

void check(const Config& probe) {
    const std::vector<ConfigError> errors = validate_config(probe);
    if (!errors.empty()) throw Refused(errors.front().message);
}

RouteAction parse_action(const std::string& s) {
    if (s.empty() || s == "forward") return RouteAction::forward;
    if (s == "blackhole") return RouteAction::blackhole;
    if (s == "unreachable") return RouteAction::unreachable;
    if (s == "prohibit") return RouteAction::prohibit;
    throw Refused("invalid action " + quoted(s) + " (expected forward, blackhole, unreachable or prohibit)");
}

template <class F>
auto parse_prefix_text(const std::string& text) {
    auto p = F::prefix(text);
    if (!p) throw Refused(F::bad_prefix(text));
    return *p;
}

template <class F>
auto parse_via_text(const std::string& text) {
    auto a = F::address(text);
    if (!a) throw Refused(bad_address_message<F>("via", text, quoted(text)));
    return *a;
}

// The route a `route add` request asks for, validated like a YAML route, origin cli.
Route route_from(const ControlHandler& h, const Fields& f) {
    const Config& running = h.config();
    const std::string prefix = f.string("prefix", true);
    const std::vector<std::string> vias = f.strings("via");
    const std::string ifname = f.string("interface", false);
    const RouteAction action = parse_action(f.string("action", false));
    if (vias.size() > kMaxEcmpPaths)
        throw Refused("route " + prefix + " has " + std::to_string(vias.size()) + " paths; at most " +
                      std::to_string(kMaxEcmpPaths));
    for (std::size_t i = 0; i < vias.size(); ++i)
        for (std::size_t k = 0; k < i; ++k)
            if (vias[i] == vias[k]) throw Refused("via " + vias[i] + " is listed twice");

    Route r;
    r.origin = RouteOrigin::cli;
    r.action = action;
    r.ipv6 = is_ipv6_text(prefix);
    const int ifindex = ifname.empty() ? -1 : interface_index(running, ifname);
    // Each path is checked as the one via of a YAML route (an action without a via as such a route
    // with none), so every message is the one the file would get.
    const std::size_t probes = std::max<std::size_t>(vias.size(), 1);
    for (std::size_t i = 0; i < probes; ++i) {
        Config probe = probe_of(running);
        if (!r.ipv6) {
            RouteConfig rc;
            rc.prefix = parse_prefix_text<Ipv4Family>(prefix);
            rc.action = action;
            rc.interface = ifname;
            if (!vias.empty()) {
                rc.has_via = true;
                rc.via = parse_via_text<Ipv4Family>(vias[i]);
                r.via.push_back(RouteVia{rc.via, {}, ifindex});
            }
            r.prefix4 = rc.prefix;
            probe.routes.push_back(rc);
        } else {
            Route6Config rc;
            rc.prefix = parse_prefix_text<Ipv6Family>(prefix);
            rc.action = action;
            rc.interface = ifname;
            if (!vias.empty()) {
                rc.has_via = true;
                rc.via = parse_via_text<Ipv6Family>(vias[i]);
                r.via.push_back(RouteVia{0, rc.via, ifindex});
            }
            r.prefix6 = rc.prefix;
            probe.routes6.push_back(rc);
        }
        check(probe);
    }
    return r;
}

// The key of a `route del` request: family and prefix, origin cli.
Route route_key_from(const Fields& f) {
    const std::string prefix = f.string("prefix", true);
    Route r;
    r.origin = RouteOrigin::cli;
    r.ipv6 = is_ipv6_text(prefix);
    if (!r.ipv6) {
        r.prefix4 = parse_prefix_text<Ipv4Family>(prefix);
        if (r.prefix4.addr != r.prefix4.network()) throw Refused("prefix " + format_prefix(r.prefix4) + " has host bits set");
    } else {
        r.prefix6 = parse_prefix_text<Ipv6Family>(prefix);
        if (!(r.prefix6.addr == r.prefix6.network()))
            throw Refused("prefix " + format_prefix6(r.prefix6) + " has host bits set");
    }
    return r;
}

// A `neighbor add` (validated like a YAML neighbour) or `neighbor del` request.
NeighborRequest neighbor_from(const ControlHandler& h, const Fields& f, bool add) {
    const std::string address = f.string("address", true);
    const std::string ifname = f.string("interface", add);
    NeighborRequest n;
    n.ipv6 = is_ipv6_text(address);
    MacAddr mac;
    if (add) {
        const std::string mac_text = f.string("mac", true);
        auto m = parse_mac(mac_text);
        if (!m) throw Refused("invalid MAC address " + quoted(mac_text));
        mac = *m;
    }
    if (!ifname.empty() && interface_index(h.config(), ifname) < 0)
        throw Refused("neighbor interface " + quoted(ifname) + " is not defined");
    Config probe = probe_of(h.config());
    if (!n.ipv6) {
        auto a = parse_ipv4(address);
        if (!a) throw Refused(parse_ipv6(address) ? "neighbor " + address + " is not an IPv4 or IPv6 address"
                                                  : "invalid IPv4 address " + quoted(address));
        n.v4.address = *a;
        n.v4.mac = mac;
        n.v4.interface = ifname;
        probe.neighbors.push_back(n.v4);
    } else {
        auto a = parse_ipv6(address);
        if (!a) throw Refused("invalid IPv6 address " + quoted(address));
        n.v6.address = *a;
        n.v6.mac = mac;
        n.v6.interface = ifname;
        probe.neighbors6.push_back(n.v6);
    }
    if (add) check(probe);
    return n;
}

std::string mutation(const std::string& why) {
    if (!why.empty()) throw Refused(why);
    return ok(json::object());
}

// ---- show ----

json interfaces_json(const ControlHandler& h) {
    json out = json::array();
    for (const InterfaceStatus& s : h.interfaces()) {
        out.push_back({{"name", s.name},
                       {"port", s.port},
                       {"mac", format_mac(s.mac)},
                       {"mtu", s.mtu},
                       {"addresses", s.addresses},
                       {"link", s.link_up ? "up" : "down"},
                       {"speed_mbps", s.speed_mbps},
                       {"rx_packets", s.rx},
                       {"tx_packets", s.tx},
                       {"tx_dropped", s.tx_dropped}});
    }
    return out;
}

// connected (the router's own subnets: always installed) > cli > file > kernel, as the live FIB
// decides (route_store.hpp).
int rank(const std::string& origin_kind) {
    if (origin_kind == "connected") return 3;
    if (origin_kind == "cli") return 2;
    if (origin_kind == "file") return 1;
    return 0;
}

std::string interface_name(const Config& c, int index) {
    return index >= 0 && static_cast<std::size_t>(index) < c.interfaces.size() ? c.interfaces[index].name : "";
}

// The interface whose connected subnet holds a gateway given without one.
int interface_holding(const Config& c, const RouteVia& v, bool ipv6) {
    if (v.interface >= 0) return v.interface;
    for (std::size_t i = 0; i < c.interfaces.size(); ++i) {
        if (!ipv6) {
            for (const auto& a : c.interfaces[i].addresses)
                if (a.prefix.len > 0 && a.prefix.contains(v.gateway4)) return static_cast<int>(i);
        } else {
            for (const auto& a : c.interfaces[i].addresses6)
                if (a.prefix.len > 0 && a.prefix.contains(v.gateway6)) return static_cast<int>(i);
        }
    }
    return -1;
}

struct Row {
    bool ipv6;
    Ipv4Prefix p4;
    Ipv6Prefix p6;
    int rank;
    json j;
};

json routes_json(const ControlHandler& h, std::size_t limit) {
    const Config& c = h.config();
    std::vector<Row> rows;
    for (std::size_t i = 0; i < c.interfaces.size(); ++i) {
        const auto& ic = c.interfaces[i];
        for (const auto& a : ic.addresses) {
            const Ipv4Prefix net{a.prefix.network(), a.prefix.len};
            rows.push_back({false, net, {}, 3,
                            {{"prefix", format_prefix(net)}, {"action", "forward"}, {"via", json::array()},
                             {"interface", ic.name}, {"origin", "connected"}}});
        }
        for (const auto& a : ic.addresses6) {
            const Ipv6Prefix net{a.prefix.network(), a.prefix.len};
            rows.push_back({true, {}, net, 3,
                            {{"prefix", format_prefix6(net)}, {"action", "forward"}, {"via", json::array()},
                             {"interface", ic.name}, {"origin", "connected"}}});
        }
    }
    for (const Route& r : h.routes()) {
        json via = json::array();
        std::string first_ifc;
        for (const RouteVia& v : r.via) {
            const std::string ifc = interface_name(c, interface_holding(c, v, r.ipv6));
            if (first_ifc.empty()) first_ifc = ifc;
            json vj = {{"interface", ifc}};
            if (!r.ipv6 && v.gateway4 != 0) vj["gateway"] = format_ipv4(v.gateway4);
            if (r.ipv6 && !v.gateway6.is_unspecified()) vj["gateway"] = format_ipv6(v.gateway6);
            via.push_back(std::move(vj));
        }
        const std::string origin = route_origin_label(r);
        json j = {{"prefix", r.ipv6 ? format_prefix6(r.prefix6) : format_prefix(r.prefix4)},
                  {"action", action_text(r.action)},
                  {"via", std::move(via)},
                  {"interface", first_ifc},
                  {"origin", origin}};
        if (r.origin == RouteOrigin::kernel) j["metric"] = r.metric;
        rows.push_back({r.ipv6, r.prefix4, r.prefix6, rank(route_origin_name(r.origin)), std::move(j)});
    }
    auto key = [](const Row& r) {
        return std::tuple(r.ipv6, r.ipv6 ? 0u : r.p4.network(), r.ipv6 ? r.p6.network() : Ipv6{},
                          unsigned{r.ipv6 ? r.p6.len : r.p4.len});
    };
    std::sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
        const auto ka = key(a), kb = key(b);
        if (ka != kb) return ka < kb;
        return a.rank > b.rank;
    });
    json out = json::array();
    std::size_t shown = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        // The first of a run of the same prefix is the most trusted origin: the one installed.
        const bool installed = i == 0 || key(rows[i - 1]) != key(rows[i]);
        if (shown == limit) break;
        rows[i].j["installed"] = installed;
        out.push_back(std::move(rows[i].j));
        ++shown;
    }
    return json{{"routes", std::move(out)}, {"total", rows.size()}, {"truncated", shown < rows.size()}};
}

json neighbors_json(const ControlHandler& h) {
    json out = json::array();
    for (const NeighborStatus& n : h.neighbors()) {
        out.push_back({{"family", n.ipv6 ? "ipv6" : "ipv4"},
                       {"address", n.address},
                       {"mac", format_mac(n.mac)},
                       {"interface", n.interface},
                       {"state", n.state},
                       {"type", n.is_static ? (n.from_cli ? "static (cli)" : "static") : "learned"},
                       {"held", n.held}});
    }
    return out;
}

// Bounds that keep a request from asking for nonsense (a duration beyond a year, a snap length
// beyond the largest frame a port takes).
constexpr double kMaxCaptureSeconds = 365.0 * 24 * 3600;
constexpr std::size_t kMinSnaplen = 64;
constexpr std::size_t kMaxSnaplen = 65535;

CaptureRequest capture_from(const ControlHandler& h, const json& req) {
    Fields f(req, {"interface", "count", "duration", "direction", "snaplen"});
    CaptureRequest c;
    c.interface = f.string("interface", true);
    if (interface_index(h.config(), c.interface) < 0) throw Refused("no interface named '" + c.interface + "'");
    c.count = f.count("count", 0);
    if (auto it = req.find("duration"); it != req.end()) {
        if (!it->is_number() || it->get<double>() <= 0 || it->get<double>() > kMaxCaptureSeconds)
            throw Refused("field 'duration' must be a number of seconds above 0 and at most a year");
        c.duration_ms = static_cast<uint64_t>(it->get<double>() * 1000.0 + 0.5);
        if (c.duration_ms == 0) c.duration_ms = 1;
    }
    const std::string dir = f.string("direction", false);
    if (dir == "rx") c.tx = false;
    else if (dir == "tx") c.rx = false;
    else if (!dir.empty() && dir != "both") throw Refused("invalid direction " + quoted(dir) + " (expected rx, tx or both)");
    const std::size_t snaplen = f.count("snaplen", 0);
    if (snaplen != 0 && (snaplen < kMinSnaplen || snaplen > kMaxSnaplen))
        throw Refused("snaplen " + std::to_string(snaplen) + " out of range " + std::to_string(kMinSnaplen) + ".." +
                      std::to_string(kMaxSnaplen));
    c.snaplen = static_cast<uint32_t>(snaplen);
    return c;
}

ControlAnswer capture(ControlHandler& h, const json& req) {
    const CaptureRequest c = capture_from(h, req);
    std::string error;
    std::unique_ptr<ControlStream> stream = h.start_capture(c, error);
    if (!stream) throw Refused(error.empty() ? "capture refused" : error);
    const char* dir = c.rx && c.tx ? "both" : (c.rx ? "rx" : "tx");
    return {dump(json{{"ok", true}, {"stream", "pcapng"}, {"result", {{"interface", c.interface}, {"direction", dir}}}}),
            std::move(stream)};
}

std::string dispatch(ControlHandler& h, const json& req) {
    if (!req.is_object()) throw Refused("a request is a JSON object");
    auto op_it = req.find("op");
    if (op_it == req.end() || !op_it->is_string()) throw Refused("a request needs an \"op\" string");
    const std::string op = op_it->get<std::string>();
    if (op == "version") {
        Fields f(req, {});
        return ok({{"protocol", kControlProtocolVersion}});
    }
    if (op == "show interfaces") {
        Fields f(req, {});
        return ok(interfaces_json(h));
    }
    if (op == "show routes") {
        Fields f(req, {"limit"});
        return ok(routes_json(h, std::min(f.count("limit", kMaxRoutesShown), kMaxRoutesShown)));
    }
    if (op == "show neighbors") {
        Fields f(req, {});
        return ok(neighbors_json(h));
    }
    if (op == "show stats") {
        Fields f(req, {});
        return ok(h.stats());
    }
    if (op == "route add") {
        Fields f(req, {"prefix", "via", "interface", "action"});
        return mutation(h.add_route(route_from(h, f)));
    }
    if (op == "route del") {
        Fields f(req, {"prefix"});
        return mutation(h.remove_route(route_key_from(f)));
    }
    if (op == "neighbor add") {
        Fields f(req, {"address", "mac", "interface"});
        return mutation(h.add_neighbor(neighbor_from(h, f, true)));
    }
    if (op == "neighbor del") {
        Fields f(req, {"address", "interface"});
        return mutation(h.remove_neighbor(neighbor_from(h, f, false)));
    }
    throw Refused("unknown op " + quoted(op));
}

}  // namespace

std::string route_origin_label(const Route& r) {
    if (r.origin == RouteOrigin::kernel) return kernel_protocol_name(r.protocol);
    return route_origin_name(r.origin);
}

std::string handle_control_request(ControlHandler& handler, const std::string& line) {
    return answer_control_request(handler, line).line;
}

ControlAnswer answer_control_request(ControlHandler& handler, const std::string& line) {
    try {
        // No exceptions from the parser: garbage is an answer, not an event.
        const json req = json::parse(line, nullptr, false);
        if (req.is_discarded()) return {dump(json{{"ok", false}, {"error", "malformed request: not JSON"}}), nullptr};
        if (req.is_object() && req.value("op", json()) == "capture") return capture(handler, req);
        return {dispatch(handler, req), nullptr};
    } catch (const Refused& e) {
        return {dump(json{{"ok", false}, {"error", e.what()}}), nullptr};
    } catch (const std::exception& e) {
        return {dump(json{{"ok", false}, {"error", std::string("internal error: ") + e.what()}}), nullptr};
    }
}


}  // namespace dprouter
