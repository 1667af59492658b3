// YAML -> config structs.
//
// The parser checks structure: known keys, required keys, value types, and that each value is
// well formed on its own (an address parses, a number is in range). Relations between values
// (duplicates, reachability) are the validator's job; it runs only once the structure is clean,
// because half-parsed items would otherwise produce follow-on errors that only confuse.
//
// Every problem is collected rather than thrown, so one run of `--check` lists all of them.
#include <sys/stat.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/exceptions.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dprouter/config.hpp"
#include "dprouter/listen_address.hpp"
#include "dprouter/route_store.hpp"
#include "error_sink.hpp"
#include "families.hpp"
#include "route_list.hpp"
#include "yaml_tree.hpp"

namespace dprouter {

namespace {

using yaml::Node;

SourcePos to_pos(const YAML::Mark& m) { return source_pos(m); }

// One key/value pair of a mapping. The key is kept because an empty value (`mtu:`) has no
// useful mark of its own: yaml-cpp places it at the next token, often on the following line.
struct Entry {
    Node key;
    Node value;

    std::string name() const { return key.Scalar(); }
    SourcePos pos() const { return to_pos(value.IsNull() ? key.Mark() : value.Mark()); }
};

using Entries = std::map<std::string, Entry, std::less<>>;

const Entry* find(const Entries& entries, std::string_view key) {
    auto it = entries.find(key);
    return it == entries.end() ? nullptr : &it->second;
}

// A quoted scalar ("68") or an explicit !!str is a string in YAML even when it looks like a
// number, so numbers and booleans must be written plain.
bool is_text(const Node& n) { return n.IsText(); }

// `addresses`, `routes` and `neighbors` hold both families (families.hpp).
bool looks_ipv6(const Node& n) { return n.IsScalar() && is_ipv6_text(n.Scalar()); }
bool looks_ipv6(const Entry* e) { return e != nullptr && looks_ipv6(e->value); }

std::string via_text(Ipv4 a) { return format_ipv4(a); }
std::string via_text(const Ipv6& a) { return format_ipv6(a); }

class Parser {
public:
    Parser(const std::string& file, ErrorSink& errors) : file_(file), errors_(errors) {}

    void parse_document(const Node& root, Config& cfg);
    SourcePos routes_file_pos;  // where `routes_file:` was written, for "cannot read" messages

private:
    void error(SourcePos pos, std::string message) {
        errors_.add(file_, pos, std::move(message));
    }
    void error(const Node& n, std::string message) { error(to_pos(n.Mark()), std::move(message)); }

    Entries read_map(const Node& map, std::string_view context,
                     std::initializer_list<std::string_view> allowed);
    void require(const Entries& entries, const Node& map, std::string_view context,
                 std::initializer_list<std::string_view> keys);

    std::optional<std::string> read_string(const Entry& e);
    void read_string_at(const Entries& f, std::string_view key, std::string& out, SourcePos& pos);
    bool has_value(const Entry& e);
    std::optional<long long> read_int(const Entry& e);
    void range_error(const Entry& e, long long lo, long long hi);
    bool read_non_negative(const Entry& e, double& out, double max);
    std::optional<bool> read_bool(const Entry& e);
    template <class F>
    std::optional<typename F::Address> read_address(const Entry& e);
    std::optional<MacAddr> read_mac(const Entry& e);
    std::optional<Ipv4Prefix> read_prefix(const Node& n, std::string_view noun);
    std::optional<Ipv6Prefix> read_prefix6(const Node& n, std::string_view noun);
    std::optional<RouteAction> read_action(const Entry& e);

    // Lists that may be absent or written empty (`routes:`) are fine; anything but a list is not.
    bool is_list_or_empty(const Entry& e);

    void parse_dpdk(const Entry& e, DpdkConfig& dpdk);
    void parse_interfaces(const Entry& e, std::vector<InterfaceConfig>& out);
    void parse_interface(const Node& n, std::vector<InterfaceConfig>& out);
    void parse_addresses(const Entry& e, InterfaceConfig& ifc);
    void parse_route(const Node& n, Config& cfg);
    void parse_neighbor(const Node& n, Config& cfg);
    void parse_icmp(const Entry& e, IcmpConfig& icmp);
    void parse_control_plane(const Entry& e, ControlPlaneConfig& cp);
    void parse_metrics(const Entry& e, MetricsConfig& m);
    void parse_descriptors(const Entries& f, InterfaceConfig& ifc);
    void parse_bucket(const Entry& e, std::string_view context, TokenBucketConfig& bucket);
    void parse_pmtud_knobs(const Entries& f, InterfaceConfig& ifc);
    static constexpr long long kMinMssClamp = config_limits::min_mss_clamp;
    static constexpr long long kMaxMssClamp = 65535;

    const std::string& file_;
    ErrorSink& errors_;
};

// Reports unknown, duplicate and non-string keys, and returns the first occurrence of each
// allowed key. yaml-cpp keeps duplicate keys, so they are caught here rather than lost.
Entries Parser::read_map(const Node& map, std::string_view context,
                         std::initializer_list<std::string_view> allowed) {
    const std::string where = context == "top level" ? "at top level" : "in " + std::string(context);
    Entries entries;
    for (const auto& kv : map) {
        const Node& key = kv.first;
        if (!key.IsScalar()) {
            error(key, "keys " + where + " must be strings");
            continue;
        }
        const std::string& name = key.Scalar();
        if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
            error(key, "unknown key '" + name + "' " + where);
            continue;
        }
        if (!entries.emplace(name, Entry{key, kv.second}).second)
            error(key, "duplicate key '" + name + "' " + where);
    }
    return entries;
}

void Parser::require(const Entries& entries, const Node& map, std::string_view context,
                     std::initializer_list<std::string_view> keys) {
    for (std::string_view key : keys) {
        if (!find(entries, key))
            error(map, std::string(context) + " is missing required key '" + std::string(key) + "'");
    }
}

// `mtu:` with nothing after it is a null, which reads better as "no value" than as a type error.
// An optional string key: its value (if it is one) into `out`, where it was written into `pos`.
void Parser::read_string_at(const Entries& f, std::string_view key, std::string& out, SourcePos& pos) {
    const Entry* e = find(f, key);
    if (!e) return;
    if (auto v = read_string(*e)) out = std::move(*v);
    pos = e->pos();
}

bool Parser::has_value(const Entry& e) {
    if (!e.value.IsNull()) return true;
    error(e.pos(), e.name() + " has no value");
    return false;
}

std::optional<std::string> Parser::read_string(const Entry& e) {
    if (!has_value(e)) return std::nullopt;
    if (!e.value.IsScalar()) {
        error(e.pos(), e.name() + " must be a string");
        return std::nullopt;
    }
    return e.value.Scalar();
}

std::optional<long long> Parser::read_int(const Entry& e) {
    if (!has_value(e)) return std::nullopt;
    const std::string text = e.value.IsScalar() ? e.value.Scalar() : std::string();
    long long v = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, v);
    if (!e.value.IsScalar() || is_text(e.value) || text.empty() || ptr != end ||
        (ec != std::errc() && ec != std::errc::result_out_of_range)) {
        error(e.pos(), e.name() + " must be an integer");
        return std::nullopt;
    }
    // Saturate huge values so that the caller's range check reports them.
    if (ec == std::errc::result_out_of_range)
        return text[0] == '-' ? std::numeric_limits<long long>::min() : std::numeric_limits<long long>::max();
    return v;
}

// Quotes the text rather than the number, so a saturated value still reads as written.
void Parser::range_error(const Entry& e, long long lo, long long hi) {
    error(e.pos(), e.name() + ' ' + e.value.Scalar() + " out of range " + std::to_string(lo) + ".." +
                       std::to_string(hi));
}

// Numbers beyond `max` are refused: the table builder scales them into integers.
bool Parser::read_non_negative(const Entry& e, double& out, double max) {
    if (!has_value(e)) return false;
    const std::string text = e.value.IsScalar() ? e.value.Scalar() : std::string();
    double v = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, v);
    if (!e.value.IsScalar() || is_text(e.value) || text.empty() || ptr != end ||
        ec != std::errc() || !std::isfinite(v) || v < 0) {
        error(e.pos(), e.name() + " must be a non-negative number");
        return false;
    }
    if (v > max) {
        error(e.pos(), e.name() + ' ' + text + " out of range 0.." + std::to_string(static_cast<long long>(max)));
        return false;
    }
    out = v;
    return true;
}

std::optional<bool> Parser::read_bool(const Entry& e) {
    if (!has_value(e)) return std::nullopt;
    const std::optional<bool> v = e.value.IsScalar() && !is_text(e.value) ? yaml::parse_bool(e.value.Scalar()) : std::nullopt;
    if (!v) error(e.pos(), e.name() + " must be true or false");
    return v;
}

// A route's via, or a neighbour's address, of the family F.
template <class F>
std::optional<typename F::Address> Parser::read_address(const Entry& e) {
    auto text = read_string(e);
    if (!text) return std::nullopt;
    if (auto addr = F::address(*text)) return addr;
    error(e.pos(), bad_address_message<F>(e.name(), *text, "'" + *text + "'"));
    return std::nullopt;
}

std::optional<MacAddr> Parser::read_mac(const Entry& e) {
    auto text = read_string(e);
    if (!text) return std::nullopt;
    auto mac = parse_mac(*text);
    if (!mac) error(e.pos(), "invalid MAC address '" + *text + "'");
    return mac;
}

// `noun` names the thing in messages: "address" for interface addresses, "prefix" for routes.
std::optional<Ipv4Prefix> Parser::read_prefix(const Node& n, std::string_view noun) {
    if (!n.IsScalar()) {
        error(n, std::string(noun) + " must be a string like 10.1.0.0/24");
        return std::nullopt;
    }
    const std::string& text = n.Scalar();
    if (auto p = parse_prefix(text)) return p;
    error(n, invalid_prefix_message(text, noun));
    return std::nullopt;
}

std::optional<Ipv6Prefix> Parser::read_prefix6(const Node& n, std::string_view noun) {
    const std::string& text = n.Scalar();  // looks_ipv6 chose this reader: a scalar
    if (auto p = parse_prefix6(text)) return p;
    error(n, invalid_prefix6_message(text, noun));
    return std::nullopt;
}

std::optional<RouteAction> Parser::read_action(const Entry& e) {
    static const std::pair<std::string_view, RouteAction> actions[] = {
        {"forward", RouteAction::forward},
        {"blackhole", RouteAction::blackhole},
        {"unreachable", RouteAction::unreachable},
        {"prohibit", RouteAction::prohibit},
    };
    auto text = read_string(e);
    if (!text) return std::nullopt;
    auto it = std::find_if(std::begin(actions), std::end(actions), [&](const auto& a) { return a.first == *text; });
    if (it != std::end(actions)) return it->second;
    error(e.pos(), "invalid route action '" + *text + "' (expected forward, blackhole, unreachable or prohibit)");
    return std::nullopt;
}

bool Parser::is_list_or_empty(const Entry& e) {
    if (e.value.IsSequence() || e.value.IsNull()) return true;
    error(e.pos(), e.name() + " must be a list");
    return false;
}

void Parser::parse_document(const Node& root, Config& cfg) {
    if (!root.IsMap()) {
        error(root, "top level must be a mapping");
        return;
    }
    Entries top = read_map(root, "top level", {"dpdk", "interfaces", "routes", "routes_file", "neighbors", "icmp", "control_plane",
                                                   "metrics"});
    if (const Entry* e = find(top, "dpdk")) parse_dpdk(*e, cfg.dpdk);
    if (const Entry* e = find(top, "interfaces")) {
        parse_interfaces(*e, cfg.interfaces);
    } else {
        error(root, "missing required key 'interfaces'");
    }
    if (const Entry* e = find(top, "routes"); e && is_list_or_empty(*e)) {
        for (const auto& item : e->value) parse_route(item, cfg);
    }
    if (const Entry* e = find(top, "routes_file")) {
        if (auto v = read_string(*e)) {
            if (v->empty()) error(e->pos(), "routes_file must not be empty");
            else {
                routes_file_pos = e->pos();
                cfg.routes_file = *v;
            }
        }
    }
    if (const Entry* e = find(top, "neighbors"); e && is_list_or_empty(*e)) {
        for (const auto& item : e->value) parse_neighbor(item, cfg);
    }
    if (const Entry* e = find(top, "icmp")) parse_icmp(*e, cfg.icmp);
    if (const Entry* e = find(top, "control_plane")) parse_control_plane(*e, cfg.control_plane);
    if (const Entry* e = find(top, "metrics")) parse_metrics(*e, cfg.metrics);
}

void Parser::parse_dpdk(const Entry& e, DpdkConfig& dpdk) {
    if (e.value.IsNull()) return;  // `dpdk:` with nothing under it: all defaults
    if (!e.value.IsMap()) {
        error(e.pos(), "dpdk must be a mapping");
        return;
    }
    Entries f = read_map(e.value, "dpdk", {"eal_args", "workers", "mbufs", "idle", "idle_max_us"});
    if (const Entry* args = find(f, "eal_args")) {
        if (!args->value.IsSequence() && !args->value.IsNull()) {
            error(args->pos(), "eal_args must be a list of strings");
        } else {
            for (const auto& arg : args->value) {
                if (arg.IsScalar()) {
                    dpdk.eal_args.push_back(arg.Scalar());
                } else {
                    error(arg, "eal_args must be a list of strings");
                }
            }
        }
    }
    if (const Entry* w = find(f, "workers")) {
        if (auto v = read_int(*w)) {
            if (*v < 1 || *v > config_limits::max_workers) {
                range_error(*w, 1, config_limits::max_workers);
            } else {
                dpdk.workers = static_cast<unsigned>(*v);
            }
        }
    }
    if (const Entry* m = find(f, "mbufs")) {
        if (auto v = read_int(*m)) {
            if (*v < config_limits::min_mbufs || *v > config_limits::max_mbufs) {
                range_error(*m, config_limits::min_mbufs, config_limits::max_mbufs);
            } else {
                dpdk.mbufs = static_cast<unsigned>(*v);
            }
        }
    }
    if (const Entry* i = find(f, "idle")) {
        if (auto v = read_string(*i)) {
            dpdk.idle_pos = i->pos();
            if (*v == "poll") dpdk.idle = IdleMode::poll;
            else if (*v == "sleep") dpdk.idle = IdleMode::sleep;
            else error(i->pos(), "idle must be 'poll' or 'sleep', not '" + *v + "'");
        }
    }
    if (const Entry* m = find(f, "idle_max_us")) {
        if (auto v = read_int(*m)) {
            dpdk.idle_max_us_pos = m->pos();
            if (*v < 1 || *v > config_limits::max_idle_us) range_error(*m, 1, config_limits::max_idle_us);
            else dpdk.idle_max_us = static_cast<unsigned>(*v);
        }
    }
}

void Parser::parse_control_plane(const Entry& e, ControlPlaneConfig& cp) {
    cp.pos = e.pos();
    if (e.value.IsNull()) return;
    if (!e.value.IsMap()) {
        error(e.pos(), "control_plane must be a mapping");
        return;
    }
    Entries f = read_map(e.value, "control_plane", {"mirror", "import_routes", "socket", "max_routes", "max_routes6"});
    if (const Entry* m = find(f, "mirror")) {
        if (auto v = read_bool(*m)) {
            cp.mirror = *v;
            cp.mirror_pos = m->pos();
        }
    }
    if (const Entry* m = find(f, "import_routes")) {
        if (auto v = read_bool(*m)) {
            cp.import_routes = *v;
            cp.import_routes_pos = m->pos();
        }
    }
    if (const Entry* s = find(f, "socket")) {
        if (auto v = read_string(*s)) {
            cp.socket_pos = s->pos();
            if (v->empty()) cp.socket.clear();  // `socket: ""`: no control socket
            else if ((*v)[0] != '/') error(s->pos(), "socket must be an absolute path");
            else if (v->size() > config_limits::max_socket_path)
                error(s->pos(), "socket path longer than " + std::to_string(config_limits::max_socket_path) + " bytes");
            else cp.socket = *v;
        }
    }
    const auto read_room = [&](const char* key, unsigned max, unsigned& out, SourcePos& pos) {
        if (const Entry* m = find(f, key)) {
            if (auto v = read_int(*m)) {
                pos = m->pos();
                if (*v < 1 || *v > max) range_error(*m, 1, max);
                else out = static_cast<unsigned>(*v);
            }
        }
    };
    read_room("max_routes", config_limits::max_live_routes, cp.max_routes, cp.max_routes_pos);
    read_room("max_routes6", config_limits::max_live_routes6, cp.max_routes6, cp.max_routes6_pos);
    // Routes are imported from the kernel's routes on mirror interfaces: without mirrors there are none.
    if (cp.import_routes && !cp.mirror)
        error(cp.import_routes_pos, "import_routes needs mirror: true (routes are taken from the mirror interfaces)");
}

void Parser::parse_metrics(const Entry& e, MetricsConfig& m) {
    if (e.value.IsNull()) return;  // `metrics:` alone: no endpoint
    if (!e.value.IsMap()) {
        error(e.pos(), "metrics must be a mapping");
        return;
    }
    Entries f = read_map(e.value, "metrics", {"listen"});
    if (const Entry* l = find(f, "listen")) {
        if (auto v = read_string(*l)) {
            m.listen_pos = l->pos();
            std::string why;
            if (parse_listen_address(*v, why))
                m.listen = *v;
            else
                error(l->pos(), "listen '" + *v + "': " + why);
        }
    }
}

void Parser::parse_interfaces(const Entry& e, std::vector<InterfaceConfig>& out) {
    if (!is_list_or_empty(e)) return;
    if (e.value.size() == 0) {
        error(e.pos(), "interfaces must list at least one interface");
        return;
    }
    for (const auto& item : e.value) parse_interface(item, out);
}

void Parser::parse_interface(const Node& n, std::vector<InterfaceConfig>& out) {
    if (!n.IsMap()) {
        error(n, "each interface must be a mapping");
        return;
    }
    Entries f = read_map(n, "interface", {"name", "device", "addresses", "mtu", "mac", "icmp_redirects",
                                          "tcp_mss_clamp", "pmtud_blackhole", "advertised_mtu", "rx_descriptors",
                                          "tx_descriptors"});
    require(f, n, "interface", {"name", "device", "addresses"});

    InterfaceConfig ifc;
    ifc.pos = to_pos(n.Mark());
    if (const Entry* e = find(f, "name")) {
        if (auto v = read_string(*e)) ifc.name = *v;
        ifc.name_pos = e->pos();
    }
    if (const Entry* e = find(f, "device")) {
        if (auto v = read_string(*e)) ifc.device = *v;
        ifc.device_pos = e->pos();
    }
    if (const Entry* e = find(f, "addresses")) parse_addresses(*e, ifc);
    if (const Entry* e = find(f, "mtu")) {
        // The 68..9000 range is the validator's; here only what cannot be stored at all.
        if (auto v = read_int(*e)) {
            if (*v < 0 || *v > std::numeric_limits<unsigned>::max()) {
                range_error(*e, config_limits::min_mtu, config_limits::max_mtu);
            } else {
                ifc.mtu = static_cast<unsigned>(*v);
            }
        }
        ifc.mtu_pos = e->pos();
    }
    if (const Entry* e = find(f, "mac")) {
        if (auto v = read_mac(*e)) {
            ifc.mac = *v;
            ifc.has_mac = true;
        }
        ifc.mac_pos = e->pos();
    }
    if (const Entry* e = find(f, "icmp_redirects")) {
        if (auto v = read_bool(*e)) ifc.icmp_redirects = *v;
    }
    parse_pmtud_knobs(f, ifc);
    parse_descriptors(f, ifc);
    out.push_back(std::move(ifc));
}

// Ring sizes: powers of two, because most PMDs round or refuse anything else; whether the device
// takes the value is known only when the port starts (setup_port checks its desc_lim).
void Parser::parse_descriptors(const Entries& f, InterfaceConfig& ifc) {
    for (auto [key, out] : {std::pair{"rx_descriptors", &ifc.rx_descriptors}, std::pair{"tx_descriptors", &ifc.tx_descriptors}}) {
        const Entry* e = find(f, key);
        if (!e) continue;
        auto v = read_int(*e);
        if (!v) continue;
        if (*v < config_limits::min_descriptors || *v > config_limits::max_descriptors)
            range_error(*e, config_limits::min_descriptors, config_limits::max_descriptors);
        else if ((*v & (*v - 1)) != 0)
            error(e->pos(), e->name() + ' ' + e->value.Scalar() + " is not a power of two");
        else
            *out = static_cast<unsigned>(*v);
    }
}

// The Path MTU Discovery lab knobs. `tcp_mss_clamp: true` means the interface MTU minus 40 (IPv4 and
// TCP headers without options); a number clamps to that value.
void Parser::parse_pmtud_knobs(const Entries& f, InterfaceConfig& ifc) {
    bool clamp_to_mtu = false;
    if (const Entry* e = find(f, "tcp_mss_clamp")) ifc.mss_clamp_pos = e->pos();
    if (const Entry* e = find(f, "tcp_mss_clamp"); e && has_value(*e)) {
        const bool is_bool_word = e->value.IsScalar() && !is_text(e->value) &&
                                  (e->value.Scalar() == "true" || e->value.Scalar() == "false");
        if (is_bool_word) {
            clamp_to_mtu = e->value.Scalar() == "true";
        } else if (auto v = read_int(*e)) {
            if (*v < kMinMssClamp || *v > kMaxMssClamp)
                range_error(*e, kMinMssClamp, kMaxMssClamp);
            else
                ifc.tcp_mss_clamp = static_cast<unsigned>(*v);
        }
    }
    if (clamp_to_mtu) ifc.tcp_mss_clamp = ifc.mtu > 40 ? ifc.mtu - 40 : 0;
    if (const Entry* e = find(f, "pmtud_blackhole")) {
        if (auto v = read_bool(*e)) ifc.pmtud_blackhole = *v;
    }
    if (const Entry* e = find(f, "advertised_mtu")) {
        if (auto v = read_int(*e)) {
            if (*v < 0 || *v > 65535) {
                range_error(*e, 0, 65535);
            } else {
                ifc.advertised_mtu = static_cast<unsigned>(*v);
                ifc.has_advertised_mtu = true;
            }
        }
    }
}

void Parser::parse_addresses(const Entry& e, InterfaceConfig& ifc) {
    if (!e.value.IsSequence()) {
        error(e.pos(), "addresses must be a list");
        return;
    }
    if (e.value.size() == 0) {
        error(e.pos(), "interface needs at least one address");
        return;
    }
    for (const auto& item : e.value) {
        if (looks_ipv6(item)) {
            if (auto p = read_prefix6(item, "address"))
                ifc.addresses6.push_back(InterfaceAddress6{*p, to_pos(item.Mark())});
        } else if (auto p = read_prefix(item, "address")) {
            ifc.addresses.push_back(InterfaceAddress{*p, to_pos(item.Mark())});
        }
    }
}

// A route is IPv6 when its prefix is (or, with no usable prefix, its via is); IPv6 routes go to
// Config::routes6. Both families take the same keys.
void Parser::parse_route(const Node& n, Config& cfg) {
    if (!n.IsMap()) {
        error(n, "each route must be a mapping");
        return;
    }
    Entries f = read_map(n, "route", {"prefix", "via", "action", "interface"});
    require(f, n, "route", {"prefix"});
    const Entry* prefix_e = find(f, "prefix");
    const Entry* via_e = find(f, "via");
    // ECMP: `via: [A, B, ...]`; the first gateway decides the family like a single one.
    const bool via_list = via_e != nullptr && via_e->value.IsSequence();
    const bool via_v6 = via_list ? via_e->value.size() > 0 && looks_ipv6(*via_e->value.begin()) : looks_ipv6(via_e);
    const bool v6 = looks_ipv6(prefix_e) || ((!prefix_e || !prefix_e->value.IsScalar()) && via_v6);

    auto fill = [&](auto& route, auto read_prefix_of, auto read_via) {
        route.pos = to_pos(n.Mark());
        if (prefix_e) {
            if (has_value(*prefix_e)) {
                if (auto p = read_prefix_of(prefix_e->value)) route.prefix = *p;
            }
            route.prefix_pos = prefix_e->pos();
        }
        if (via_e && via_list) {
            route.has_via = true;
            route.via_pos = via_e->pos();
            if (via_e->value.size() == 0) error(via_e->pos(), "via must list at least one gateway");
            if (via_e->value.size() > kMaxEcmpPaths)
                error(via_e->pos(), "via lists " + std::to_string(via_e->value.size()) + " gateways; a route has at most " +
                                        std::to_string(kMaxEcmpPaths));
            size_t i = 0;
            for (const Node& gw : via_e->value) {
                if (i >= kMaxEcmpPaths) break;
                const size_t k = i++;
                const Entry item{via_e->key, gw};
                auto v = read_via(item);
                if (!v) continue;
                const bool dup = (k > 0 && *v == route.via) ||
                                 std::find(route.more_via.begin(), route.more_via.end(), *v) != route.more_via.end();
                if (dup) {
                    error(item.pos(), "via " + via_text(*v) + " is listed twice");
                } else if (k == 0) {
                    route.via = *v;
                    route.via_pos = item.pos();
                } else {
                    route.more_via.push_back(*v);
                    route.more_via_pos.push_back(item.pos());
                }
            }
        } else if (via_e) {
            if (auto v = read_via(*via_e)) route.via = *v;
            route.has_via = true;
            route.via_pos = via_e->pos();
        }
        if (const Entry* e = find(f, "action")) {
            if (auto a = read_action(*e)) route.action = *a;
        }
        read_string_at(f, "interface", route.interface, route.interface_pos);
    };
    if (v6) {
        Route6Config route;
        // Here a prefix that does not look IPv6 is no string at all: read_prefix says so.
        auto prefix6 = [&](const Node& p) -> std::optional<Ipv6Prefix> {
            if (looks_ipv6(p)) return read_prefix6(p, "prefix");
            read_prefix(p, "prefix");
            return std::nullopt;
        };
        fill(route, prefix6, [&](const Entry& e) { return read_address<Ipv6Family>(e); });
        cfg.routes6.push_back(std::move(route));
    } else {
        RouteConfig route;
        fill(route, [&](const Node& p) { return read_prefix(p, "prefix"); }, [&](const Entry& e) { return read_address<Ipv4Family>(e); });
        cfg.routes.push_back(std::move(route));
    }
}

void Parser::parse_neighbor(const Node& n, Config& cfg) {
    if (!n.IsMap()) {
        error(n, "each neighbor must be a mapping");
        return;
    }
    Entries f = read_map(n, "neighbor", {"address", "mac", "interface"});
    require(f, n, "neighbor", {"address", "mac", "interface"});

    auto fill = [&](auto& nb, auto read_address) {
        nb.pos = to_pos(n.Mark());
        if (const Entry* e = find(f, "address")) {
            if (auto v = read_address(*e)) nb.address = *v;
            nb.address_pos = e->pos();
        }
        if (const Entry* e = find(f, "mac")) {
            if (auto v = read_mac(*e)) nb.mac = *v;
            nb.mac_pos = e->pos();
        }
        read_string_at(f, "interface", nb.interface, nb.interface_pos);
    };
    if (looks_ipv6(find(f, "address"))) {
        Neighbor6Config nb;
        fill(nb, [&](const Entry& e) { return read_address<Ipv6Family>(e); });
        cfg.neighbors6.push_back(std::move(nb));
    } else {
        NeighborConfig nb;
        fill(nb, [&](const Entry& e) { return read_address<Ipv4Family>(e); });
        cfg.neighbors.push_back(std::move(nb));
    }
}

void Parser::parse_icmp(const Entry& e, IcmpConfig& icmp) {
    if (e.value.IsNull()) return;
    if (!e.value.IsMap()) {
        error(e.pos(), "icmp must be a mapping");
        return;
    }
    Entries f = read_map(e.value, "icmp", {"rate_limit"});
    const Entry* rl = find(f, "rate_limit");
    if (!rl || rl->value.IsNull()) return;
    if (!rl->value.IsMap()) {
        error(rl->pos(), "rate_limit must be a mapping");
        return;
    }
    Entries buckets = read_map(rl->value, "icmp.rate_limit", {"global", "per_destination", "frag_needed"});
    if (const Entry* g = find(buckets, "global"))
        parse_bucket(*g, "icmp.rate_limit.global", icmp.rate_limit.global);
    if (const Entry* p = find(buckets, "per_destination"))
        parse_bucket(*p, "icmp.rate_limit.per_destination", icmp.rate_limit.per_destination);
    if (const Entry* p = find(buckets, "frag_needed"))
        parse_bucket(*p, "icmp.rate_limit.frag_needed", icmp.rate_limit.frag_needed);
}

// A bucket written in the file replaces the default as a whole, so `rate` is required; `burst`
// may be left out only when rate is 0 (that kind of ICMP error is then never sent).
void Parser::parse_bucket(const Entry& e, std::string_view context, TokenBucketConfig& bucket) {
    if (e.value.IsNull()) return;
    if (!e.value.IsMap()) {
        error(e.pos(), e.name() + " must be a mapping like {rate: 10, burst: 10}");
        return;
    }
    Entries f = read_map(e.value, context, {"rate", "burst"});
    require(f, e.value, context, {"rate"});
    const Entry* rate_e = find(f, "rate");
    const Entry* burst_e = find(f, "burst");
    // Both values are read before bailing out so that both can be reported.
    double rate = 0;
    double burst = 0;
    bool rate_ok = rate_e && read_non_negative(*rate_e, rate, config_limits::max_icmp_rate);
    bool burst_ok = burst_e && read_non_negative(*burst_e, burst, config_limits::max_icmp_burst);
    if (!rate_ok) return;
    bucket.rate = rate;
    bucket.burst = burst;
    if (rate > 0 && !burst_e) {
        error(e.value, std::string(context) + " is missing required key 'burst'");
    } else if (rate > 0 && burst_ok && burst < 1) {
        error(burst_e->pos(), "burst must be at least 1 when rate is above 0");
    }
}

}  // namespace

// Relative routes_file paths are relative to the directory of the YAML file.
static std::string resolve_beside(const std::string& config_file, const std::string& path) {
    if (path.front() == '/') return path;
    const std::size_t slash = config_file.rfind('/');
    return slash == std::string::npos ? path : config_file.substr(0, slash + 1) + path;
}

// Only a regular file of sane size: "/dev/zero" or a FIFO would never end.
static std::optional<std::string> route_list_unusable(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;  // read_whole_file says why
    if (!S_ISREG(st.st_mode)) return std::string("is not a regular file");
    if (static_cast<unsigned long long>(st.st_size) > config_limits::max_routes_file_bytes)
        return "is larger than " + std::to_string(config_limits::max_routes_file_bytes >> 20) + " MiB";
    return std::nullopt;
}

ConfigResult parse_config_text(const std::string& text, const std::string& file) {
    ConfigResult result;
    result.config.file = file;
    ErrorSink errors;
    SourcePos routes_file_pos;
    try {
        // Not YAML::LoadAll, which loops forever on "," (yaml-cpp issue 1040): see yaml_tree.hpp.
        const yaml::Document doc = yaml::load(text);
        if (doc.problem) {
            errors.add(file, doc.problem->first, doc.problem->second);
        } else if (doc.root.IsNull()) {
            errors.add(file, SourcePos{1, 1}, "missing required key 'interfaces'");
        } else {
            Parser parser(file, errors);
            parser.parse_document(doc.root, result.config);
            routes_file_pos = parser.routes_file_pos;
        }
    } catch (const YAML::DeepRecursion& e) {
        errors.add(file, to_pos(e.mark), "nested more than " + std::to_string(e.depth() - 1) + " levels deep");
    } catch (const YAML::Exception& e) {
        // Syntax errors (YAML::ParserException) and anything else yaml-cpp throws carry a mark.
        errors.add(file, to_pos(e.mark), e.msg);
    } catch (const std::bad_alloc&) {
        throw;  // the bounded check (config_check.cpp) reports running out of memory itself
    } catch (const std::exception& e) {
        errors.add(file, SourcePos{}, std::string("internal error: ") + e.what());
    }
    Config& cfg = result.config;
    if (!cfg.routes_file.empty()) {
        cfg.routes_file = resolve_beside(file, cfg.routes_file);
        std::string list;
        if (auto why = route_list_unusable(cfg.routes_file))
            errors.add(file, routes_file_pos, "routes_file '" + cfg.routes_file + "' " + *why);
        else if (auto why = read_whole_file(cfg.routes_file, list))
            errors.add(file, routes_file_pos, "cannot read routes_file '" + cfg.routes_file + "': " + *why);
        else
            parse_route_list(list, cfg.routes_file, cfg.routes, cfg.routes6, errors);
    }
    if (errors.empty()) {
        try {
            result.errors = validate_config(cfg);
        } catch (const std::bad_alloc&) {
            throw;
        } catch (const std::exception& e) {
            result.errors.push_back(ConfigError{file, SourcePos{}, std::string("internal error: ") + e.what()});
        }
    } else {
        result.errors = std::move(errors).finish(file);
    }
    return result;
}

std::optional<std::string> read_whole_file(const std::string& path, std::string& out) {
    // stdio rather than iostreams: it reports why a read failed (errno), including EISDIR,
    // which an ifstream would turn into a silently empty file.
    errno = 0;
    out.clear();
    std::FILE* f = std::fopen(path.c_str(), "rb");
    bool ok = f != nullptr;
    if (ok) {
        char buf[65536];
        std::size_t n = 0;
        while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
        ok = !std::ferror(f);
        std::fclose(f);
    }
    if (ok) return std::nullopt;
    std::string reason = errno ? std::strerror(errno) : "read failed";
    // Lower-cased to match the other messages ("No such file" -> "no such file").
    reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
    return reason;
}

ConfigResult load_config_file(const std::string& path) {
    std::string text;
    if (auto why = read_whole_file(path, text)) {
        ConfigResult result;
        result.config.file = path;
        result.errors.push_back(ConfigError{path, SourcePos{}, "cannot read file: " + *why});
        return result;
    }
    return parse_config_text(text, path);
}

}  // namespace dprouter
