// Semantic checks: relations between values that the parser, looking at one value at a time,
// cannot see. Each error points at the offending value, falling back to its item when the value
// has no position (configs built in code).
//
// Every check is linear or one sort (hash maps, a sort for duplicate prefixes, memoised per next
// hop) or bounded by the dataplane's small limits (16 interfaces of 8 addresses): a million routes
// must validate in a second or two.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dprouter/config.hpp"
#include "error_sink.hpp"
#include "validate_common.hpp"

namespace dprouter {

namespace {

using validate::action_name;
using validate::first_at;
using validate::or_item;

bool has_control_char(const std::string& s) {
    return std::any_of(s.begin(), s.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return c < 0x20 || c == 0x7f;
    });
}

// Subnets of length 1..30 reserve their all-zeros and all-ones host; /31 (RFC 3021) and /32 don't.
bool has_reserved_hosts(const Ipv4Prefix& p) { return p.len >= 1 && p.len <= 30; }

bool overlaps(const Ipv4Prefix& a, const Ipv4Prefix& b) {
    return ((a.addr ^ b.addr) & Ipv4Prefix::mask_of(std::min(a.len, b.len))) == 0;
}

std::string network_of(const Ipv4Prefix& p) {
    return format_prefix(Ipv4Prefix{p.network(), p.len});
}

// 0.0.0.0/8 ("this network"), 127.0.0.0/8 (loopback), 224.0.0.0/4 (multicast) and
// 240.0.0.0/4 (reserved, includes limited broadcast) can never be an interface address.
bool is_unicast_host(Ipv4 a) {
    uint8_t first = static_cast<uint8_t>(a >> 24);
    return first != 0 && first != 127 && first < 224;
}

bool valid_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

class Validator {
public:
    explicit Validator(const Config& c) : c_(c), subnets_(all_subnets()), names_(validate::interface_indices(c)) {}

    std::vector<ConfigError> run() {
        check_interfaces();
        check_addresses();
        check_routes();
        check_neighbors();
        validate::check_ipv6(c_, errors_);
        return std::move(errors_).finish(c_.file);
    }

private:
    void error(SourcePos pos, std::string message) { errors_.add(c_.file, pos, std::move(message)); }
    const std::string& file_of(const RouteConfig& r) const { return r.from_routes_file ? c_.routes_file : c_.file; }

    // The interface address owning `a` exactly, if any.
    const InterfaceAddress* own_address(Ipv4 a) const {
        for (const InterfaceAddress* addr : subnets_)
            if (addr->prefix.addr == a) return addr;
        return nullptr;
    }

    // Checks that `a`, used as a next hop or neighbour (`what`), is a host on `subnets`:
    // not ours, inside one of them, and not a subnet's network or broadcast address.
    // Returns the problem, or nothing when there is none.
    std::optional<std::string> on_link_problem(const std::string& what, Ipv4 a,
                                               const std::vector<const InterfaceAddress*>& subnets,
                                               const std::string& not_found) const {
        const std::string text = what + ' ' + format_ipv4(a);
        if (own_address(a)) return text + " is one of our own addresses";
        for (const InterfaceAddress* s : subnets) {
            const Ipv4Prefix& p = s->prefix;
            if (p.len == 0 || !p.contains(a)) continue;
            if (has_reserved_hosts(p) && a == p.network()) return text + " is the network address of " + network_of(p);
            if (has_reserved_hosts(p) && a == p.broadcast()) return text + " is the broadcast address of " + network_of(p);
            return std::nullopt;
        }
        return text + not_found;
    }

    void check_mac(const std::string& what, const MacAddr& mac, SourcePos pos) {
        if (auto problem = validate::mac_problem(what, mac)) error(pos, *problem);
    }

    // The interface (index) whose subnet holds `a`, or -1; subnets of different interfaces never
    // overlap (check_address_conflicts), so there is at most one.
    int interface_holding(Ipv4 a) const {
        for (std::size_t i = 0; i < c_.interfaces.size() && i < config_limits::max_interfaces; ++i) {
            const auto& addrs = c_.interfaces[i].addresses;
            for (std::size_t k = 0; k < addrs.size() && k < config_limits::max_addresses; ++k)
                if (addrs[k].prefix.len > 0 && addrs[k].prefix.contains(a)) return static_cast<int>(i);
        }
        return -1;
    }

    void check_interfaces() {
        std::unordered_map<std::string, const InterfaceConfig*> names;
        std::unordered_map<std::string, const InterfaceConfig*> devices;
        for (std::size_t i = 0; i < c_.interfaces.size(); ++i) {
            const InterfaceConfig& ifc = c_.interfaces[i];
            SourcePos name_pos = or_item(ifc.name_pos, ifc.pos);
            SourcePos device_pos = or_item(ifc.device_pos, ifc.pos);
            check_name(ifc.name, name_pos);
            if (i == config_limits::max_interfaces)
                error(ifc.pos, "more than " + std::to_string(config_limits::max_interfaces) +
                                   " interfaces (the dataplane drives at most that many ports)");
            if (ifc.device.empty()) error(device_pos, "interface device must not be empty");
            // A NUL would end the C string DPDK sees: two "different" devices would be one.
            if (has_control_char(ifc.device)) error(device_pos, "interface device must not contain control characters");
            if (ifc.tcp_mss_clamp != 0 && ifc.tcp_mss_clamp < config_limits::min_mss_clamp)
                error(or_item(ifc.mss_clamp_pos, ifc.pos),
                      "tcp_mss_clamp " + std::to_string(ifc.tcp_mss_clamp) + " is below " +
                          std::to_string(config_limits::min_mss_clamp) + " (tcp_mss_clamp: true needs mtu " +
                          std::to_string(config_limits::min_mtu_for_mss_clamp) + " or more)");
            if (ifc.addresses.size() > config_limits::max_addresses)
                error(ifc.addresses[config_limits::max_addresses].pos,
                      "interface '" + ifc.name + "' has more than " + std::to_string(config_limits::max_addresses) +
                          " addresses (the dataplane keeps at most that many)");
            if (ifc.mtu < config_limits::min_mtu || ifc.mtu > config_limits::max_mtu) {
                error(or_item(ifc.mtu_pos, ifc.pos),
                      "mtu " + std::to_string(ifc.mtu) + " out of range " +
                          std::to_string(config_limits::min_mtu) + ".." + std::to_string(config_limits::max_mtu));
            }
            if (ifc.has_mac) check_mac("interface", ifc.mac, or_item(ifc.mac_pos, ifc.pos));
            if (ifc.addresses.empty() && ifc.addresses6.empty()) error(ifc.pos, "interface needs at least one address");

            // Later duplicates are the errors: the first definition is the one the user meant.
            if (auto [it, fresh] = names.try_emplace(ifc.name, &ifc); !fresh && !ifc.name.empty())
                error(name_pos, "duplicate interface name '" + ifc.name + "'" +
                                    first_at(or_item(it->second->name_pos, it->second->pos)));
            if (auto [it, fresh] = devices.try_emplace(ifc.device, &ifc); !fresh && !ifc.device.empty())
                error(device_pos, "duplicate interface device '" + ifc.device + "'" +
                                      first_at(or_item(it->second->device_pos, it->second->pos)));
        }
    }

    void check_name(const std::string& name, SourcePos pos) {
        if (name.empty() || !std::all_of(name.begin(), name.end(), valid_name_char)) {
            error(pos, "invalid interface name '" + name + "' (use a-z, 0-9, '_' and '-')");
        } else if (name.size() > config_limits::max_interface_name) {
            error(pos, "interface name '" + name + "' is longer than " +
                           std::to_string(config_limits::max_interface_name) + " characters");
        }
    }

    struct SeenAddress {
        const InterfaceConfig* ifc;
        const InterfaceAddress* addr;
    };

    void check_addresses() {
        std::vector<SeenAddress> seen;
        for (const auto& ifc : c_.interfaces) {
            for (const auto& addr : ifc.addresses) {
                if (!within_limits(ifc, addr)) continue;  // already reported; keeps this quadratic check small
                if (check_address(addr)) check_address_conflicts(ifc, addr, seen);
                seen.push_back(SeenAddress{&ifc, &addr});
            }
        }
    }

    // The address on its own: a usable unicast host address on a real subnet.
    bool check_address(const InterfaceAddress& a) {
        const Ipv4Prefix& p = a.prefix;
        const std::string text = "address " + format_prefix(p);
        if (p.len == 0) {
            error(a.pos, text + " has prefix length 0, which no interface can use");
        } else if (!is_unicast_host(p.addr)) {
            error(a.pos, text + " is not a unicast host address");
        } else if (has_reserved_hosts(p) && p.addr == p.network()) {
            error(a.pos, text + " is the network address");
        } else if (has_reserved_hosts(p) && p.addr == p.broadcast()) {
            error(a.pos, text + " is the broadcast address");
        } else {
            return true;
        }
        return false;
    }

    // Against the addresses before it: the same IP anywhere, or a connected subnet that
    // overlaps another interface's (the router could not tell which port a host is behind).
    void check_address_conflicts(const InterfaceConfig& ifc, const InterfaceAddress& a,
                                 const std::vector<SeenAddress>& seen) {
        for (const SeenAddress& s : seen) {
            if (s.addr->prefix.addr == a.prefix.addr) {
                error(a.pos, "duplicate address " + format_ipv4(a.prefix.addr) + first_at(s.addr->pos));
                return;
            }
        }
        for (const SeenAddress& s : seen) {
            if (s.ifc != &ifc && s.addr->prefix.len > 0 && overlaps(s.addr->prefix, a.prefix)) {
                error(a.pos, "address " + format_prefix(a.prefix) + " overlaps " +
                                 format_prefix(s.addr->prefix) + " on interface '" + s.ifc->name + "'");
                return;
            }
        }
    }

    std::vector<const InterfaceAddress*> all_subnets() const {
        std::vector<const InterfaceAddress*> out;
        for (const auto& ifc : c_.interfaces)
            for (const auto& addr : ifc.addresses)
                if (within_limits(ifc, addr)) out.push_back(&addr);
        return out;
    }

    // Interfaces and addresses beyond what the dataplane keeps are errors of their own; checks
    // that compare addresses pairwise look only at those within the limits.
    bool within_limits(const InterfaceConfig& ifc, const InterfaceAddress& addr) const {
        return static_cast<std::size_t>(&ifc - c_.interfaces.data()) < config_limits::max_interfaces &&
               static_cast<std::size_t>(&addr - ifc.addresses.data()) < config_limits::max_addresses;
    }

    void check_routes() {
        const auto& subnets = subnets_;
        // Duplicates: routes by (network << 8 | length, position), sorted once; each route that
        // repeats an earlier one's prefix learns which (a million routes: one sort instead of a
        // hash node each, measurably less at start-up, where the file is validated twice).
        constexpr uint32_t kFirst = UINT32_MAX;
        std::vector<uint32_t> first_of(c_.routes.size(), kFirst);
        {
            std::vector<std::pair<uint64_t, uint32_t>> keyed;
            keyed.reserve(c_.routes.size());
            for (uint32_t i = 0; i < c_.routes.size(); ++i)
                if (const Ipv4Prefix& p = c_.routes[i].prefix; p.len <= 32)
                    keyed.emplace_back(uint64_t{p.network()} << 8 | p.len, i);
            std::sort(keyed.begin(), keyed.end());
            for (size_t j = 1, run = 0; j < keyed.size(); ++j) {
                if (keyed[j].first != keyed[run].first) run = j;
                else first_of[keyed[j].second] = keyed[run].second;
            }
        }
        // via -> its problem, if any
        struct Via {
            std::optional<std::string> problem;
            int ifc = -1;  // the interface whose subnet holds it
        };
        std::unordered_map<Ipv4, Via> via_memo;
        for (const RouteConfig& r : c_.routes) {
            const std::string& file = file_of(r);
            SourcePos prefix_pos = or_item(r.prefix_pos, r.pos);
            SourcePos via_pos = or_item(r.via_pos, r.pos);
            if (r.prefix.len > 32) {
                errors_.add(file, prefix_pos, "prefix length " + std::to_string(r.prefix.len) + " out of range 0..32");
                continue;
            }
            if (r.prefix.addr != r.prefix.network())
                errors_.add(file, prefix_pos, "prefix " + format_prefix(r.prefix) + " has host bits set");
            if (const uint32_t f = first_of[static_cast<size_t>(&r - c_.routes.data())]; f != kFirst) {
                const RouteConfig& prev = c_.routes[f];
                const SourcePos at = or_item(prev.prefix_pos, prev.pos);
                errors_.add(file, prefix_pos,
                            "duplicate route prefix " + network_of(r.prefix) +
                                (prev.from_routes_file == r.from_routes_file
                                     ? first_at(at)
                                     : " (first defined at " + file_of(prev) + ":" + std::to_string(at.line) + ")"));
            }
            if (r.action == RouteAction::forward && !r.has_via) {
                errors_.add(file, r.pos, "route " + format_prefix(r.prefix) + " has action forward but no via");
            } else if (r.action != RouteAction::forward && r.has_via) {
                errors_.add(file, via_pos, "route " + format_prefix(r.prefix) + " with action " +
                                               action_name(r.action) + " must not have a via");
            } else if (r.has_via) {
                auto [it, fresh] = via_memo.try_emplace(r.via);
                if (fresh) {
                    it->second.problem =
                        on_link_problem("via", r.via, subnets, " is not reachable through any connected network");
                    it->second.ifc = interface_holding(r.via);
                }
                if (it->second.problem) errors_.add(file, via_pos, *it->second.problem);
                else if (!r.interface.empty()) check_route_interface(r, it->second.ifc);
                // ECMP: every further gateway must be reachable the same way.
                for (size_t i = 0; i < r.more_via.size(); ++i) {
                    auto [m, new_via] = via_memo.try_emplace(r.more_via[i]);
                    if (new_via) {
                        m->second.problem = on_link_problem("via", r.more_via[i], subnets,
                                                            " is not reachable through any connected network");
                        m->second.ifc = interface_holding(r.more_via[i]);
                    }
                    if (m->second.problem) errors_.add(file, or_item(r.more_via_pos[i], r.pos), *m->second.problem);
                }
            }
            if (!r.interface.empty() && r.action != RouteAction::forward)
                errors_.add(file, or_item(r.interface_pos, r.pos),
                            "route " + format_prefix(r.prefix) + " with action " + action_name(r.action) +
                                " must not have an interface");
        }
    }

    // `interface:` on an IPv4 route is optional and redundant: it must be the interface whose
    // subnet holds the via, which is the one the table builder uses.
    void check_route_interface(const RouteConfig& r, int via_ifc) {
        const SourcePos pos = or_item(r.interface_pos, r.pos);
        auto named = names_.find(r.interface);
        if (named == names_.end())
            errors_.add(file_of(r), pos, "route interface '" + r.interface + "' is not defined");
        else if (named->second != via_ifc)
            errors_.add(file_of(r), pos, "via " + format_ipv4(r.via) + " is on interface '" +
                                             c_.interfaces[via_ifc].name + "', not '" + r.interface + "'");
    }

    void check_neighbors() {
        // (interface index << 32 | address) -> first neighbour
        std::unordered_map<uint64_t, const NeighborConfig*> first;
        for (const NeighborConfig& n : c_.neighbors) {
            SourcePos address_pos = or_item(n.address_pos, n.pos);
            check_mac("neighbor", n.mac, or_item(n.mac_pos, n.pos));

            auto ifc = std::find_if(c_.interfaces.begin(), c_.interfaces.end(),
                                    [&](const InterfaceConfig& x) { return x.name == n.interface; });
            if (ifc == c_.interfaces.end()) {
                error(or_item(n.interface_pos, n.pos), "neighbor interface '" + n.interface + "' is not defined");
                continue;
            }
            std::vector<const InterfaceAddress*> subnets;
            for (const auto& addr : ifc->addresses) subnets.push_back(&addr);
            if (auto problem = on_link_problem("neighbor", n.address, subnets,
                                               " is not on a connected network of interface '" + n.interface + "'")) {
                error(address_pos, *problem);
                continue;
            }
            const uint64_t key = uint64_t(ifc - c_.interfaces.begin()) << 32 | n.address;
            if (auto [it, fresh] = first.try_emplace(key, &n); !fresh) {
                const NeighborConfig& prev = *it->second;
                error(address_pos, "duplicate neighbor " + format_ipv4(n.address) + " on interface '" + n.interface +
                                       "'" + first_at(or_item(prev.address_pos, prev.pos)));
            }
        }
    }

    const Config& c_;
    std::vector<const InterfaceAddress*> subnets_;  // every address within the limits
    std::unordered_map<std::string, int> names_;     // interface name -> index
    ErrorSink errors_;
};

}  // namespace

std::vector<ConfigError> validate_config(const Config& config) { return Validator(config).run(); }

}  // namespace dprouter
